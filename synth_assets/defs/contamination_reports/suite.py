"""The contamination_reports GE suite: the contaminated share of the verified records, overall
and per benchmark, each within its ceiling."""

import pandas as pd

from synth_assets.decontam.report import contamination_rates
from synth_assets.defs.ge_adapter import Expectation
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec


def contamination_reports_suite(store: LineageStore, loaded: LoadedSpec, snapshot_id: str,
                                verified_snapshot_id: str
                                ) -> tuple[pd.DataFrame, list[Expectation]]:
    """One row for all benchmarks together and one per benchmark, each with its ceiling: the
    benchmark's max_contaminated_rate, else contamination.max_contaminated_rate."""
    scanned = int(store.query("snapshot_size", snapshot_id=verified_snapshot_id)[0]["members"])
    clean = int(store.query("snapshot_size", snapshot_id=snapshot_id)[0]["members"])
    ceiling = loaded.spec.contamination.max_contaminated_rate
    rows = [{"benchmark": "(all)", "records_scanned": scanned, "records_clean": clean,
             "contaminated_rate": (scanned - clean) / scanned if scanned else 0.0,
             "ceiling": ceiling}]
    fingerprint = store.query("snapshot_label", snapshot_id=snapshot_id)[0]["label"]
    benchmarks = loaded.spec.benchmarks
    for rate in contamination_rates(store, benchmarks, verified_snapshot_id,
                                    fingerprint).itertuples():
        own_ceiling = benchmarks[rate.benchmark].max_contaminated_rate
        rows.append({"benchmark": rate.benchmark, "records_scanned": rate.records_scanned,
                     "records_clean": rate.records_scanned - rate.records_hit,
                     "contaminated_rate": rate.contaminated_rate,
                     "ceiling": own_ceiling if own_ceiling is not None else ceiling})
    return pd.DataFrame(rows), [
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "contaminated_rate", "min_value": 0.0, "max_value": ceiling},
                    f"at most {ceiling:.0%} of verified records overlap a benchmark "
                    "(contamination.max_contaminated_rate)"),
        Expectation("ExpectColumnPairValuesAToBeGreaterThanB",
                    {"column_A": "ceiling", "column_B": "contaminated_rate", "or_equal": True},
                    "each benchmark's contaminated share is within its ceiling "
                    "(benchmarks.<name>.max_contaminated_rate)"),
    ]
