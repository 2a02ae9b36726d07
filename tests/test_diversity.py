"""Diversity metrics, and the blocking GE check that turns a collapse into a failure."""

from pathlib import Path

import dagster as dg
import pytest
import yaml

from synth_assets.checks.diversity_suite import diversity_expectations, diversity_frame
from synth_assets.checks.ge_adapter import validate_frame
from synth_assets.metrics.diversity import measure
from synth_assets.spec.model import QualitySpec
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import run_pipeline

VARIED = [
    "The tide rises twice a day because the Moon pulls on the oceans.",
    "Bees fan nectar with their wings until the water evaporates.",
    "A budget lists what you earn and what you plan to spend each month.",
    "Expansion joints let a bridge deck move when the steel warms up.",
    "Compost needs air, moisture and a mix of green and brown waste.",
    "Public libraries lent books for free, paid for by local taxes.",
]
NEAR_IDENTICAL = [
    "I am sorry, but as an assistant I cannot help with that request. Please ask me something "
    "else, for example a question about science, history, cooking or travel, and I will do my "
    f"best to give you a clear and useful answer, version {i}."
    for i in range(6)
]


def test_varied_texts_score_as_diverse() -> None:
    report = measure(VARIED)
    assert report.distinct_2 > 0.9 and report.distinct_1 > 0.7
    assert report.exact_duplicate_share == report.near_duplicate_share == 0.0
    assert report.mean_pairwise_similarity < 0.3


def test_copies_and_near_copies_are_counted_once_each() -> None:
    report = measure(NEAR_IDENTICAL + [NEAR_IDENTICAL[0].upper()])
    assert report.exact_duplicate_share == pytest.approx(1 / 7)
    assert report.near_duplicate_share == pytest.approx(5 / 7)
    assert report.distinct_2 < 0.3
    assert report.compression_ratio > measure(VARIED).compression_ratio
    assert report.mean_pairwise_similarity > 0.8


def test_pairwise_similarity_is_sampled_and_reproducible() -> None:
    texts = [f"text number {i} about {i % 7} things" for i in range(200)]
    assert measure(texts).mean_pairwise_similarity == measure(texts).mean_pairwise_similarity


def check(texts: list[str], recipe: str = "r") -> dg.AssetCheckResult:
    import pandas as pd

    frame = diversity_frame(pd.DataFrame({"recipe": [recipe] * len(texts), "text": texts}))
    quality = QualitySpec(min_distinct_2=0.5, max_duplicate_share=0.3)
    return validate_frame(frame, diversity_expectations(quality), "diversity")


def test_ge_check_fails_near_identical_and_passes_varied() -> None:
    failed = check(NEAR_IDENTICAL)
    assert not failed.passed
    assert "distinct-2" in failed.metadata["failed_expectations"].value
    assert "duplicates" in failed.metadata["failed_expectations"].value
    assert check(VARIED).passed


def test_collapsed_teacher_fails_the_blocking_check_and_stops_the_run(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text("".join(f'{{"instruction": "Tell me fact {i}."}}\n' for i in range(6)))
    with OpenAIStub(lambda request: NEAR_IDENTICAL[0]) as stub:
        spec = {
            "version": 1,
            "seed_sets": {"chat": {"path": str(seeds), "kind": "instruction"}},
            "teachers": {"stub": {"model": "openai/stub", "api_base": stub.base_url,
                                  "api_key_env": "STUB_TEACHER_KEY"}},
            "recipes": {"chat": {"seed_set": "chat", "teacher": "stub", "domain": "general",
                                 "template": "{{ instruction }}"}},
            "quality": {"min_distinct_2": 0.3, "max_duplicate_share": 0.5},
        }
        path = tmp_path / "pipeline.yaml"
        path.write_text(yaml.safe_dump(spec), encoding="utf-8")
        monkeypatch.setenv("SYNTH_SPEC", str(path))
        monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test")
        with dg.DagsterInstance.get() as instance:
            runs = run_pipeline(instance)
    assert not runs.success
    [(_, result)] = runs.runs
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["teacher_generations_diversity"].passed
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert materialized == {"seed_sets", "teacher_generations"}
    metadata = result.asset_materializations_for_node("teacher_generations")[0].metadata
    assert metadata["diversity/exact_duplicate_share"].value == pytest.approx(5 / 6)
    assert metadata["diversity/chat/distinct_2"].value < 0.3
