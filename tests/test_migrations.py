"""Versioned schema: a new store is made from schema.sql and stamped with the latest version;
stores made by earlier commits (real files, built by tests/data/stores/make_store.py with that
commit's own stub-teacher pipeline) are migrated forward, keep every record and every lineage
edge, end up with exactly the shape of a new store, and run lineage walks and the pipeline."""

import gzip
import shutil
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from synth_assets.cli import main
from synth_assets.definitions import defs
from synth_assets.defs.jobs import PUBLISH_JOB
from synth_assets.lineage import migrations as migrations_module
from synth_assets.lineage import store as store_module
from synth_assets.lineage.migrations import (
    Migration,
    StoreVersionError,
    bring_up_to_date,
    latest_version,
    migrations,
)
from synth_assets.lineage.store import LineageStore
from synth_assets.runs.run_report import run_failure
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import (
    run_pipeline,
    stub_answer,
    varied_answer,
    write_pipeline_spec,
)

STORES = Path(__file__).resolve().parent / "data" / "stores"
# The oldest layout that ran a pipeline (the five stages, before day partitions, segment
# evidence, verdicts holding their edges) and main just before schema versions.
OLDEST = "made_by_872fec4"
BEFORE_VERSIONS = "made_by_6bbd488"


def unpacked(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.duckdb"
    with gzip.open(STORES / f"{name}.duckdb.gz") as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return path


def shape(path: Path) -> dict[str, list[tuple]]:
    """Everything about a store's layout: columns (order, type, nullability, default),
    constraints, indexes, macros and views."""
    queries = {
        "columns": "SELECT table_name, ordinal_position, column_name, data_type, is_nullable, "
                   "column_default FROM information_schema.columns "
                   "WHERE table_schema = 'main' ORDER BY ALL",
        "constraints": "SELECT table_name, constraint_type, constraint_column_names "
                       "FROM duckdb_constraints() ORDER BY ALL",
        "indexes": "SELECT table_name, index_name FROM duckdb_indexes() ORDER BY ALL",
        "macros": "SELECT function_name, macro_definition FROM duckdb_functions() "
                  "WHERE function_type = 'macro' AND NOT internal ORDER BY ALL",
        "views": "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY ALL",
    }
    with duckdb.connect(str(path), read_only=True) as connection:
        return {name: connection.execute(sql).fetchall() for name, sql in queries.items()}


def contents(path: Path) -> dict[str, Counter]:
    """Every row of every table but schema_version and edges, and every lineage edge (from the
    lineage_edges view, or `edges` in stores made before it existed)."""
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name NOT IN "
            "('schema_version', 'edges', 'contamination_verdicts', 'contamination_hits')"
        ).fetchall()]
        views = {row[0] for row in connection.execute(
            "SELECT view_name FROM duckdb_views()").fetchall()}
        found = {table: Counter(connection.execute(f"SELECT * FROM {table}").fetchall())
                 for table in tables}
        # the two rebuilt tables, by the columns every layout has
        found["contamination_verdicts"] = Counter(connection.execute(
            "SELECT scan_id, generation_id, index_fingerprint, contaminated, hit_count, "
            "created_at FROM contamination_verdicts").fetchall())
        found["contamination_hits"] = Counter(connection.execute(
            "SELECT hit_id, scan_id, benchmark, item_id, detector, score, evidence, "
            "item_excerpt, created_at FROM contamination_hits").fetchall())
        edges = "lineage_edges" if "lineage_edges" in views else "edges"
        found["lineage edges"] = Counter(connection.execute(
            f"SELECT child_id, parent_id, relation FROM {edges}").fetchall())
    return found


def migrated(name: str, folder: Path) -> Path:
    path = unpacked(name, folder)
    LineageStore(path).query("table_row_counts")
    return path


