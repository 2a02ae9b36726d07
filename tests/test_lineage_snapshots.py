"""A snapshot hashed while streaming from SQL gets the same id as one stored from Python."""

from pathlib import Path

from synth_assets.lineage.store import LineageStore


def test_streamed_snapshot_id_matches_record_snapshot(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    ids = [f"gen_{i:020d}" for i in range(2500, 0, -7)]
    with store.writer() as writer:
        expected = writer.record_snapshot("stage", 'label "quoted"', ids)
        writer.register("wanted_ids", [{"record_id": i} for i in ids], ["record_id"])
        streamed = writer.record_snapshot_of("stage", 'label "quoted"', "queries.sql",
                                             "wanted_ids_as_records")
    assert streamed == expected
    assert store.query("snapshot_size", snapshot_id=streamed)[0]["members"] == len(ids)
