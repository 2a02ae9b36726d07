"""What every verifier shares: what goes in (Candidate), what comes out (Verdict), and the base
class that turns a verifier's decision into its Verdict, as datatrove's BaseFilter does for a
filter. A verifier declares its `name` and `version` and writes `decide`; the base times the
decision, fails a response its recipe's parser could not read before `decide` sees it (for a
verifier that reads record fields), clips the evidence and builds the Verdict."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from synth_assets.lineage.ids import content_id

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


class Decision(NamedTuple):  # a tuple: made once per verdict, it costs half a frozen dataclass
    """What a verifier decides about one candidate; the base makes it a Verdict."""

    passed: bool
    reason: str  # one short sentence: why it passed or failed
    evidence: str = ""  # what backs the reason; clipped to EVIDENCE_MAX_CHARS in the Verdict
    score: float | None = None  # 0..1; None for a plain pass (1.0) or fail (0.0)

    def verdict(self, duration_s: float) -> Verdict:
        score = (1.0 if self.passed else 0.0) if self.score is None else self.score
        return Verdict(self.passed, score, self.reason, clip_evidence(self.evidence), duration_s)


Check = tuple[bool, str, str]  # (ok, the reason when not, the evidence when not)


def failed_check(checks: list[Check]) -> Decision | None:
    """The failing decision of the first check that fails; None when all pass."""
    return next((Decision(False, reason, detail) for ok, reason, detail in checks if not ok),
                None)


def first_failure(checks: list[Check], passed_reason: str, evidence: str) -> Decision:
    """The first failing check's decision, or a pass with `passed_reason` and `evidence`."""
    return failed_check(checks) or Decision(True, passed_reason, evidence)


class Verifier(ABC):
    """The base of every verifier (a frozen dataclass whose fields are its spec options).

    `name` and `version` are class attributes, checked when the class is made. A verdict is
    stored under its verifier's `stored_version`: bump `version` when a decision can change
    for the same input, and only then (its verdicts are made again). A verifier whose
    decision reads the record's parsed fields sets `reads_record_fields`: a response its
    recipe's parser could not read then fails with the parse error before `decide` is called.
    Errors about a missing input (a seed field, a record field, a prompt attribute) are raised
    by the readers below, naming the verifier."""

    name: ClassVar[str]
    version: ClassVar[str]
    reads_record_fields: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for attribute in ("name", "version"):
            if not isinstance(getattr(cls, attribute, None), str) or not getattr(cls, attribute):
                raise TypeError(f"verifier {cls.__name__} needs a non-empty string "
                                f"class attribute {attribute!r}")

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        if self.reads_record_fields and candidate.parse_error is not None:
            decision = Decision(False, f"the response does not have its recipe's format: "
                                       f"{candidate.parse_error}", candidate.text[:200])
        else:
            decision = self.decide(candidate)
        return decision.verdict(time.perf_counter() - start)

    @abstractmethod
    def decide(self, candidate: Candidate) -> Decision:
        """Whether the candidate passes, why, and the evidence."""

    def stored_version(self, options: Mapping[str, Any], teachers: Mapping[str, Any]) -> str:
        """The version its verdicts are stored under: the code `version` plus a digest of the
        spec options it was built from and of the settings it depends on beyond them
        (`depends_on`); changing any of them makes its verdicts again. Admission thresholds
        (min_score) are not part of it: they re-select without re-judging."""
        inputs = [options, *self.depends_on(teachers)]
        return f"{self.version}+{content_id('opt', *inputs)[4:12]}"

    def depends_on(self, teachers: Mapping[str, Any]) -> list[Any]:
        """Settings outside its options that its verdicts depend on (none by default)."""
        return []

    def seed_text(self, seed: dict, key: str) -> str:
        """A required string field of the seed."""
        value = seed.get(key)
        if not isinstance(value, str):
            raise ValueError(f"{self.name} verifier needs a string seed[{key!r}], got {value!r}")
        return value

    def record_text(self, candidate: Candidate, key: str) -> str:
        """The record field the verifier judges (the raw answer when it did not parse)."""
        if candidate.parse_error is not None:
            return candidate.text
        value = candidate.seed.get(key)
        if not isinstance(value, str):
            raise ValueError(f"{self.name} verifier needs the record field {key!r} as text, "
                             f"got {value!r}")
        return value

    def prompt_attribute(self, candidate: Candidate, key: str) -> Any:
        """One sampled attribute of the candidate's prompt."""
        if key not in candidate.attributes:
            raise ValueError(f"{self.name} verifier needs the prompt attribute {key!r}; the "
                             f"candidate has {sorted(candidate.attributes) or 'none'}")
        return candidate.attributes[key]

    def attribute_text(self, value: Any, key: str = "name") -> str:
        """An attribute's text: the value itself, or its `key` when it is a JSON object."""
        if isinstance(value, dict):
            value = value.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{self.name} verifier needs an attribute text (or an object "
                             f"with {key!r}), got {value!r}")
        return value


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
