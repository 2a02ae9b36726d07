"""The code location as Dagster and dg load it: definitions come from synth_assets/defs, one
folder per stage, and after a stub-teacher run each stage's materialization carries the
metadata Dagster's catalog understands (row count, column schema, code references, the export
folder) with values that match the store."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb

from synth_assets.definitions import defs
from tests.pipeline_fixture import EXPECTED, TEST_DAY, run_pipeline
from tests.test_pipeline_end_to_end import RECIPES, STAGES, stub_pipeline  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
DG = Path(sys.executable).with_name("dg")
# The store table holding the records of each stage's snapshot.
TABLE_OF_STAGE = {"seed_sets": "seeds", "teacher_generations": "generations",
                  "verified_subsets": "generations", "contamination_reports": "generations",
                  "final_mixtures": "mixture_records", "preference_sets": "preference_pairs"}
STAGE_FUNCTION = {"seed_sets": "run_seed_stage", "teacher_generations": "run_teacher_stage",
                  "verified_subsets": "run_verify_stage_reusing",
                  "contamination_reports": "run_contamination_stage",
                  "final_mixtures": "run_mixture_stage", "preference_sets": "run_preference_stage"}


def source_line(reference: dg.LocalFileCodeReference) -> str:
    return Path(reference.file_path).read_text().splitlines()[reference.line_number - 1]


def test_each_stage_is_loaded_from_its_own_folder_with_code_references() -> None:
    repository = defs.get_repository_def()
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    assert sorted(specs) == sorted(STAGES)
    checks = {(key.asset_key.to_user_string(), key.name)
              for key in repository.asset_graph.asset_check_keys}
    assert {asset for asset, _ in checks} == set(STAGES)    # every stage has a blocking check
    for stage, spec in specs.items():
        asset, *core = spec.metadata["dagster/code_references"].code_references
        # The asset's own source, in its stage's folder (a decorator's wrapper would point
        # into defs/failures.py), then the core stage functions it calls.
        assert Path(asset.file_path) == REPO / "synth_assets" / "defs" / stage / "asset.py"
        assert source_line(asset).startswith("@with_code_references(")
        assert all(Path(reference.file_path).parent == REPO / "synth_assets" / "stages"
                   and source_line(reference).startswith("def run_") for reference in core)
        assert source_line(core[0]).startswith(f"def {STAGE_FUNCTION[stage]}(")


def test_the_catalog_names_each_stage_output_type() -> None:
    """What the UI shows as each stage's output type: the stages whose checks run in their step
    are generator functions, whose return annotation Dagster does not read."""
    graph = defs.resolve_asset_graph()
    shown = {stage: graph.get(dg.AssetKey(stage)).assets_def.op.outs["result"]
             .dagster_type.display_name for stage in STAGES}
    assert shown == {"seed_sets": "String", "teacher_generations": "Any",
                     "verified_subsets": "String",
                     "contamination_reports": "ContaminationSnapshots",
                     "final_mixtures": "Dict[String,String]",
                     "preference_sets": "Dict[String,String]"}


def test_dg_check_defs_loads_the_project(dagster_home: Path) -> None:
    result = subprocess.run([str(DG), "check", "defs"], cwd=REPO, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def table_columns(db: Path, table: str) -> list[tuple[str, str]]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return [(row[0], row[1]) for row in connection.execute(f"DESCRIBE {table}").fetchall()]


def count(db: Path, sql: str, *params: str) -> int:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchone()[0]


def test_every_stage_reports_catalog_metadata_matching_the_store(
        stub_pipeline, dagster_home: Path) -> None:  # noqa: F811
    _, instance, _ = stub_pipeline
    runs = run_pipeline(instance)
    assert runs.success
    db = dagster_home / "synth.duckdb"
    materialized = [(event.asset_key.to_user_string(), event.partition,
                     event.step_materialization_data.materialization.metadata)
                    for _, result in runs.runs
                    for event in result.get_asset_materialization_events()]
    # seed_sets runs in every generation run: take each stage's last materialization per
    # partition.
    latest = {(stage, partition): metadata for stage, partition, metadata in materialized}
    assert {stage for stage, _ in latest} == set(STAGES)

    for (stage, _), metadata in latest.items():
        schema = metadata["dagster/column_schema"].schema
        assert [(c.name, c.type) for c in schema.columns] == table_columns(
            db, TABLE_OF_STAGE[stage]), stage
        assert isinstance(metadata["dagster/row_count"], dg.IntMetadataValue)

    rows = {key: metadata["dagster/row_count"].value for key, metadata in latest.items()}
    assert rows[("seed_sets", None)] == EXPECTED["seeds"]
    # A partition counts its own recipe's records, not the table's.
    for recipe in RECIPES:
        key = f"{TEST_DAY}|{recipe}"
        assert rows[("teacher_generations", key)] == count(
            db, "SELECT count(*) FROM generations WHERE recipe = ?", recipe)
        assert rows[("verified_subsets", key)] == latest[("verified_subsets", key)]["passed"].value
    assert sum(rows[("verified_subsets", f"{TEST_DAY}|{r}")] for r in RECIPES) \
        == EXPECTED["verified"]
    assert rows[("contamination_reports", None)] == EXPECTED["clean"]
    assert rows[("final_mixtures", None)] \
        == EXPECTED["mixture_synthetic"] + EXPECTED["mixture_real"]
    assert rows[("preference_sets", None)] == 0          # the spec declares no preference set

    exports = (dagster_home / "exports").resolve()
    for stage in ["final_mixtures", "preference_sets"]:
        metadata = latest[(stage, None)]
        assert metadata["dagster/uri"].value == exports.as_uri()
        assert metadata["export_root"].value == str(exports)
    assert Path(latest[("final_mixtures", None)]["mix/export_dir"].value).parent == exports
