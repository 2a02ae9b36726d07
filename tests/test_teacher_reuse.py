"""A rerun of teacher_generations whose inputs are unchanged plans nothing: it takes the snapshot
a run stored whole (stages/teacher_reuse.py), and it and the budget check report what planning
again would. A changed spec or attribute file, a removed generation or a later round (whose
seeds come from the store) plans again."""

from pathlib import Path

import dagster as dg
import pytest

from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.stages import budget_stage, teacher_stage
from synth_assets.stages.partitions import GenerationPartition
from synth_assets.stages.seed_stage import run_seed_stage
from synth_assets.stages.teacher_reuse import teacher_input_key
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import TEST_DAY, stub_answer, write_pipeline_spec
from tests.test_budget_gate import MATH_CALLS, budget_check, run
from tests.test_generation_plan import planning_counted  # noqa: F401
from tests.test_recipes_builtin import write_spec

STAGES = ["seed_sets", "teacher_generations"]


def teacher_metadata(result: dg.ExecuteInProcessResult) -> dict:
    [event] = [e for e in result.get_asset_materialization_events()
               if e.asset_key.path[-1] == "teacher_generations"]
    return dict(event.materialization.metadata)


@pytest.fixture
def stub_spec(dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(stub_answer) as stub:
        spec = write_pipeline_spec(tmp_path / "spec", stub.base_url)
        monkeypatch.setenv("SYNTH_SPEC", str(spec))
        yield spec


def test_a_rerun_plans_nothing_and_reports_what_planning_again_would(
    stub_spec: Path, planning_counted: list[str], monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    first = run(STAGES)
    assert first.success and planning_counted == [f"{TEST_DAY}|math_cot"]
    reused = run(STAGES)
    assert reused.success and len(planning_counted) == 1
    # The same run with reuse turned off plans, finds every generation stored, and reports
    # exactly what the reused run reported.
    for module in (teacher_stage, budget_stage):
        monkeypatch.setattr(module, "stored_teacher_run", lambda store, key: None)
    planned = run(STAGES)
    assert planned.success and len(planning_counted) == 2
    assert teacher_metadata(reused) == teacher_metadata(planned)
    assert teacher_metadata(reused)["snapshot_id"] == teacher_metadata(first)["snapshot_id"]
    assert teacher_metadata(reused)["teacher_calls_cached"].value == MATH_CALLS
    assert budget_check(reused).metadata == budget_check(planned).metadata
    assert budget_check(reused).metadata["teacher_calls_to_make"].value == 0


def test_a_removed_generation_or_an_edited_spec_plans_again(
    stub_spec: Path, planning_counted: list[str], dagster_home: Path,  # noqa: F811
) -> None:
    assert run(STAGES).success
    store = LineageStore(dagster_home / "synth.duckdb")
    with store.writer() as writer:  # what `synth forget` does to a generation
        [(removed,)] = writer.connection.execute(
            "SELECT generation_id FROM generations ORDER BY generation_id LIMIT 1").fetchall()
        writer.delete("generations", "generation_id", [removed])
    again = run(STAGES)
    assert again.success and len(planning_counted) == 2
    assert teacher_metadata(again)["new_generations"].value == 1    # stored again from cache
    assert run(STAGES).success and len(planning_counted) == 2      # whole again: reused

    stub_spec.write_text(stub_spec.read_text() + "# edited\n")
    assert run(STAGES).success and len(planning_counted) == 3


def test_the_key_covers_attribute_files_and_later_rounds_have_none(tmp_path: Path) -> None:
    folder = tmp_path / "spec"
    folder.mkdir()
    tones = folder / "tones.txt"
    tones.write_text("calm\nbrisk\n", encoding="utf-8")
    spec = write_spec(folder, {
        "plain": {"seed_set": "docs", "teacher": "t", "domain": "general",
                  "template": "Summarize in a {{ tone }} tone: {{ text }}",
                  "attributes": {"tone": {"file": "tones.txt"}}},
        "retold": {"seeds_from": {"recipe": "plain"}, "teacher": "t", "domain": "general",
                   "template": "Retell: {{ text }}"},
    })
    loaded = load_spec(spec)
    seeds = run_seed_stage(LineageStore(tmp_path / "synth.duckdb"), loaded).seeds
    partition = GenerationPartition("2026-11-16", "plain")
    key = teacher_input_key(loaded, seeds, partition)
    assert key is not None and key == teacher_input_key(loaded, seeds, partition)
    assert teacher_input_key(loaded, seeds, GenerationPartition("2026-11-17", "plain")) != key
    tones.write_text("calm\nbrisk\nwry\n", encoding="utf-8")
    assert teacher_input_key(loaded, seeds, partition) != key
    # A later round's seeds are verified records of the store, an unpartitioned run plans
    # every recipe: both plan every run.
    assert teacher_input_key(loaded, seeds, GenerationPartition("2026-11-16", "retold")) is None
    assert teacher_input_key(loaded, seeds, None) is None
