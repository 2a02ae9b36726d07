"""The types every verifier shares: what goes in, what comes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

EVIDENCE_MAX_CHARS = 500


@dataclass(frozen=True)
class Candidate:
    text: str  # the teacher model's raw response
    seed: dict  # the seed payload the prompt came from, overlaid by the record's fields
    parse_error: str | None = None  # why the response does not have its recipe's format
    # Every sample's response to the same prompt, this one included, in sample order; only
    # verifiers that compare samples with each other (self-consistency) read it.
    siblings: tuple[str, ...] = ()
    prompt: str = ""  # the user message the teacher answered (what an LLM judge is shown)
    # The attributes the prompt was rendered with (prompt_attributes), e.g. required words.
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    score: float  # 0..1
    reason: str  # one short sentence: why it passed or failed
    evidence: str  # short excerpt backing the reason, at most EVIDENCE_MAX_CHARS
    duration_s: float


class Verifier(Protocol):
    name: str
    version: str

    def verify(self, candidate: Candidate) -> Verdict: ...


def needs_siblings(verifier: Verifier, seed: dict) -> bool:
    """Whether the verifier's verdict on a record of this seed depends on the other samples of
    its prompt (then adding samples must re-judge it). Verifiers say so with `needs_siblings`."""
    check = getattr(verifier, "needs_siblings", None)
    return bool(check and check(seed))


def may_need_siblings(verifier: Verifier) -> bool:
    """Whether needs_siblings can be true for some seed (else no seed need be read)."""
    return getattr(verifier, "needs_siblings", None) is not None


def clip_evidence(text: str) -> str:
    """Keep the end of long evidence: tracebacks and answers end with the useful part."""
    if len(text) <= EVIDENCE_MAX_CHARS:
        return text
    return "..." + text[-(EVIDENCE_MAX_CHARS - 3) :]


def seed_field(seed: dict, key: str, verifier: str) -> str:
    """Read a required string field of a seed, failing loudly when it is missing."""
    value = seed.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{verifier} verifier needs a string seed[{key!r}], got {value!r}")
    return value
