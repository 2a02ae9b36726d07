"""Reject a response cut off mid-sentence: an unclosed code block, a last word that cannot end
a sentence ("... and the"), a trailing comma, colon or dash, or a last sentence without an end
while the sentences before it have one.

Not truncations: text ending in a closed code block, in a number or a formula (math answers,
"The answer is 42", "\\boxed{7}", "$x = 3$"), a list whose items carry no full stop, a short
last line (a signature, "The End"), and a text with no sentence punctuation at all (a one-line
instruction or title: "Write a poem about the sea")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from synth_assets.verify.base import Candidate, Decision, Verifier
from synth_assets.verify.options import require_count
from synth_assets.verify.prose import nonempty_lines, strip_code, words_of

_NAME = "truncation"
_FENCE = re.compile(r"^\s*```", re.MULTILINE)
# Closing wrappers after the real last character: quotes, brackets, emphasis markers.
_CLOSERS = "\"'”’»)]*_~ \t\n"
_SENTENCE_END = ".!?…。！？"
_CUT_PUNCTUATION = ",;:-–—(/&+="
# A formula, a number or a markdown table row ends a text as well as a full stop.
_FORMULA_END = re.compile(r"(?:\$|\\\]|\\\)|\}|\d%?|\|)$")
_SENTENCE_END_INSIDE = re.compile(r"[.!?…](?:[\"'”’)\]]*)(?:\s|$)")
_LIST_ITEM = re.compile(r"^(?:[-*•+]|\d+[.)]|[a-zA-Z][.)])\s")
# Words that cannot end an English sentence: articles, conjunctions, prepositions that take an
# object, auxiliaries and possessives.
_DANGLING = frozenset("""
a an the and or but nor of to from into onto with without for at by as than that which whose
whom because although though while whereas if unless until since whether is are was were be
been being am has have had do does did will would can could should shall may might must my
your his her its our their this these those very such every each either neither""".split())


def truncation(text: str, short_last_line_words: int) -> str | None:
    """Why `text` looks cut off mid-sentence, or None."""
    if len(_FENCE.findall(text)) % 2:
        return "a code block is not closed"
    stripped = text.rstrip()
    if stripped.endswith("```"):
        return None
    prose = strip_code(text).rstrip()
    if _FORMULA_END.search(prose):
        return None
    prose = prose.rstrip(_CLOSERS)
    if not prose:
        return None
    last = prose[-1]
    if last in _SENTENCE_END or _FORMULA_END.search(prose):
        return None
    if last in _CUT_PUNCTUATION:
        return f"ends with {last!r}"
    words = words_of(prose)
    if words and words[-1] in _DANGLING:
        return f"ends with the word {words[-1]!r}"
    last_line = nonempty_lines(prose)[-1]
    last_line_words = words_of(last_line)
    if (_LIST_ITEM.match(last_line) or len(last_line_words) <= short_last_line_words
            or any(word[0].isdigit() for word in last_line_words[-3:])):
        return None
    if _SENTENCE_END_INSIDE.search(prose):
        return "the last sentence has no end while the sentences before it do"
    return None


@dataclass(frozen=True)
class TruncationVerifier(Verifier):
    short_last_line_words: int = 4

    name = _NAME
    version = "1"

    def __post_init__(self) -> None:
        require_count(_NAME, "short_last_line_words", self.short_last_line_words)

    def decide(self, candidate: Candidate) -> Decision:
        problem = truncation(candidate.text, self.short_last_line_words)
        return Decision(problem is None,
                        "ends like a finished text" if problem is None
                        else f"cut off mid-sentence: {problem}",
                        f"ends: ...{candidate.text.rstrip()[-120:]}")
