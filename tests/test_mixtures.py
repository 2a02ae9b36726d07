"""Mixtures built in DuckDB from a store of verified records: exact ratios, counts and token
budgets, stratification, accumulation, byte-identical exports that `datasets` loads, and the
final_mixtures GE suite."""

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synth_assets.checks.ge_adapter import validate_frame
from synth_assets.checks.mixture_suite import final_mixtures_suite
from synth_assets.lineage.store import LineageStore
from synth_assets.mix.materialize import MixtureInputs, MixtureResult, materialize_mixture
from synth_assets.mix.plan import MixtureError
from synth_assets.spec import LoadedSpec
from synth_assets.stages.forget_stage import forget_record
from synth_assets.stages.mixture_stage import load_real_records
from tests.mixture_fixture import CLEAN, JUDGED, fill_verified_records, write_mixture_spec

EXPORT_FILES = ["data.jsonl", "data.parquet", "openai_chat.jsonl", "README.md"]


def mix(store: LineageStore, loaded: LoadedSpec, out: Path, name: str = "m",
        judged: str = JUDGED, clean: str = CLEAN) -> MixtureResult:
    real_ids = load_real_records(store, loaded, loaded.spec.mixtures[name].real_sources)
    return materialize_mixture(store, loaded, name, MixtureInputs(clean, judged, real_ids),
                               out / name, run_id="test-run", log=lambda _: None)


def exported(result: MixtureResult) -> list[dict[str, Any]]:
    return [json.loads(line) for line in
            (result.export_dir / "data.jsonl").read_text().splitlines()]


def by(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[key]] = counts.get(row[key], 0) + 1
    return counts


def tokens(row: dict[str, Any]) -> int:
    return (len(row["instruction"]) + len(row["response"]) + 3) // 4


@pytest.fixture
def store(tmp_path: Path) -> LineageStore:
    store = LineageStore(tmp_path / "synth.duckdb")
    fill_verified_records(store, 300)           # 200 math_cot, 100 chat
    return store


def test_ratio_mixture_has_exact_counts(store: LineageStore, tmp_path: Path) -> None:
    loaded = write_mixture_spec(tmp_path, {"m": {
        "components": {"math": {"recipes": ["math_cot"], "ratio": 0.45},
                       "chat": {"recipes": ["chat"], "ratio": 0.3},
                       "human": {"real_sources": ["human"], "ratio": 0.25}},
        "size": 101, "seed": 3}})
    result = mix(store, loaded, tmp_path)
    # 101 x (0.45, 0.3, 0.25) = 45.45, 30.3, 25.25: real rounds up as a group to stay above
    # the floor, the synthetic components share the rest by largest remainder.
    assert by(exported(result), "component") == {"math": 45, "chat": 30, "human": 26}
    assert result.manifest["counts"] == {"synthetic": 75, "real": 26, "total": 101}


def test_ratio_mixture_without_size_is_the_largest_the_pools_allow(
    store: LineageStore, tmp_path: Path
) -> None:
    loaded = write_mixture_spec(tmp_path, {"m": {
        "recipes": ["math_cot", "chat"], "real_sources": ["human"], "real_fraction": 0.4}},
        real_count=60)
    rows = exported(mix(store, loaded, tmp_path))
    assert by(rows, "source_kind") == {"synthetic": 90, "real": 60}    # 60 real is 40% of 150


def test_count_mixture_and_stratified_domains(store: LineageStore, tmp_path: Path) -> None:
    loaded = write_mixture_spec(tmp_path, {"m": {
        "components": {"synthetic": {"recipes": ["math_cot", "chat"], "count": 90},
                       "human": {"real_sources": ["human"], "count": 31}},
        "stratify_by_domain": True}}, real_count=60)
    rows = exported(mix(store, loaded, tmp_path))
    assert by(rows, "component") == {"synthetic": 90, "human": 31}
    synthetic = [r for r in rows if r["component"] == "synthetic"]
    assert by(synthetic, "domain") == {"math": 60, "general": 30}        # pool is 2:1
    real = [r for r in rows if r["component"] == "human"]
    # 31 over three equal thirds: the tie for the extra record goes to the first name
    assert by(real, "domain") == {"code": 11, "general": 10, "math": 10}


