"""The verifier base: a verifier writes only its decision; timing, the unparsed-response
rejection, evidence clipping and the Verdict are the base's."""

from dataclasses import dataclass

import pytest

from synth_assets.spec.model import TeacherSpec
from synth_assets.verify import Candidate, Verdict, build_verifier
from synth_assets.verify.base import EVIDENCE_MAX_CHARS, Decision, Verifier
from synth_assets.verify.registry import VERIFIER_KINDS


@dataclass(frozen=True)
class _LongestWordVerifier(Verifier):
    """Passes a text whose longest word has at most `max_letters` letters; evidence is the
    whole text, so clipping shows."""

    max_letters: int = 8

    name = "longest_word"
    version = "1"

    def decide(self, candidate: Candidate) -> Decision:
        longest = max(candidate.text.split(), key=len, default="")
        return Decision(len(longest) <= self.max_letters, f"longest word {longest!r}",
                        candidate.text)


@dataclass(frozen=True)
class _FieldReader(_LongestWordVerifier):
    name = "field_reader"
    reads_record_fields = True

    def decide(self, candidate: Candidate) -> Decision:
        return super().decide(Candidate(self.record_text(candidate, "answer"), candidate.seed))


def test_the_base_builds_the_verdict_from_the_decision() -> None:
    verdict = _LongestWordVerifier().verify(Candidate("a short text", {}))
    assert isinstance(verdict, Verdict)
    assert (verdict.passed, verdict.score, verdict.reason) == (True, 1.0, "longest word 'short'")
    assert verdict.duration_s >= 0
    failed = _LongestWordVerifier(max_letters=3).verify(Candidate("a short text", {}))
    assert (failed.passed, failed.score) == (False, 0.0)


def test_a_decision_keeps_its_own_score_and_long_evidence_keeps_its_end() -> None:
    assert Decision(True, "why", "", score=0.25).verdict(0.0).score == 0.25
    text = "word " * 200 + "the end"
    verdict = _LongestWordVerifier().verify(Candidate(text, {}))
    assert len(verdict.evidence) == EVIDENCE_MAX_CHARS
    assert verdict.evidence.startswith("...") and verdict.evidence.endswith("the end")


def test_an_unparsed_response_fails_before_a_field_reading_decision() -> None:
    # The raw text would pass `decide` (short words): the parse error must fail it first.
    unparsed = Candidate("no fields here", {}, parse_error="no 'Answer:' line")
    verdict = _FieldReader().verify(unparsed)
    assert not verdict.passed
    assert verdict.reason == "the response does not have its recipe's format: no 'Answer:' line"
    assert verdict.evidence == "no fields here"
    # A verifier that reads the raw text judges it whatever its parser said.
    assert _LongestWordVerifier().verify(unparsed).passed
    assert _FieldReader().verify(Candidate("raw", {"answer": "ok"})).passed


def test_missing_inputs_are_named_with_the_verifier() -> None:
    with pytest.raises(ValueError, match="field_reader verifier needs the record field "
                                         "'answer' as text, got None"):
        _FieldReader().verify(Candidate("raw", {}))
    verifier = _LongestWordVerifier()
    with pytest.raises(ValueError, match="longest_word verifier needs the prompt attribute "
                                         "'persona'; the candidate has none"):
        verifier.prompt_attribute(Candidate("raw", {}), "persona")
    with pytest.raises(ValueError, match=r"longest_word verifier needs a string seed\['tests'\]"):
        verifier.seed_text({"tests": 3}, "tests")
    with pytest.raises(ValueError, match="longest_word verifier needs an attribute text"):
        verifier.attribute_text({"label": "x"})
    assert verifier.attribute_text({"name": "a nurse"}) == "a nurse"


def test_a_verifier_without_a_name_or_version_is_refused_when_defined() -> None:
    with pytest.raises(TypeError, match="'version'"):
        class _Unversioned(Verifier):
            name = "unversioned"

            def decide(self, candidate: Candidate) -> Decision:
                return Decision(True, "")


def test_every_registered_verifier_writes_only_its_decision() -> None:
    for kind, verifier_class in VERIFIER_KINDS.items():
        assert issubclass(verifier_class, Verifier), kind
        assert "verify" not in vars(verifier_class), f"{kind} overrides the base's verify"


def test_format_fails_an_unparsed_response_through_the_base() -> None:
    verifier = build_verifier("format", {})
    assert verifier.verify(Candidate("Answer: 4", {})).reason == \
        "the response has its recipe's format"
    failed = verifier.verify(Candidate("4", {}, parse_error="no 'Answer:' line"))
    assert (failed.passed, failed.reason) == (
        False, "the response does not have its recipe's format: no 'Answer:' line")


def test_the_stored_version_follows_code_version_options_and_a_judges_teacher() -> None:
    teachers = {"big": TeacherSpec(model="openai/big")}
    other = {"big": TeacherSpec(model="openai/other")}
    length = build_verifier("length", {"min_chars": 5})
    assert length.stored_version({"min_chars": 5}, teachers).startswith("1+")
    assert length.stored_version({"min_chars": 5}, teachers) == \
        length.stored_version({"min_chars": 5}, other)
    assert length.stored_version({"min_chars": 5}, teachers) != \
        length.stored_version({"min_chars": 6}, teachers)
    judge = build_verifier("llm_judge", {"teacher": "big"})
    assert judge.stored_version({"teacher": "big"}, teachers) != \
        judge.stored_version({"teacher": "big"}, other)
