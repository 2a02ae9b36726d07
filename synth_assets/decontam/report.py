"""What a contamination scan found, per benchmark: the one place the contaminated rate is
computed (records hit, own hits or quarantine through a contaminated seed, over the records of
the verified snapshot), read by the stage's report and by the contamination_reports GE suite
alike."""

from collections.abc import Iterable

import pandas as pd

from synth_assets.decontam.items import BenchmarkItem
from synth_assets.lineage.store import LineageStore

WORST_HITS = 5
RATE_COLUMNS = ["benchmark", "items_hit", "records_scanned", "records_hit", "contaminated_rate",
                "detectors_fired"]


def contamination_rates(store: LineageStore, benchmarks: Iterable[str], snapshot_id: str,
                        fingerprint: str) -> pd.DataFrame:
    """One row per benchmark named (hit or not), over the verified snapshot `snapshot_id`
    scanned with the index `fingerprint`."""
    scanned = int(store.query("snapshot_size", snapshot_id=snapshot_id)[0]["members"])
    found = store.query_frame("contamination_by_benchmark", snapshot_id=snapshot_id,
                              index_fingerprint=fingerprint).set_index("benchmark")
    rows = []
    for name in benchmarks:
        records_hit = int(found["records_hit"].get(name, 0))
        rows.append({
            "benchmark": name,
            "items_hit": int(found["items_hit"].get(name, 0)),
            "records_scanned": scanned,
            "records_hit": records_hit,
            "contaminated_rate": records_hit / scanned if scanned else 0.0,
            "detectors_fired": found["detectors_fired"].get(name, "") or "",
        })
    return pd.DataFrame(rows, columns=RATE_COLUMNS)


def per_benchmark(store: LineageStore, benchmarks: Iterable[str], items: Iterable[BenchmarkItem],
                  snapshot_id: str, fingerprint: str) -> pd.DataFrame:
    """The stage's report: items in each benchmark, items hit, records scanned and hit, rate and
    detectors fired."""
    rates = contamination_rates(store, benchmarks, snapshot_id, fingerprint)
    sizes = pd.Series([item.benchmark for item in items]).value_counts()
    rates.insert(1, "benchmark_items",
                 [int(sizes.get(name, 0)) for name in rates["benchmark"]])
    return rates


def worst_hits(store: LineageStore, snapshot_id: str, fingerprint: str) -> pd.DataFrame:
    """The WORST_HITS highest-scoring hits of the scan, with their evidence."""
    return store.query_frame("worst_contamination_hits", snapshot_id=snapshot_id,
                             index_fingerprint=fingerprint, limit=WORST_HITS)
