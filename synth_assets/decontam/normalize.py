"""Text normalization shared by every n-gram detector.

Follows GPT-3 / lm-evaluation-harness (lowercase, delete punctuation, split on whitespace)
with one deliberate widening: Unicode punctuation (curly quotes, dashes, ...) is deleted too,
not only ASCII's, so "Janet’s" and "Janet's" both become "janets".
"""

import string
import sys
import unicodedata
from functools import cache

_ASCII_PUNCTUATION = string.punctuation.encode()
# Lowercase in the same pass; map \x1c-\x1f to spaces because str.split() treats them as
# whitespace and bytes.split() does not.
_ASCII_LOWER = bytes.maketrans(
    string.ascii_uppercase.encode() + b"\x1c\x1d\x1e\x1f",
    string.ascii_lowercase.encode() + b"    ",
)


@cache
def _delete_punctuation_table() -> dict[int, None]:
    # Built on first use, not at import: scanning every code point takes ~0.2 s.
    unicode_punct = (
        chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)).startswith("P")
    )
    return str.maketrans("", "", "".join(set(string.punctuation).union(unicode_punct)))


def normalize_tokens(text: str) -> list[str]:
    """Lowercase, delete punctuation, split on whitespace."""
    return text.lower().translate(_delete_punctuation_table()).split()


def normalized_token_bytes(text: str) -> list[bytes]:
    """normalize_tokens(text) as UTF-8 bytes; about twice as fast on ASCII text."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_LOWER, _ASCII_PUNCTUATION).split()
    return [token.encode() for token in normalize_tokens(text)]