def test_token_budget_stops_within_one_record(store: LineageStore, tmp_path: Path) -> None:
    loaded = write_mixture_spec(tmp_path, {"m": {
        "components": {"synthetic": {"recipes": ["math_cot", "chat"], "tokens": 2000},
                       "human": {"real_sources": ["human"], "tokens": 600}}}})
    result = mix(store, loaded, tmp_path)
    rows = exported(result)
    for component, budget in {"synthetic": 2000, "human": 600}.items():
        used = sum(tokens(r) for r in rows if r["component"] == component)
        plan = result.manifest["components"][component]
        assert used == plan["picked_tokens"] and used <= budget
        assert budget - used < max(tokens(r) for r in rows if r["component"] == component) * 2


def test_pool_too_small_for_the_request_fails_naming_the_component(
    store: LineageStore, tmp_path: Path
) -> None:
    loaded = write_mixture_spec(tmp_path, {"m": {
        "components": {"synthetic": {"recipes": ["chat"], "count": 150},
                       "human": {"real_sources": ["human"], "count": 50}}}})
    with pytest.raises(MixtureError, match=r"component 'synthetic' needs 150 records but only "
                                           r"100 are available"):
        mix(store, loaded, tmp_path)


def test_same_spec_and_inputs_give_byte_identical_files(tmp_path: Path) -> None:
    spec = {"m": {"recipes": ["math_cot", "chat"], "real_sources": ["human"],
                  "real_fraction": 0.3, "seed": 11}}
    outputs = []
    for attempt in ("first", "second"):
        store = LineageStore(tmp_path / attempt / "synth.duckdb")
        fill_verified_records(store, 500)
        loaded = write_mixture_spec(tmp_path / "spec", spec, real_count=300)
        outputs.append([mix(store, loaded, tmp_path / attempt), mix(store, loaded,
                                                                     tmp_path / attempt)])
    files = {name: {(r.export_dir / name).read_bytes() for pair in outputs for r in pair}
             for name in EXPORT_FILES}
    assert all(len(contents) == 1 for contents in files.values())
    manifest = outputs[0][0].manifest
    assert manifest["spec_hash"] and manifest["input_snapshot"] == CLEAN
    assert manifest["run_id"] == "test-run"
    assert pq.ParquetFile(outputs[0][0].export_dir / "data.parquet").metadata.num_rows == 714


def test_synthetic_records_accumulate_unless_the_spec_says_otherwise(
    store: LineageStore, tmp_path: Path
) -> None:
    for accumulate in (True, False):
        loaded = write_mixture_spec(tmp_path / str(accumulate), {"m": {
            "components": {"synthetic": {"recipes": ["math_cot", "chat"], "ratio": 0.8},
                           "human": {"real_sources": ["human"], "ratio": 0.2}},
            "accumulate": accumulate}}, real_count=500)
        name = f"acc_{accumulate}"
        store_path = tmp_path / f"{name}.duckdb"
        run_store = LineageStore(store_path)
        fill_verified_records(run_store, 300)
        first = exported(mix(run_store, loaded, tmp_path / name))
        # A later run judges 60 new generations only (say, a new batch of seeds).
        fill_verified_records(run_store, 60, start=300, tag="b", judged="snap_j2", clean="snap_c2")
        second = exported(mix(run_store, loaded, tmp_path / name, judged="snap_j2",
                              clean="snap_c2"))
        synthetic = by(second, "source_kind")["synthetic"]
        assert by(first, "source_kind")["synthetic"] == 300
        assert synthetic == (360 if accumulate else 60)


def test_datasets_load_dataset_reads_the_export_folder(store: LineageStore, tmp_path: Path
                                                       ) -> None:
    datasets = pytest.importorskip("datasets")
    loaded = write_mixture_spec(tmp_path, {"m": {
        "recipes": ["math_cot", "chat"], "real_sources": ["human"], "real_fraction": 0.5}})
    result = mix(store, loaded, tmp_path)
    train = datasets.load_dataset(str(result.export_dir), split="train")
    assert train.num_rows == 120
    assert train[0]["id"] == exported(result)[0]["id"]
    assert [m["role"] for m in train[0]["messages"]] == ["user", "assistant"]
    card = (result.export_dir / "README.md").read_text()
    for heading in ["Sources and teacher models", "Verifiers and pass rates",
                    "Benchmark contamination", "Real data and licenses", "CC0-1.0"]:
        assert heading in card
    chat = [json.loads(line) for line in
            (result.export_dir / "openai_chat.jsonl").read_text().splitlines()]
    assert list(chat[0]) == ["messages"] and chat[0]["messages"][1]["role"] == "assistant"


