"""Diversity metrics, and the blocking GE check that turns a collapse into a failure."""

import random
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import yaml

from synth_assets.defs.diversity.suite import (
    diversity_check_frame,
    diversity_expectations,
    diversity_frame,
    with_drop_floor,
)
from synth_assets.defs.ge_adapter import validate_frame
from synth_assets.lineage.store import LineageStore
from synth_assets.metrics.diversity import SAMPLE_WORDS, measure
from synth_assets.spec import DEFAULT_SPEC_PATH
from synth_assets.spec.model import QualitySpec
from tests.conftest import gsm8k_rows
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import run_pipeline

DATA = Path(__file__).resolve().parent / "data"

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


def check(texts: list[str], quality: QualitySpec | None = None) -> dg.AssetCheckResult:
    """The diversity suite on one recipe's texts, with no earlier partitions."""
    quality = quality or QualitySpec(min_distinct_2=0.5, max_duplicate_share=0.3)
    frame = diversity_frame(pd.DataFrame({"recipe": ["r"] * len(texts), "text": texts}))
    return validate_frame(with_drop_floor(frame, {}, quality), diversity_expectations(quality),
                          "diversity")


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


def gsm8k_solutions() -> list[str]:
    """The 7,473 human-written solutions of GSM8K train."""
    return [row["answer"] for row in gsm8k_rows("train")]


COLLAPSE_TEMPLATES = [
    "{name} buys {n} apples at the market. Each apple costs 2 dollars, so the apples cost "
    "2 times the number of apples in dollars. Then {name} pays with a bill and gets the change "
    "back. The answer is the total cost of the apples.",
    "First we find how many pages {name} reads in a week. {name} reads {n} pages every day, and "
    "a week has 7 days, so we multiply the pages per day by 7. That gives the number of pages "
    "read in one week, which is the answer.",
    "To solve this we add the two amounts together. {name} had {n} marbles and a friend gave "
    "some more marbles, so we add the marbles from the friend to the marbles {name} had. The "
    "sum is the number of marbles now, and that is the answer.",
    "We need the distance travelled. {name} drives at {n} miles per hour for 3 hours, so the "
    "distance is the speed times the time. Multiply the speed by 3 hours to get the distance "
    "in miles, and that distance is the final answer.",
]
NAMES = ["Ann", "Ben", "Carla", "Dev", "Eli", "Fay", "Gus", "Hana"]


def collapsed(count: int) -> list[str]:
    """A collapsed teacher: a few templates repeated with small edits (a name and a number)."""
    rng = random.Random(count)
    return [rng.choice(COLLAPSE_TEMPLATES).format(name=rng.choice(NAMES), n=rng.randint(2, 999))
            for _ in range(count)]


def default_quality() -> QualitySpec:
    return QualitySpec(**yaml.safe_load(DEFAULT_SPEC_PATH.read_text())["quality"])


@pytest.mark.parametrize("size", [500, 2000, 7473])
def test_human_solutions_pass_and_a_collapse_fails_the_default_floors_at_every_size(
    size: int
) -> None:
    quality = default_quality()
    human = random.Random(size).sample(gsm8k_solutions(), size)
    passed = check(human, quality)
    assert passed.passed, passed.description
    failed = check(collapsed(size), quality)
    assert not failed.passed
    assert "distinct-2 (on fixed-size samples)" in failed.metadata["failed_expectations"].value


def test_sampled_distinct_2_means_the_same_at_every_size() -> None:
    solutions = gsm8k_solutions()
    reports = [measure(random.Random(size).sample(solutions, size)) for size in (500, 2000, 7473)]
    values = [report.distinct_2 for report in reports]
    assert max(values) - min(values) < 0.03, values
    assert all(report.sampled_words == SAMPLE_WORDS for report in reports)
    assert all(0 < report.distinct_2_spread < 0.03 for report in reports)
    collapsed_values = [measure(collapsed(size)).distinct_2 for size in (500, 2000, 7473)]
    assert max(collapsed_values) - min(collapsed_values) < 0.03, collapsed_values
    assert max(collapsed_values) < min(values) / 2


def store_partition(store: LineageStore, day: str, texts: list[str]) -> str:
    """Generations of recipe `chat` stored as the teacher_generations partition of `day`."""
    ids = [f"gen_{day}_{index}" for index in range(len(texts))]
    with store.writer() as writer:
        writer.insert_new("generations", [
            {"generation_id": gid, "recipe": "chat", "prompt_id": f"prm_{gid}",
             "call_id": f"call_{gid}", "seed_id": "seed_0", "sample_index": 0, "text": text}
            for gid, text in zip(ids, texts, strict=True)])
        return writer.record_partition_snapshot("teacher_generations", f"{day}|chat", ids)


def test_a_fall_below_earlier_partitions_fails_even_above_the_floor(tmp_path: Path) -> None:
    """Day 3 keeps distinct-2 above a lenient floor but far below days 1 and 2: a collapse
    under way. A day as varied as the earlier ones passes; so does a recipe's first day."""
    quality = QualitySpec(min_distinct_2=0.05, max_distinct_2_drop=0.3)
    store = LineageStore(tmp_path / "synth.duckdb")
    solutions = gsm8k_solutions()
    first = store_partition(store, "2026-11-01", solutions[:400])
    second = store_partition(store, "2026-11-02", solutions[400:800])
    half_collapsed = collapsed(300) + solutions[800:900]
    falling = store_partition(store, "2026-11-03", half_collapsed)
    steady = store_partition(store, "2026-11-04", solutions[900:1300])

    def evaluate(snapshot_id: str) -> dg.AssetCheckResult:
        frame = diversity_check_frame(store, snapshot_id, quality)
        return validate_frame(frame, diversity_expectations(quality), "diversity")

    assert evaluate(first).passed and evaluate(second).passed
    result = evaluate(falling)
    assert not result.passed
    assert result.metadata["failed_expectations"].value.startswith(
        "no recipe's distinct-2 dropped more than 30%")
    frame = diversity_check_frame(store, falling, quality)
    assert frame.loc[0, "distinct_2"] > quality.min_distinct_2
    assert evaluate(steady).passed


def test_diversity_is_measured_once_per_snapshot(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    snapshot = store_partition(store, "2026-11-01", gsm8k_solutions()[:50])
    quality = QualitySpec()
    first = diversity_check_frame(store, snapshot, quality)
    assert len(store.query_frame("diversity_of_snapshot", snapshot_id=snapshot)) == 2
    pd.testing.assert_frame_equal(diversity_check_frame(store, snapshot, quality), first,
                                  check_dtype=False)
