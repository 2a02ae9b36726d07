"""All five stages materialized in a temporary Dagster instance, with litellm talking HTTP to a
local OpenAI-compatible stub whose answers we choose."""

import json
from pathlib import Path

import dagster as dg
import pytest

from synth_assets.definitions import defs
from synth_assets.lineage.history import format_chain, lineage_chain
from synth_assets.lineage.store import LineageStore
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import EXPECTED, stub_answer, write_pipeline_spec

STAGES = ["seed_sets", "teacher_generations", "verified_subsets", "contamination_reports",
          "final_mixtures"]


def run_full_pipeline(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("full_pipeline")
    return job.execute_in_process(instance=instance, raise_on_error=False)


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
    result = run_full_pipeline(instance)
    assert result.success
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert materialized == set(STAGES)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {**{f"{stage}_expectations": True for stage in STAGES},
                      "teacher_generations_diversity": True, "verified_subsets_diversity": True,
                      "teacher_budget": True}

    counts = row_counts(store)
    assert counts["seeds"] == EXPECTED["seeds"]
    assert counts["generations"] == EXPECTED["generations"]
    assert counts["teacher_calls"] == EXPECTED["generations"]
    assert len(stub.requests) == EXPECTED["generations"]
    assert counts["contamination_verdicts"] == EXPECTED["verified"]

    verified = result.asset_materializations_for_node("verified_subsets")[0].metadata
    assert verified["judged"].value == EXPECTED["generations"]
    assert verified["passed"].value == EXPECTED["verified"]
    report = result.asset_materializations_for_node("contamination_reports")[0].metadata
    assert report["records_contaminated"].value == EXPECTED["contaminated"]
    assert report["records_clean"].value == EXPECTED["clean"]
    assert "gsm8k_test" in report["worst_hits"].value

    export = dagster_home / "exports" / "mix"
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["counts"] == {"synthetic": EXPECTED["mixture_synthetic"],
                                  "real": EXPECTED["mixture_real"],
                                  "total": EXPECTED["mixture_synthetic"] + EXPECTED["mixture_real"]}
    assert manifest["run_id"] == result.run_id
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
    assert run_full_pipeline(instance).success
    calls, counts = len(stub.requests), row_counts(store)
    assert run_full_pipeline(instance).success
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
            result = run_full_pipeline(instance)
    assert not result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    failed = checks["verified_subsets_expectations"]
    assert not failed.passed
    assert "pass rate" in failed.metadata["failed_expectations"].value
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert materialized == {"seed_sets", "teacher_generations", "verified_subsets"}
