"""All five stages materialized in a temporary Dagster instance, with litellm talking HTTP to a
local OpenAI-compatible stub whose answers we choose."""

import json
from pathlib import Path

import dagster as dg
import pytest

from synth_assets.lineage.history import format_chain, lineage_chain
from synth_assets.lineage.store import LineageStore
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import (
    EXPECTED,
    TEST_DAY,
    run_pipeline,
    stub_answer,
    varied_answer,
    write_pipeline_spec,
)

STAGES = ["seed_sets", "teacher_generations", "verified_subsets", "contamination_reports",
          "final_mixtures", "preference_sets"]
RECIPES = ["math_cot", "code", "chat"]


def row_counts(store: LineageStore) -> dict[str, int]:
    return {row["table_name"]: row["row_count"] for row in store.query("table_row_counts")}


@pytest.fixture
def stub_pipeline(dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with OpenAIStub(stub_answer) as stub:
        monkeypatch.setenv("SYNTH_SPEC", str(write_pipeline_spec(tmp_path / "spec", stub.base_url)))
        monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
        with dg.DagsterInstance.get() as instance:
            yield stub, instance, LineageStore(dagster_home / "synth.duckdb")


def test_every_stage_materializes_with_exact_counts(stub_pipeline, dagster_home: Path) -> None:
    stub, instance, store = stub_pipeline
    runs = run_pipeline(instance)
    assert runs.success
    # One generation run per recipe partition of the day, then one publishing run.
    assert [name for name, _ in runs.runs] == [f"{TEST_DAY} {r}" for r in RECIPES] + ["publish"]
    assert runs.materialized() == set(STAGES)
    checks = [(e.check_name, e.passed) for e in runs.check_evaluations()]
    assert sorted(checks) == sorted(
        [(name, True) for name in ["seed_sets_expectations", "teacher_budget",
                                   "teacher_generations_expectations",
                                   "teacher_generations_diversity",
                                   "verified_subsets_expectations",
                                   "verified_subsets_diversity"]] * len(RECIPES)
        + [("contamination_reports_expectations", True), ("final_mixtures_expectations", True),
           ("preference_sets_expectations", True)])
    partitions = instance.get_materialized_partitions(dg.AssetKey("verified_subsets"))
    assert partitions == {f"{TEST_DAY}|{recipe}" for recipe in RECIPES}
    publish = runs.runs[-1][1]

    counts = row_counts(store)
    assert counts["seeds"] == EXPECTED["seeds"]
    assert counts["generations"] == EXPECTED["generations"]
    assert counts["teacher_calls"] == EXPECTED["generations"]
    assert len(stub.requests) == EXPECTED["generations"]
    assert counts["contamination_verdicts"] == EXPECTED["verified"]

    verified = [result.asset_materializations_for_node("verified_subsets")[0].metadata
                for _, result in runs.runs[:-1]]
    assert sum(m["judged"].value for m in verified) == EXPECTED["generations"]
    assert sum(m["passed"].value for m in verified) == EXPECTED["verified"]
    report = publish.asset_materializations_for_node("contamination_reports")[0].metadata
    assert report["records_scanned"].value == EXPECTED["verified"]
    assert report["records_contaminated"].value == EXPECTED["contaminated"]
    assert report["records_clean"].value == EXPECTED["clean"]
    assert "gsm8k_test" in report["worst_hits"].value

    export = dagster_home / "exports" / "mix"
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["counts"] == {"synthetic": EXPECTED["mixture_synthetic"],
                                  "real": EXPECTED["mixture_real"],
                                  "total": EXPECTED["mixture_synthetic"] + EXPECTED["mixture_real"]}
    assert manifest["run_id"] == publish.run_id
    rows = [json.loads(line) for line in (export / "data.jsonl").read_text().splitlines()]
    assert len(rows) == 8 and (export / "data.parquet").stat().st_size > 0
    assert all("Similar to:" not in row["response"] for row in rows), "contaminated record exported"
    assert all(row["messages"][1]["content"] == row["response"] for row in rows)

    synthetic = next(row for row in rows if row["source_kind"] == "synthetic"
                     and row["domain"] == "math")
    chain = lineage_chain(store, synthetic["id"])
    kinds = [node["kind"] for node in chain]
    for kind in ["seed", "prompt", "teacher_call", "generation", "verdict",
                 "contamination_verdict", "mixture_record"]:
        assert kind in kinds, f"{kind} missing from lineage of {synthetic['id']}: {kinds}"
    call = next(node for node in chain if node["kind"] == "teacher_call")
    assert json.loads(call["details"])["model"] == "openai/stub-teacher"
    assert "sk-test-not-a-secret" not in format_chain(chain, full=True)


def test_second_materialization_makes_no_calls_and_adds_no_rows(stub_pipeline) -> None:
    stub, instance, store = stub_pipeline
    assert run_pipeline(instance).success
    calls, counts = len(stub.requests), row_counts(store)
    assert run_pipeline(instance).success
    assert len(stub.requests) == calls
    assert row_counts(store) == counts


def test_failing_expectation_stops_downstream_stages(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub(stub_answer) as stub:
        spec = write_pipeline_spec(tmp_path / "spec", stub.base_url, min_pass_rate=0.9)
        monkeypatch.setenv("SYNTH_SPEC", str(spec))
        monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
        with dg.DagsterInstance.get() as instance:
            runs = run_pipeline(instance)
    assert not runs.success
    assert len(runs.runs) == 1  # the first recipe's run failed, nothing ran after it
    checks = {e.check_name: e for e in runs.check_evaluations()}
    failed = checks["verified_subsets_expectations"]
    assert not failed.passed
    assert "pass rate" in failed.metadata["failed_expectations"].value
    assert runs.materialized() == {"seed_sets", "teacher_generations", "verified_subsets"}


def test_three_days_each_add_generations_and_the_mixture_draws_on_all(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    days = ["2026-11-18", "2026-11-19", TEST_DAY]
    with OpenAIStub(varied_answer) as stub, dg.DagsterInstance.get() as instance:
        monkeypatch.setenv("SYNTH_SPEC", str(write_pipeline_spec(tmp_path / "spec",
                                                                  stub.base_url)))
        runs = run_pipeline(instance, days)
        store = LineageStore(dagster_home / "synth.duckdb")
        assert runs.success
        assert len(runs.runs) == len(days) * len(RECIPES) + 1
        # Each day draws new samples of every prompt: three days, three times the calls.
        assert len(stub.requests) == len(days) * EXPECTED["generations"]
        assert row_counts(store)["generations"] == len(days) * EXPECTED["generations"]
        assert len({(r["messages"][-1]["content"], r["seed"]) for r in stub.requests}) == \
            len(days) * EXPECTED["generations"]
        expected_partitions = {f"{day}|{recipe}" for day in days for recipe in RECIPES}
        for stage in ["teacher_generations", "verified_subsets"]:
            assert instance.get_materialized_partitions(dg.AssetKey(stage)) == expected_partitions
            heads = store.query("partition_heads_of_stage", stage=stage)
            assert {h["partition_key"] for h in heads} == expected_partitions

        heads = store.query("partition_heads_of_stage", stage="verified_subsets")
        verified_by_day = {day: set() for day in days}
        for head in heads:
            day = head["partition_key"].split("|")[0]
            verified_by_day[day] |= {r["record_id"] for r in store.query(
                "snapshot_member_ids", snapshot_id=head["snapshot_id"])}
        assert all(verified_by_day.values()), verified_by_day
        publish = runs.runs[-1][1]
        report = publish.asset_materializations_for_node("contamination_reports")[0].metadata
        assert report["records_scanned"].value == len(set().union(*verified_by_day.values()))
        mixture = publish.asset_materializations_for_node("final_mixtures")[0].metadata
        assert mixture["mix/synthetic"].value > EXPECTED["mixture_synthetic"]
