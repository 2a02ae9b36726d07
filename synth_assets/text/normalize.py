"""Text normalization shared by the detectors.

normalize_tokens follows GPT-3 / lm-evaluation-harness (lowercase, delete punctuation, split on
whitespace) with one deliberate widening: Unicode punctuation (curly quotes, dashes, ...) is
deleted too, not only ASCII's, so "Janet’s" and "Janet's" both become "janets". The n-gram
detector uses it, to match the harness.

word_tokens splits at punctuation instead of deleting it, so identifiers fall apart into words
("sort_list(numbers:" gives "sort list numbers" where the harness gets "sortlistnumbers"), and
it writes every name the text defines as a Python function (`def NAME`) as the one word "func":
a copied function under a new name then reads the same, and prose is untouched. The coverage,
MinHash and TF-IDF detectors use it.
"""

import re
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


_ASCII_SPLIT = bytes.maketrans(
    string.ascii_uppercase.encode() + string.punctuation.encode() + b"\x1c\x1d\x1e\x1f",
    string.ascii_lowercase.encode() + b" " * (len(string.punctuation) + 4),
)


@cache
def _split_punctuation_table() -> dict[int, int]:
    return {code: ord(" ") for code in _delete_punctuation_table()}


_DEFINED_FUNCTION = re.compile(r"\bdef\s+([A-Za-z_]\w*)")
FUNCTION_PLACEHOLDER = "func"


def _abstract_defined_functions(text: str) -> str:
    names = set(_DEFINED_FUNCTION.findall(text)) if "def" in text else set()
    if not names:
        return text
    pattern = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.sub(rf"\b(?:{pattern})\b", FUNCTION_PLACEHOLDER, text)


def word_tokens(text: str) -> list[bytes]:
    """Lowercased words with punctuation as a separator and defined function names as "func",
    as UTF-8 bytes."""
    text = _abstract_defined_functions(text)
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_SPLIT).split()
    return [token.encode() for token in text.lower().translate(_split_punctuation_table()).split()]


def normalize_tokens(text: str) -> list[str]:
    """Lowercase, delete punctuation, split on whitespace."""
    return text.lower().translate(_delete_punctuation_table()).split()


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@cache
def _non_ascii_replacement(char: str) -> bytes | None:
    """What normalize_tokens makes of a non-ASCII character, in UTF-8: b"" for punctuation
    (deleted), b" " for whitespace (a separator), None to keep it."""
    if unicodedata.category(char).startswith("P"):
        return b""
    return b" " if char.isspace() else None


def normalized_token_bytes(text: str) -> list[bytes]:
    """normalize_tokens(text) as UTF-8 bytes, several times faster: ASCII is lowercased and its
    punctuation deleted by bytes.translate; the few distinct non-ASCII characters of a text are
    looked up one by one (UTF-8 is self-synchronizing, so replacing a character's bytes cannot
    touch another character)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_LOWER, _ASCII_PUNCTUATION).split()
    text = text.lower()
    data = text.encode()
    for char in set(_NON_ASCII.findall(text)):
        replacement = _non_ascii_replacement(char)
        if replacement is not None:
            data = data.replace(char.encode(), replacement)
    return data.translate(_ASCII_LOWER, _ASCII_PUNCTUATION).split()
