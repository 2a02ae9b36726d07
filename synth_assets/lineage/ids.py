"""Content-derived record ids: the same content always gets the same id."""

import hashlib
import json
from json.encoder import encode_basestring  # what JSONEncoder(ensure_ascii=False) quotes with
from typing import Any

# One encoder for every call: json.dumps with these options builds a new one each time, which
# was most of the cost of an id.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    return _CANONICAL.encode(value)


def content_id(prefix: str, *parts: Any) -> str:
    """`prefix_` followed by 20 hex digits of the SHA-256 of the parts' canonical JSON."""
    return _hashed(prefix, canonical_json(list(parts)))


def string_content_id(prefix: str, *parts: str | list[str]) -> str:
    """content_id of parts that are strings or lists of strings (the same id), about three
    times faster: for ids made per record."""
    pieces = [encode_basestring(part) if isinstance(part, str)
              else f"[{','.join(map(encode_basestring, part))}]" for part in parts]
    return _hashed(prefix, f"[{','.join(pieces)}]")


def _hashed(prefix: str, canonical: str) -> str:
    return f"{prefix}_{hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:20]}"
