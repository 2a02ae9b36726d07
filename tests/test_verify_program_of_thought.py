import pytest

from synth_assets.verify import Candidate, build_verifier, verify_all

QUESTION = {"question": "Ann has 3 boxes with 4 pens each. How many pens?", "answer": "12"}


def pot(text: str, seed: dict = QUESTION, **options):
    return build_verifier("program_of_thought", options).verify(Candidate(text=text, seed=seed))


def test_a_function_computing_the_gold_answer_passes() -> None:
    response = ("Let me write it as code.\n```python\ndef solution():\n    boxes = 3\n"
                "    pens_per_box = 4\n    return boxes * pens_per_box\n```")
    verdict = pot(response)
    assert verdict.passed and verdict.score == 1.0
    assert verdict.evidence == "result=12 gold=12"


@pytest.mark.parametrize(("body", "gold"), [
    ("return 12.0", "12"),
    ("from fractions import Fraction\n    return Fraction(3, 4)", "0.75"),
    ("return '1,200'", "1200"),
    ("return 25 / 100", "25%"),
])
def test_results_are_compared_like_math_answers(body: str, gold: str) -> None:
    assert pot(f"def solution():\n    {body}\n", {"answer": gold}).passed


@pytest.mark.parametrize(("text", "reason"), [
    ("def solution():\n    return 3 + 4\n", "the program's result differs from the gold answer"),
    ("def solution():\n    return 1 / 0\n", "the program failed: ZeroDivisionError"),
    ("def answer():\n    return 12\n",
     "the program failed: NameError: the solution does not define solution()"),
    ("def solution():\n    while True:\n        pass\n", "the program timed out after 1s"),
    ("def solution():\n    return [12]\n",
     "the program failed: TypeError: solution() returned a 'list'"),
    ("import os\nos._exit(0)\ndef solution():\n    return 12\n",
     "the program exited before returning its result"),
])
def test_failures_say_why(text: str, reason: str) -> None:
    verdict = pot(text, timeout_s=1)
    assert not verdict.passed
    assert verdict.reason.startswith(reason), (verdict.reason, verdict.evidence)


def test_entry_point_is_configurable() -> None:
    assert pot("def compute():\n    return 12\n", entry_point="compute").passed


def test_without_gold_the_majority_result_over_the_samples_wins() -> None:
    texts = ("def solution():\n    return 3 * 4\n", "def solution():\n    return 4 + 4 + 4\n",
             "def solution():\n    return 3 + 4\n")
    verifier = build_verifier("program_of_thought", {})
    candidates = [Candidate(text=t, seed={"question": "q"}, siblings=texts) for t in texts]
    verdicts = verify_all(verifier, candidates)
    assert [v.passed for v in verdicts] == [True, True, False]
    assert verdicts[0].evidence == "extracted=12 majority=12 agreement=2/3"


def test_bad_options_are_rejected() -> None:
    with pytest.raises(ValueError, match="entry_point"):
        build_verifier("program_of_thought", {"entry_point": "not a name"})
