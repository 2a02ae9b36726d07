import time

import pytest

from synth_assets.verify import Candidate, Verifier, build_verifier, verify_all


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("math_answer", {}),
        ("math_answer", {"tolerance": 0.01}),
        ("python_tests", {"timeout_s": 5, "memory_mb": 256}),
        ("length", {"min_chars": 1, "max_chars": 10}),
        ("program_of_thought", {"entry_point": "compute", "timeout_s": 2}),
        ("llm_judge", {"teacher": "judge", "scale_max": 5}),
        ("refusal", {"max_repetition": 0.3}),
        ("language", {"languages": ["de", "en"]}),
        ("json_schema", {"schema": {"type": "object"}}),
        ("required_words", {"attributes": ["verb", "noun"]}),
        ("grounding", {"source_fields": ["instruction", "draft"], "min_coverage": None}),
        ("evolution", {"max_similarity": 0.8}),
        ("self_instruct_task", {"max_output_words": 80}),
        ("worked_solution", {"timeout_s": 2}),
        ("program_computes", {"entry_point": "compute"}),
    ],
)
def test_builds_each_kind_with_its_options(kind: str, options: dict) -> None:
    verifier: Verifier = build_verifier(kind, options)
    assert verifier.name == kind
    assert verifier.version
    for option, value in options.items():
        assert getattr(verifier, option) == value


def test_unknown_kind_is_named() -> None:
    with pytest.raises(ValueError,
                       match="'regex_match'.*known kinds: .*format, .*json_schema, language, "):
        build_verifier("regex_match", {})


def test_unknown_option_is_named() -> None:
    with pytest.raises(ValueError, match="'timeout'.*'python_tests'.*known options: memory_mb"):
        build_verifier("python_tests", {"timeout": 5})


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("math_answer", {"tolerance": -1}),
        ("python_tests", {"timeout_s": 0}),
        ("python_tests", {"memory_mb": "512"}),
    ],
)
def test_bad_option_values_are_rejected(kind: str, options: dict) -> None:
    with pytest.raises(ValueError, match=kind):
        build_verifier(kind, options)


def test_verify_all_keeps_input_order() -> None:
    verifier = build_verifier("math_answer", {})
    candidates = [
        Candidate(text=f"The answer is {n}", seed={"question": "q", "answer": str(n % 3)})
        for n in range(50)
    ]
    verdicts = verify_all(verifier, candidates)
    assert [verdict.passed for verdict in verdicts] == [n < 3 for n in range(50)]
    assert verify_all(verifier, []) == []


def test_verify_all_runs_sandboxed_candidates_in_parallel_and_in_order() -> None:
    seed = {
        "prompt": "def nap(seconds):\n",
        "entry_point": "nap",
        "tests": "def check(candidate):\n    assert candidate(0) == 0\n",
    }
    # Later candidates finish first; the last one fails.
    texts = [
        f"    import time\n    time.sleep({0.8 - 0.2 * i})\n    return seconds\n" for i in range(4)
    ]
    texts[-1] = "    return 1\n"
    start = time.monotonic()
    verdicts = verify_all(
        build_verifier("python_tests", {}), [Candidate(text=t, seed=seed) for t in texts], 4
    )
    elapsed = time.monotonic() - start
    assert [verdict.passed for verdict in verdicts] == [True, True, True, False]
    assert elapsed < 0.8 + 0.6 + 0.4  # the sleeps alone, run one after another
