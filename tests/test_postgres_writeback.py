"""What an analytic stage writes in its DuckDB working copy of a PostgreSQL store reaches
PostgreSQL as it would a DuckDB store: rows it added, and rows it replaced (a moved partition
head, a rebuilt preference set's stored result, a completed generation plan), which DuckDB
rewrites in place. A row the stage did not touch is not sent back, so a head another run moved
on PostgreSQL meanwhile stays where that run put it; a deletion in the copy is refused. The same
steps run on a DuckDB store give the same end state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from synth_assets.lineage.copy import analytic_store, copy_store
from synth_assets.lineage.location import open_store
from synth_assets.stages.preference_stage import run_preference_stage
from tests.test_preference_sets import PairingStore, failing, passing

if TYPE_CHECKING:
    from synth_assets.lineage.location import Store

STAGE = "teacher_generations"
TODAY, OTHER = "2026-11-20|cot", "2026-11-20|code"


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "duckdb":
        return open_store(tmp_path / "synth.duckdb")
    return open_store(request.getfixturevalue("postgres_url"))


def heads(store: Store) -> dict[str, str]:
    return {row["partition_key"]: row["snapshot_id"]
            for row in store.query("partition_heads_of_stage", stage=STAGE)}


def stored_rows(store: Store, table: str) -> list[dict]:
    rows = [row for batch in store.read_table(table, 1000) for row in batch.to_pylist()]
    return sorted(rows, key=lambda row: json.dumps(row, default=str))


def test_rows_a_stage_replaces_in_the_copy_reach_the_store(store: Store, tmp_path: Path
                                                           ) -> None:
    with store.writer() as writer:
        before = writer.record_partition_snapshot(STAGE, TODAY, ["gen_1"])
        other_before = writer.record_partition_snapshot(STAGE, OTHER, ["gen_5"])
        writer.insert_new("generation_plans", [{"plan_id": "plan_1", "partition_key": TODAY,
                                                "generations": None, "derived_seeds": "{}"}])
        writer.insert_new("preference_runs", [{
            "input_key": "prefrun_1", "preference_set": "p", "materialization_id": "pmat_1",
            "pairs_snapshot_id": "snap_p", "counts": "{}", "rl_prompts": 0,
            "export_digest": "first build"}])

    with analytic_store(store, tmp_path) as working:
        with working.writer() as writer:
            # a second run of the partition: a new snapshot, the head moves (INSERT OR REPLACE)
            moved = writer.record_partition_snapshot(STAGE, TODAY, ["gen_1", "gen_2"])
            new = writer.record_partition_snapshot(STAGE, "2026-11-21|cot", ["gen_3"])
            writer.execute("writes.sql", "complete_generation_plan", plan_id="plan_1",
                           generations=7)  # UPDATE
            writer.insert_with("preferences.sql", "store_preference_run", [{
                "input_key": "prefrun_1", "preference_set": "p", "materialization_id": "pmat_1",
                "pairs_snapshot_id": "snap_p", "counts": "{}", "rl_prompts": 0,
                "export_digest": "rebuilt"}])
        # meanwhile another run moves a head the stage never touched, on the store itself
        with store.writer() as writer:
            other_moved = writer.record_partition_snapshot(STAGE, OTHER, ["gen_5", "gen_6"])

    assert moved != before and other_moved != other_before
    assert heads(store) == {TODAY: moved, OTHER: other_moved, "2026-11-21|cot": new}
    members = {row["record_id"] for row in
               store.query("partition_head_members", partitioned_stage=STAGE)}
    assert members == {"gen_1", "gen_2", "gen_3", "gen_5", "gen_6"}
    [plan] = stored_rows(store, "generation_plans")
    assert plan["generations"] == 7
    [run] = stored_rows(store, "preference_runs")
    assert run["export_digest"] == "rebuilt"


def test_a_stage_that_replaces_nothing_sends_no_row_back(store: Store, tmp_path: Path) -> None:
    with store.writer() as writer:
        writer.record_partition_snapshot(STAGE, TODAY, ["gen_1"])
    with analytic_store(store, tmp_path) as working:
        with working.writer() as writer:
            added = writer.record_snapshot("contamination_reports", "*", ["scan_1"])
        with store.writer() as writer:  # another run moves the head while the copy is open
            moved = writer.record_partition_snapshot(STAGE, TODAY, ["gen_1", "gen_2"])
    assert heads(store) == {TODAY: moved}  # the copy's stale head did not undo it
    assert store.query("snapshot_size", snapshot_id=added)[0]["members"] == 1  # added: sent


def test_a_deletion_in_the_copy_is_refused_and_the_store_keeps_the_row(
    postgres_url: str, tmp_path: Path
) -> None:
    """(A DuckDB store is its own working copy: a deletion there is a deletion.)"""
    store = open_store(postgres_url)
    with store.writer() as writer:
        writer.link([("gen_1", "prm_1", "answers"), ("gen_2", "prm_1", "answers")])
    with (pytest.raises(RuntimeError, match="deleted 1 rows of edges"),
          analytic_store(store, tmp_path) as working):
        with working.writer() as writer:
            writer.unlink(["gen_1"])
            writer.link([("gen_3", "prm_1", "answers")])  # as many rows as before
    assert len(stored_rows(store, "edges")) == 2  # nothing written back, nothing lost


def test_a_rebuilt_preference_set_is_reused_by_the_next_run(store: Store, tmp_path: Path
                                                           ) -> None:
    """As the preference_sets asset runs it: the stage inside analytic_store. After the export
    is tampered with and the set rebuilt, the next run reuses the rebuild (its new export
    digest was stored), on PostgreSQL as on DuckDB."""
    fixture = PairingStore(tmp_path / "fixture", [
        passing("g1", "The answer is 4."), failing("g2", "The answer is 5."),
        passing("h1", "4", prompt="What is 3 + 1?"), failing("h2", "3", prompt="What is 3 + 1?")])
    copy_store(fixture.store, store)
    loaded = fixture.loaded({"verifier_pairs": {}})
    exports = tmp_path / "exports"

    def reused(run_id: str) -> bool:
        with analytic_store(store, tmp_path) as working:
            [result] = run_preference_stage(working, loaded, fixture.clean, fixture.judged,
                                            exports, run_id, log=lambda _: None)
        return result.reused

    assert not reused("run-1")
    assert reused("run-2")
    (exports / "p" / "dpo" / "data.jsonl").write_text("")
    assert not reused("run-3")
    assert (exports / "p" / "dpo" / "data.jsonl").read_text() != ""
    assert reused("run-4")
