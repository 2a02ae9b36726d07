"""The final_mixtures GE suite: each mixture checked against its own spec. One row per
component (computed in DuckDB, so the frame stays small however large the mixture)."""

import json

import pandas as pd

from synth_assets.defs.ge_adapter import Expectation
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec

COLUMNS = ["mixture", "component", "unit", "requested", "actual", "off_request", "real_share",
           "real_floor_met", "records_total", "empty_texts", "duplicate_ids",
           "duplicate_sources", "contaminated_records"]


def final_mixtures_suite(store: LineageStore, loaded: LoadedSpec, snapshots: dict[str, str]
                         ) -> tuple[pd.DataFrame, list[Expectation]]:
    rows = [row for mixture, snapshot_id in snapshots.items()
            for row in _component_rows(store, loaded, mixture, snapshot_id)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    minimum = loaded.spec.quality.min_mixture_records
    return frame, [
        Expectation("ExpectColumnValuesToBeBetween", {"column": "off_request", "min_value": 0,
                                                      "max_value": 1},
                    "every component matches its ratio or count within one record, and token "
                    "components stay within their budget"),
        Expectation("ExpectColumnValuesToBeInSet",
                    {"column": "real_floor_met", "value_set": [True]},
                    "every mixture's real-data share is at least its min_real_fraction"),
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "records_total", "min_value": minimum},
                    f"every mixture holds at least {minimum} records "
                    "(quality.min_mixture_records)"),
        *[Expectation("ExpectColumnValuesToBeBetween", {"column": column, "max_value": 0},
                      description)
          for column, description in [
              ("empty_texts", "no record has an empty instruction or response"),
              ("duplicate_ids", "no record id appears twice"),
              ("duplicate_sources", "no source record is taken twice"),
              ("contaminated_records", "no record overlaps a benchmark of the current index"),
          ]],
    ]


def _component_rows(store: LineageStore, loaded: LoadedSpec, mixture: str, snapshot_id: str
                    ) -> list[dict]:
    spec = loaded.spec.mixtures[mixture]
    materialization = store.query("mixture_materialization_of_snapshot", snapshot_id=snapshot_id)
    fingerprints = (json.loads(materialization[0]["settings"])["index_fingerprints"]
                    if materialization else [])
    sources = store.query("mixture_snapshot_summary", snapshot_id=snapshot_id,
                          index_fingerprints=fingerprints)
    component_of = {s: name for name, c in spec.components.items() for s in c.sources}
    measure = "tokens" if spec.unit == "tokens" else "records"
    total = sum(row[measure] for row in sources)
    real = sum(row[measure] for row in sources if row["source_kind"] == "real")
    # Token budgets stop before the record that would overflow: allow one real record short.
    slack = max((row["max_record_tokens"] for row in sources if row["source_kind"] == "real"),
                default=0) if measure == "tokens" else 0
    mixture_wide = {
        "real_share": real / total if total else 0.0,
        "real_floor_met": real + slack >= spec.min_real_fraction * total - 1e-9,
        "records_total": sum(row["records"] for row in sources),
        **{column: sum(row[column] for row in sources)
           for column in ["empty_texts", "duplicate_ids", "duplicate_sources",
                          "contaminated_records"]},
    }
    rows = []
    for name, component in spec.components.items():
        actual = sum(row[measure] for row in sources
                     if component_of.get(row["source_name"]) == name)
        if component.unit == "ratio":
            requested = component.amount * total
            off = abs(actual - requested)
        elif component.unit == "count":
            requested, off = component.amount, abs(actual - component.amount)
        else:
            requested, off = component.amount, max(0, actual - component.amount)
        rows.append({"mixture": mixture, "component": name, "unit": component.unit,
                     "requested": float(requested), "actual": int(actual),
                     "off_request": float(off), **mixture_wide})
    return rows
