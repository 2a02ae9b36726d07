"""Each built-in recipe's default verifier set over its hand-labelled answers
(tests/data/recipe_labelled/<recipe>.jsonl): it rejects at least 95% of the bad answers and
admits at least 90% of the good ones. benchmarks/recipe_verifiers.py prints the figures per
verifier."""

from pathlib import Path

import pytest

from synth_assets.spec.builtins import builtin_names
from tests.recipe_labelled import every_builtin_spec, judge, labelled, rates

# Checks that say nothing about what a recipe asked for.
GENERIC = {"length", "format", "refusal", "language", "preamble", "truncation", "repetition",
           "math_repetition", "gopher_quality"}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    return every_builtin_spec(tmp_path_factory.mktemp("spec"))


@pytest.mark.parametrize("recipe", builtin_names())
def test_default_set_rejects_the_bad_and_admits_the_good(loaded, recipe: str) -> None:
    examples = labelled(recipe)
    assert sum(e["label"] == "good" for e in examples) >= 15
    assert sum(e["label"] == "bad" for e in examples) >= 15
    judged = judge(loaded, recipe)
    rejected, admitted = rates(judged)
    admitted_bad = [j.why for j in judged if j.label == "bad" and j.admitted]
    rejected_good = [(j.why, [v.reason for v in j.verdicts.values() if not v.passed])
                     for j in judged if j.label == "good" and not j.admitted]
    assert rejected >= 0.95, admitted_bad
    assert admitted >= 0.90, rejected_good


@pytest.mark.parametrize("recipe", builtin_names())
def test_every_builtin_checks_what_its_prompt_asked(loaded, recipe: str) -> None:
    verifiers = loaded.spec.recipes[recipe].verifiers
    assert set(verifiers) - GENERIC, verifiers


def test_labelled_examples_name_why(tmp_path: Path) -> None:
    for recipe in builtin_names():
        assert all(example["why"].strip() for example in labelled(recipe)), recipe
