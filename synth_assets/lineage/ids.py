"""Content-derived record ids: the same content always gets the same id."""

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_id(prefix: str, *parts: Any) -> str:
    """`prefix_` followed by 20 hex digits of the SHA-256 of the parts' canonical JSON."""
    digest = hashlib.sha256(canonical_json(list(parts)).encode("utf-8")).hexdigest()
    return f"{prefix}_{digest[:20]}"