def test_ge_suite_passes_a_good_mixture_and_catches_a_contaminated_record(
    store: LineageStore, tmp_path: Path
) -> None:
    loaded = write_mixture_spec(tmp_path, {"m": {
        "recipes": ["math_cot", "chat"], "real_sources": ["human"], "real_fraction": 0.25}})
    result = mix(store, loaded, tmp_path)
    frame, expectations = final_mixtures_suite(store, loaded, {"m": result.snapshot_id})
    assert validate_frame(frame, expectations, "final_mixtures").passed
    assert set(frame["component"]) == {"synthetic", "real"}

    picked = next(r for r in exported(result) if r["source_kind"] == "synthetic")
    with store.writer() as writer:      # a later scan of the same index finds a hit
        writer.insert_with("writes.sql", "append_contamination_verdicts", [{
            "scan_id": "scan_late_hit", "generation_id": picked["source_record_id"],
            "index_fingerprint": "fixture-index", "contaminated": True, "hit_count": 1}])
    frame, expectations = final_mixtures_suite(store, loaded, {"m": result.snapshot_id})
    check = validate_frame(frame, expectations, "final_mixtures")
    assert not check.passed
    assert "no record overlaps a benchmark" in check.metadata["failed_expectations"].value


def test_forgetting_a_real_record_keeps_it_out_of_later_mixtures(
    store: LineageStore, tmp_path: Path
) -> None:
    loaded = write_mixture_spec(tmp_path, {"m": {
        "recipes": ["math_cot", "chat"], "real_sources": ["human"], "real_fraction": 0.5}})
    picked = next(r for r in exported(mix(store, loaded, tmp_path)) if r["source_kind"] == "real")
    result = forget_record(store, loaded, picked["source_record_id"], tmp_path / "exports",
                           log=lambda _: None)
    change = result.mixtures["m"]
    assert [(c.change, c.reason) for c in change.changes if c.source_id is None] == [
        ("removed", "forgotten")]
    again = exported(mix(store, loaded, tmp_path))     # the source file still holds the row
    assert picked["source_record_id"] not in {r["source_record_id"] for r in again}
    assert len(again) == 118                            # 59 real records left, 59 synthetic


EARLIER_MIXTURE_RECORDS = """CREATE TABLE mixture_records (
    mixture_record_id VARCHAR PRIMARY KEY, mixture VARCHAR NOT NULL,
    source_kind VARCHAR NOT NULL, source_record_id VARCHAR NOT NULL, domain VARCHAR NOT NULL,
    instruction VARCHAR NOT NULL, response VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"""


@pytest.mark.parametrize("store_made", ["now", "before the index was dropped"])
def test_reruns_store_each_mixture_record_once_with_its_edges(tmp_path: Path, store_made: str
                                                              ) -> None:
    # mixture_records has no primary-key index (stores made before lose theirs, migration 0003):
    # the write path alone keeps ids unique, over identical and overlapping reruns and repeated
    # rows.
    if store_made != "now":
        with duckdb.connect(str(tmp_path / "synth.duckdb")) as connection:
            connection.execute(EARLIER_MIXTURE_RECORDS)
    store = LineageStore(tmp_path / "synth.duckdb")
    fill_verified_records(store, 300)
    loaded = write_mixture_spec(tmp_path, {"m": {
        "recipes": ["math_cot", "chat"], "real_sources": ["human"], "real_fraction": 0.2}},
        real_count=200)
    real = pq.read_table(tmp_path / "real.parquet")       # a file repeating some of its rows
    pq.write_table(pa.concat_tables([real, real.slice(0, 10)]), tmp_path / "real.parquet")
    first = {r["id"] for r in exported(mix(store, loaded, tmp_path))}
    mix(store, loaded, tmp_path)
    fill_verified_records(store, 60, start=300, tag="b", judged="snap_j2", clean="snap_c2")
    last = {r["id"] for r in exported(mix(store, loaded, tmp_path, judged="snap_j2",
                                          clean="snap_c2"))}
    assert len(first) == 375 and len(last) == 450 and len(first & last) == 300 + 75
    with duckdb.connect(str(store.path), read_only=True) as connection:
        stored = connection.execute(
            "SELECT count(*), count(DISTINCT mixture_record_id) FROM mixture_records").fetchone()
        edges = dict(connection.execute(
            "SELECT relation, count(*) FROM edges WHERE child_id LIKE 'mix_%' GROUP BY ALL"
        ).fetchall())
    assert stored == (len(first | last), len(first | last))
    assert edges == {"samples": len(first | last), "cleared_by": 360}
