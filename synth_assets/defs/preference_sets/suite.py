"""The preference_sets GE suite: one row per preference set and source. No pair has identical or
empty sides; no side is contaminated, by the stored scans (a contaminated or quarantined
generation or seed) nor by a fresh scan of every distinct pair text with the spec's detectors
(the rejected answers were never scanned by contamination_reports); each source's requested
count is met. The fresh scan's result is stored under the snapshot and the detectors'
fingerprint, so checking an unchanged set again reads it; other detectors scan again."""

import json

import pandas as pd

from synth_assets.defs.ge_adapter import Expectation
from synth_assets.lineage.store import LineageStore, StoreWriter
from synth_assets.mix.preferences import (
    SQL,
    BenchmarkScan,
    register_texts,
    texts_that_hit,
)
from synth_assets.spec import LoadedSpec
from synth_assets.stages.preference_stage import benchmark_scan

COLUMNS = ["preference_set", "source", "requested", "pairs", "short_of_request",
           "identical_sides", "empty_sides", "contaminated_sides"]


def preference_sets_suite(store: LineageStore, loaded: LoadedSpec, snapshots: dict[str, str]
                          ) -> tuple[pd.DataFrame, list[Expectation]]:
    rows = []
    if snapshots:
        scan = benchmark_scan(store, loaded)
        with store.writer() as writer:
            writer.execute(SQL, "create_preference_macros")
            rows = [row for name, snapshot_id in snapshots.items()
                    for row in _source_rows(writer, loaded, name, snapshot_id, scan)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame, [
        Expectation("ExpectColumnValuesToBeBetween", {"column": column, "max_value": 0},
                    description)
        for column, description in [
            ("short_of_request", "every source gives the pairs its count asks for"),
            ("identical_sides", "no pair has identical chosen and rejected answers"),
            ("empty_sides", "no pair has an empty prompt, chosen or rejected text"),
            ("contaminated_sides", "no side of a pair overlaps a benchmark or derives from a "
                                   "quarantined seed"),
        ]
    ]


def _source_rows(writer: StoreWriter, loaded: LoadedSpec, name: str, snapshot_id: str,
                 scan: BenchmarkScan) -> list[dict]:
    spec = loaded.spec.preference_sets[name]
    summary = {row["source"]: row for row in writer.fetch(
        SQL, "preference_set_summary", snapshot_id=snapshot_id)}
    scanned_hits = _scanned_hits(writer, snapshot_id, scan)
    rows = []
    for source, source_spec in spec.sources.items():
        if source_spec is None:
            continue
        found = summary.get(source, {})
        requested = source_spec.count or 0
        rows.append({
            "preference_set": name, "source": source, "requested": requested,
            "pairs": found.get("pairs", 0),
            "short_of_request": max(0, requested - found.get("pairs", 0)),
            "identical_sides": found.get("identical_sides", 0),
            "empty_sides": found.get("empty_sides", 0),
            "contaminated_sides": found.get("contaminated_sides", 0)
            + scanned_hits.get(source, 0),
        })
    return rows


def _scanned_hits(writer: StoreWriter, snapshot_id: str, scan: BenchmarkScan) -> dict[str, int]:
    """Pairs per source of the snapshot with a text the detectors hit: stored by an earlier
    check of the same snapshot with the same detectors, else scanned now and stored."""
    stored = writer.fetch(SQL, "preference_pair_scan", snapshot_id=snapshot_id,
                          scan_fingerprint=scan.fingerprint)
    if stored:
        return json.loads(stored[0]["hits"])
    hit = texts_that_hit(writer, "preference_pair_texts", scan, snapshot_id=snapshot_id)
    register_texts(writer, "hit_texts", hit)
    scanned_hits = {row["source"]: row["pairs"] for row in writer.fetch(
        SQL, "preference_pairs_with_texts", snapshot_id=snapshot_id)}
    writer.insert_new("preference_pair_scans", [{
        "pairs_snapshot_id": snapshot_id, "scan_fingerprint": scan.fingerprint,
        "hits": json.dumps(scanned_hits, sort_keys=True)}])
    return scanned_hits
