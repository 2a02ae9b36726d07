"""The prose of a response, for filters written for natural language: code blocks and inline
code left out, words as runs of letters and digits."""

from __future__ import annotations

import re

CODE_SPANS = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def strip_code(text: str) -> str:
    """`text` with fenced code blocks (closed or not) and inline code replaced by a space."""
    return CODE_SPANS.sub(" ", text)


def words_of(text: str) -> list[str]:
    """The words of `text`, lowercased: letters and digits, with inner apostrophes (don't)."""
    return _WORDS.findall(text.lower())


def nonempty_lines(text: str) -> list[str]:
    """Lines with their surrounding whitespace removed, blank lines left out."""
    return [line.strip() for line in text.splitlines() if line.strip()]
