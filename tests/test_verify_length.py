import pytest

from synth_assets.verify import Candidate, build_verifier


@pytest.mark.parametrize(
    ("text", "options", "passed", "reason"),
    [
        ("  hello  ", {"min_chars": 5, "max_chars": 5}, True, "length within bounds"),
        ("hello", {"min_chars": 6}, False, "shorter than 6 characters"),
        ("hello", {"max_chars": 4}, False, "longer than 4 characters"),
        ("   \n ", {}, False, "shorter than 1 characters"),  # default: non-empty
        ("x" * 100_000, {}, True, "length within bounds"),  # default: no upper bound
    ],
)
def test_length_bounds_on_stripped_text(
    text: str, options: dict, passed: bool, reason: str
) -> None:
    verdict = build_verifier("length", options).verify(Candidate(text=text, seed={}))
    assert verdict.passed is passed
    assert verdict.score == (1.0 if passed else 0.0)
    assert verdict.reason == reason


def test_evidence_shows_the_count_and_bounds() -> None:
    verdict = build_verifier("length", {"min_chars": 2, "max_chars": 10}).verify(
        Candidate(text=" abc ", seed={"instruction": "say abc"})
    )
    assert verdict.evidence == "chars=3 min=2 max=10"


@pytest.mark.parametrize(
    "options", [{"min_chars": -1}, {"min_chars": 10, "max_chars": 5}, {"max_chars": "ten"}]
)
def test_bad_bounds_are_rejected(options: dict) -> None:
    with pytest.raises(ValueError, match="length"):
        build_verifier("length", options)
