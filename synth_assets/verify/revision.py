"""A constitutional revision (Bai et al. 2022): it differs from the draft it revises, is not a
bare refusal (a refusal that goes on to help - "I can't help with that, but ..." - is fine),
and passes the check of the principle it was revised for, where text can show it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from synth_assets.verify.base import Candidate, Decision, Verifier, first_failure
from synth_assets.verify.grounding import copied_share
from synth_assets.verify.instructions import near_identical
from synth_assets.verify.options import require_fraction, require_names
from synth_assets.verify.refusal import find_refusal
from synth_assets.verify.words import lemmas, sentences, words

_INSULTS = frozenset("""
stupid idiot idiotic dumb moron moronic lazy pathetic ridiculous ignorant fool foolish loser
clueless useless incompetent shut obviously duh lol silly
""".split())
_OVERCLAIMS = re.compile(
    r"\b(?:guaranteed?|definitely|certainly\s+will|always\s+works|never\s+fails"
    r"|without\s+(?:a|any)\s+doubt|proven\s+to|completely\s+safe|no\s+risk|cure[sd]?)\b"
    r"|\b100\s*(?:%|percent\b)",
    re.IGNORECASE,
)
_PRECAUTIONS = frozenset("""
doctor physician nurse pharmacist professional expert specialist electrician plumber lawyer vet
veterinarian emergency 911 poison careful caution safety safe protective glove goggle mask
ventilate ventilation supervise supervision consult warning risk precaution dangerous hazard
helmet licensed certified therapist counselor hotline
""".split())
_MIN_WORDS_AFTER_REFUSAL = 12


def _kept_draft_sentence(revision: str, draft: str) -> str | None:
    """A draft sentence of five words or more that the revision repeats (nearly) verbatim."""
    for sentence in sentences(draft):
        if len(words(sentence)) >= 5 and copied_share(sentence, revision, n=4) >= 0.75:
            return sentence
    return None


def _principle_checks(principle: str, revision: str, draft: str
                      ) -> list[tuple[bool, str, str]] | None:
    """The checks of a built-in principle; None for a principle text cannot check."""
    said = set(lemmas(revision)) | set(words(revision))
    if principle == "harmless":
        kept = _kept_draft_sentence(revision, draft)
        return [(kept is None, "keeps the draft's harmful advice", kept or "")]
    if principle == "respectful":
        rude = sorted(_INSULTS & said)
        return [(not rude, f"still disrespectful: {', '.join(rude)}", ", ".join(rude))]
    if principle == "honest":
        claim = _OVERCLAIMS.search(revision)
        return [(claim is None, "still overconfident", claim.group() if claim else "")]
    if principle == "helpful":  # staying on the request's topic is the grounding check's job
        return [(len(words(revision)) > len(words(draft)), "no fuller than the draft",
                 f"revision {len(words(revision))} words, draft {len(words(draft))}")]
    if principle == "safety_first":
        found = sorted(_PRECAUTIONS & said)
        return [(bool(found), "names no precaution or professional help", revision[:200])]
    return None


@dataclass(frozen=True)
class RevisionVerifier(Verifier):
    field: str = "response"
    draft_field: str = "draft"
    principle_attribute: str = "principle"
    max_similarity: float = 0.8

    name = "revision"
    version = "1"
    reads_record_fields = True

    def __post_init__(self) -> None:
        require_names(self.name, field=self.field, draft_field=self.draft_field,
                      principle_attribute=self.principle_attribute)
        require_fraction(self.name, "max_similarity", self.max_similarity)

    def decide(self, candidate: Candidate) -> Decision:
        revision = self.record_text(candidate, self.field)
        draft = self.record_text(candidate, self.draft_field)
        principle = self.attribute_text(self.prompt_attribute(candidate,
                                                              self.principle_attribute))
        refusal = find_refusal(revision)
        after = len(words(revision[refusal.end():])) if refusal else 0
        checks = [
            (not near_identical(revision, draft, self.max_similarity),
             "the revision repeats the draft", revision[:200]),
            (refusal is None or after >= _MIN_WORDS_AFTER_REFUSAL,
             "a bare refusal, not a helpful revision", revision[:200]),
        ]
        principle_checks = _principle_checks(principle, revision, draft)
        checked = "passes" if principle_checks is not None else "has no automatic check for"
        return first_failure(checks + (principle_checks or []),
                             f"a new revision that {checked} the {principle!r} principle",
                             revision[:200])
