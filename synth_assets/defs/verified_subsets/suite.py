"""The verified_subsets GE suite: the overall pass rate against the spec's floor."""

import pandas as pd

from synth_assets.defs.ge_adapter import Expectation
from synth_assets.defs.teacher_generations.suite import rows_required
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec


def verified_subsets_suite(store: LineageStore, loaded: LoadedSpec, snapshot_id: str,
                           generations_snapshot_id: str) -> tuple[pd.DataFrame, list[Expectation]]:
    judged = store.query_frame("snapshot_generation_counts", snapshot_id=generations_snapshot_id)
    passed = store.query_frame("snapshot_generation_counts", snapshot_id=snapshot_id)
    frame = judged.merge(passed, on="recipe", how="left", suffixes=("_judged", "_passed"))
    frame = frame.fillna({"generations_passed": 0})
    total_judged = frame["generations_judged"].sum()
    overall = frame["generations_passed"].sum() / total_judged if total_judged else 0.0
    frame = frame.assign(overall_pass_rate=overall)
    floor = loaded.spec.quality.min_pass_rate
    return frame, [
        Expectation("ExpectTableRowCountToBeBetween", {"min_value": rows_required(loaded)},
                    "some generations were judged"),
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "overall_pass_rate", "min_value": floor, "max_value": 1.0},
                    f"the pass rate over all recipes is at least {floor} (quality.min_pass_rate)"),
    ]