def test_a_new_store_is_made_from_the_schema_and_stamped_with_the_latest_version(
        tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    LineageStore(path).query("table_row_counts")
    with duckdb.connect(str(path), read_only=True) as connection:
        stamped = connection.execute("SELECT version, name FROM schema_version").fetchall()
    assert latest_version() == len(migrations()) >= 3
    assert stamped == [(latest_version(), "schema.sql")]


@pytest.mark.parametrize("name", [OLDEST, BEFORE_VERSIONS])
def test_an_earlier_store_migrates_to_the_shape_of_a_new_one_and_keeps_every_record(
        name: str, tmp_path: Path) -> None:
    before = contents(unpacked(name, tmp_path / "before"))
    path = migrated(name, tmp_path)
    new = tmp_path / "new.duckdb"
    LineageStore(new).query("table_row_counts")

    assert shape(path) == shape(new)
    after = contents(path)
    assert {table: rows for table, rows in after.items() if table in before} == before
    with duckdb.connect(str(path), read_only=True) as connection:
        versions = connection.execute("SELECT version, name FROM schema_version "
                                      "ORDER BY version").fetchall()
        edge_kinds = connection.execute("SELECT DISTINCT relation FROM edges").fetchall()
        not_admitted = connection.execute("SELECT count(*) FROM contamination_verdicts "
                                          "WHERE len(admitted_by) = 0").fetchone()[0]
    assert versions == [(m.version, m.name) for m in migrations()]
    # every scan's edges now live in its verdict row, none in edges
    assert not {("scans",), ("after_verdict",)} & set(edge_kinds)
    assert not_admitted == 0
    assert {"scans", "after_verdict"} <= {edge[2] for edge in before["lineage edges"]}


def test_a_migrated_store_is_not_migrated_again(tmp_path: Path) -> None:
    path = migrated(OLDEST, tmp_path)
    with duckdb.connect(str(path)) as connection:
        assert bring_up_to_date(connection, path) == []
        assert connection.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(
            migrations())


def test_a_failing_migration_leaves_the_store_as_it_was(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "0099_broken.sql"
    broken.write_text("DELETE FROM seeds;\nSELECT * FROM no_such_table;\n")
    monkeypatch.setattr(migrations_module, "migrations",
                        lambda: (*migrations(), Migration(len(migrations()) + 1, "broken", broken)))
    path = unpacked(BEFORE_VERSIONS, tmp_path)
    before = contents(path), shape(path)

    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        LineageStore(path).query("table_row_counts")
    assert (contents(path), shape(path)) == before


def test_a_store_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = migrated(BEFORE_VERSIONS, tmp_path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("INSERT INTO schema_version (version, name) VALUES (?, 'future')",
                           [latest_version() + 1])
    before = contents(path)
    store_module._SCHEMA_APPLIED.clear()
    with pytest.raises(StoreVersionError, match=f"schema version {latest_version() + 1}"):
        LineageStore(path).query("table_row_counts")
    assert contents(path) == before


def test_migration_files_are_numbered_without_gaps(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("0001_first.sql", "0003_third.sql"):
        (tmp_path / name).write_text("SELECT 1;")
    monkeypatch.setattr(migrations_module, "MIGRATIONS_DIR", tmp_path)
    migrations.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"numbered \[1, 3\]"):
            migrations()
        (tmp_path / "0003_third.sql").rename(tmp_path / "3_third.sql")
        with pytest.raises(ValueError, match="NNNN_what_it_does.sql"):
            migrations()
    finally:
        migrations.cache_clear()


@pytest.mark.parametrize("name", [OLDEST, BEFORE_VERSIONS])
def test_synth_lineage_walks_a_migrated_mixture_record_back_to_its_seed(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    path = migrated(name, tmp_path)
    with duckdb.connect(str(path), read_only=True) as connection:
        record_id = connection.execute(
            "SELECT min(mixture_record_id) FROM mixture_records WHERE source_kind = 'synthetic'"
        ).fetchone()[0]
    assert main(["lineage", record_id, "--db", str(path)]) == 0
    shown = capsys.readouterr().out
    for step in ("contamination_verdict", "verdict", "generation", "teacher_call", "prompt",
                 "seed"):
        assert f"\n{step}  " in f"\n{shown}", step
    assert "scans <- scan_" in shown and "after_verdict <- scan_" in shown


def test_publish_runs_on_a_store_made_before_versions(dagster_home: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Same spec and records as the run that made the store: the publish job asks no teacher and
    # stores nothing new but what a changed detector version makes it scan again.
    path = migrated(BEFORE_VERSIONS, dagster_home)
    monkeypatch.setenv("SYNTH_DB", str(path))
    counts = LineageStore(path).query("table_row_counts")
    with OpenAIStub(stub_answer) as stub:
        monkeypatch.setenv("SYNTH_SPEC", str(write_pipeline_spec(tmp_path / "spec",
                                                                 stub.base_url)))
        with dg.DagsterInstance.get() as instance:
            result = defs.resolve_job_def(PUBLISH_JOB).execute_in_process(
                instance=instance, raise_on_error=False)
    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())
    after = LineageStore(path).query("table_row_counts")
    grown = {row["table_name"]: row["row_count"] - before["row_count"]
             for row, before in zip(after, counts, strict=True)
             if row["row_count"] != before["row_count"]}
    # The semantic detector's algorithm changed since 6bbd488 (its verdict fingerprint with
    # it), so each record is scanned once more under the new fingerprint, with its hits, their
    # edges and a new clean snapshot; no teacher call, generation or verdict is new.
    scanned = {row["table_name"]: row["row_count"] for row in counts}["contamination_verdicts"]
    assert grown["contamination_verdicts"] == scanned
    assert set(grown) <= {"contamination_verdicts", "contamination_hits", "edges", "snapshots",
                          "snapshot_members"}
    assert list((dagster_home / "exports").rglob("data.jsonl"))


def test_a_day_runs_on_the_oldest_store(dagster_home: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = migrated(OLDEST, dagster_home)
    monkeypatch.setenv("SYNTH_DB", str(path))
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    # answers that differ from the stored ones: the same answers would be duplicates of the
    # records the old run verified, and deduplication would reject them
    with OpenAIStub(varied_answer) as stub:
        monkeypatch.setenv("SYNTH_SPEC", str(write_pipeline_spec(tmp_path / "spec",
                                                                 stub.base_url)))
        with dg.DagsterInstance.get() as instance:
            runs = run_pipeline(instance)
    assert runs.success, run_failure(runs.runs[-1][1])
    with duckdb.connect(str(path), read_only=True) as connection:
        mixtures = connection.execute("SELECT count(DISTINCT mixture) FROM "
                                      "mixture_materializations").fetchone()[0]
    assert mixtures == 1
