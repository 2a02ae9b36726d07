"""The generation plan is computed once per run: the budget check on seed_sets plans the run's
partition and stores the plan, the budget gate and the teacher step of the same run read it back
(the same generations, requests and prompts as planning anew), and the plan is gone once the
teacher step has answered it. A changed spec or a data-removal request never reads a stale
plan; a later run with unchanged inputs plans nothing (tests/test_teacher_reuse.py)."""

from pathlib import Path

import pytest

from synth_assets.lineage.store import LineageStore
from synth_assets.stages import generation_plan
from synth_assets.stages.generation_plan import plan_generations, plan_of_run
from synth_assets.stages.partitions import GenerationPartition
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import TEST_DAY, stub_answer, write_pipeline_spec
from tests.teacher_fixture import seeded
from tests.test_budget_gate import MATH_CALLS, materialized, run
from tests.test_recipes_builtin import write_spec


def plan_rows(store: LineageStore) -> dict[str, int]:
    with store.connection() as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("generation_plans", "planned_generations", "planned_prompts")}


@pytest.fixture
def planning_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The partitions plan_generations is asked to plan (it still plans them)."""
    asked: list[str] = []
    real = generation_plan.plan_generations

    def counted(store, loaded, seeds, partition=None):
        asked.append(partition.key)
        return real(store, loaded, seeds, partition)

    monkeypatch.setattr(generation_plan, "plan_generations", counted)
    return asked


def test_a_run_plans_its_partition_once(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    planning_counted: list[str],
) -> None:
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(stub_answer) as stub:
        monkeypatch.setenv("SYNTH_SPEC", str(write_pipeline_spec(tmp_path / "spec",
                                                                 stub.base_url)))
        # A budget, so the teacher step's own gate reads the plan as well as the check.
        first = run(["seed_sets", "teacher_generations"])
        assert first.success and materialized(first) == {"seed_sets", "teacher_generations"}
        assert planning_counted == [f"{TEST_DAY}|math_cot"]
        assert len(stub.requests) == MATH_CALLS
        store = LineageStore(dagster_home / "synth.duckdb")
        assert set(plan_rows(store).values()) == {0}

        # The next run with the same inputs plans nothing (stages.teacher_reuse): every
        # generation is stored.
        again = run(["seed_sets", "teacher_generations"])
        assert again.success and len(planning_counted) == 1
        assert len(stub.requests) == MATH_CALLS
        [teacher] = [e for e in again.get_asset_materialization_events()
                     if e.asset_key.path[-1] == "teacher_generations"]
        metadata = teacher.materialization.metadata
        assert metadata["planned"].value == MATH_CALLS
        assert metadata["new_generations"].value == 0


def spec_and_seeds(tmp_path: Path, samples: int = 2):
    spec = write_spec(tmp_path / "spec", {
        "stories": {"builtin": "tinystories", "teacher": "t", "samples_per_seed": samples}})
    store = LineageStore(tmp_path / "synth.duckdb")
    loaded, seeds = seeded(store, spec)
    return store, loaded, seeds


def test_the_stored_plan_is_the_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generation_plan, "WINDOW", 7)  # several windows, the last one short
    store, loaded, seeds = spec_and_seeds(tmp_path)
    partition = GenerationPartition("2026-11-16", "stories")
    planned = plan_generations(store, loaded, seeds, partition).generations
    assert len(planned) > 2 * 7 and len(planned) % 7

    written = plan_of_run(store, loaded, seeds, partition, "run-1")
    read = plan_of_run(store, loaded, seeds, partition, "run-1")
    assert read.plan_id == written.plan_id and read.planned == len(planned)
    back = []
    for first in read.window_starts():
        stored, window = read.generations_at(first)
        assert stored == []
        back += window
    assert back == planned
    assert [g.generation_id for g in back] == [g.generation_id for g in planned]

    # Generations already stored come back as ids only; calls cached as ids only.
    _, window = read.generations_at(0)
    count, cached, uncached = read.calls_at(0)
    assert count == len(window) == 7 and cached == set() and uncached == window
    read.discard()
    assert set(plan_rows(store).values()) == {0}


def test_no_stale_plan_is_read(tmp_path: Path) -> None:
    store, loaded, seeds = spec_and_seeds(tmp_path)
    partition = GenerationPartition("2026-11-16", "stories")
    first = plan_of_run(store, loaded, seeds, partition, "run-1")
    # Another run, other seeds, or no run at all: planned anew, and the partition keeps one plan.
    assert plan_of_run(store, loaded, seeds, partition, "run-2").plan_id != first.plan_id
    used = plan_generations(store, loaded, seeds, partition).generations[0].seed.seed_id
    fewer = [seed for seed in seeds if seed.seed_id != used]
    assert plan_of_run(store, loaded, fewer, partition, "run-2").planned < first.planned
    assert plan_rows(store)["generation_plans"] == 1

    # A spec with more samples changes the spec hash: the same run plans anew.
    store, more, seeds = spec_and_seeds(tmp_path, samples=3)
    again = plan_of_run(store, more, seeds, partition, "run-2")
    assert again.planned == first.planned // 2 * 3


def test_a_plan_stopped_midway_is_never_read(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    store, loaded, seeds = spec_and_seeds(tmp_path)
    partition = GenerationPartition("2026-11-16", "stories")
    real = generation_plan.planned_windows

    def stopping_after_one_window(plan, size):
        windows = real(plan, size)
        yield next(windows)
        raise KeyboardInterrupt

    monkeypatch.setattr(generation_plan, "WINDOW", 3)
    monkeypatch.setattr(generation_plan, "planned_windows", stopping_after_one_window)
    with pytest.raises(KeyboardInterrupt):
        plan_of_run(store, loaded, seeds, partition, "run-1")
    assert plan_rows(store)["planned_generations"] == 3
    monkeypatch.setattr(generation_plan, "planned_windows", real)
    complete = plan_of_run(store, loaded, seeds, partition, "run-1")
    assert complete.planned == len(plan_generations(store, loaded, seeds, partition).generations)
    assert plan_rows(store) == {"generation_plans": 1, "planned_generations": complete.planned,
                                "planned_prompts": complete.planned // 2}  # 2 samples each
