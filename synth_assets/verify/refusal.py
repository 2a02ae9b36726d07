"""Reject refusals ("I'm sorry, but I can't ..."), AI-disclaimer boilerplate and degenerate
repetition (a small model looping on the same phrase)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from synth_assets.verify.base import Candidate, Decision, Verifier

_REFUSALS = re.compile(
    r"""
    \b(?:
        i(?:['’]m|\s+am)\s+(?:so\s+|very\s+)?sorry,?\s+(?:but\s+)?i\s+
            (?:can(?:['’]|no)?t|cannot|am\s+(?:not\s+able|unable)|won['’]?t)
      | i(?:\s+(?:can(?:['’]|no)?t|cannot|won['’]?t|will\s+not|am\s+(?:unable|not\s+able)\s+to)
          |['’]m\s+(?:unable|not\s+able)\s+to)
        \s+(?:help|assist|comply|provide|fulfil+|complete|answer|do\s+that|support|create
             |generate|write)
      | as\s+an\s+ai(?:\s+(?:language\s+model|assistant|model))?\b
      | i\s+(?:do\s+not|don['’]?t)\s+have\s+(?:the\s+ability|access\s+to\s+real-time
                                              |personal\s+opinions)
      | (?:this|that|your)\s+request\s+(?:violates|goes\s+against)
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_WORDS = re.compile(r"\w+")


def find_refusal(text: str) -> re.Match[str] | None:
    """The first refusal or AI-disclaimer phrase in `text`, if any."""
    return _REFUSALS.search(text)

_REPETITION_NGRAM = 4
_REPETITION_MIN_WORDS = 24


def repetition_share(text: str) -> float:
    """Share of the word 4-grams of `text` that repeat an earlier one: about 0 for prose,
    near 1 for a model stuck in a loop; 0 for texts too short to tell."""
    words = _WORDS.findall(text.lower())
    if len(words) < _REPETITION_MIN_WORDS:
        return 0.0
    grams = Counter(zip(*(words[i:] for i in range(_REPETITION_NGRAM)), strict=False))
    total = sum(grams.values())
    return (total - len(grams)) / total


@dataclass(frozen=True)
class RefusalVerifier(Verifier):
    max_repetition: float = 0.5

    name = "refusal"
    version = "1"

    def __post_init__(self) -> None:
        if not isinstance(self.max_repetition, int | float) or not 0 < self.max_repetition <= 1:
            raise ValueError(
                f"refusal max_repetition must be in (0, 1], got {self.max_repetition!r}"
            )

    def decide(self, candidate: Candidate) -> Decision:
        refusal = find_refusal(candidate.text)
        repetition = repetition_share(candidate.text)
        if refusal:
            context = candidate.text[max(0, refusal.start() - 40) : refusal.end() + 80]
            return Decision(False, "refusal or AI-disclaimer boilerplate",
                            f"matched {refusal.group()!r} in: {context}")
        if repetition > self.max_repetition:
            return Decision(False, "degenerate repetition",
                            f"repeated 4-gram share {repetition:.2f} > {self.max_repetition}")
        return Decision(True, "no refusal, boilerplate or repetition",
                        f"repeated 4-gram share {repetition:.2f}")
