"""The teacher_generations GE suite: per-recipe aggregates of a snapshot's generations."""

import pandas as pd

from synth_assets.defs.ge_adapter import Expectation
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec


def rows_required(loaded: LoadedSpec) -> int:
    """Whether a recipe-day's snapshot must hold any row: not when quality.min_generations is
    0 (a later round whose source round admitted nothing that day has nothing to answer)."""
    return 1 if loaded.spec.quality.min_generations else 0


def teacher_generations_suite(store: LineageStore, loaded: LoadedSpec, snapshot_id: str
                              ) -> tuple[pd.DataFrame, list[Expectation]]:
    """Validates per-recipe aggregates DuckDB computes over every generation of the snapshot
    (snapshot_generation_aggregates): each rule still covers every row, and the check costs
    the same at 500 or 500,000 generations."""
    frame = store.query_frame("snapshot_generation_aggregates", snapshot_id=snapshot_id)
    minimum = loaded.spec.quality.min_generations
    return frame, [
        Expectation("ExpectTableRowCountToBeBetween", {"min_value": rows_required(loaded)},
                    "the snapshot holds generations"),
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "snapshot_generations", "min_value": minimum},
                    f"at least {minimum} generations (quality.min_generations)"),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "missing_ids", "max_value": 0},
                    "every record has a generation_id"),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "repeated_ids", "max_value": 0},
                    "no generation_id appears twice"),
        Expectation("ExpectColumnValuesToBeInSet",
                    {"column": "recipe", "value_set": sorted(loaded.spec.recipes)},
                    "every generation comes from a recipe of the spec"),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "min_text_chars", "min_value": 1},
                    "no generation is empty"),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "min_cost_usd", "min_value": 0},
                    "costs are not negative"),
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "min_completion_tokens", "min_value": 0},
                    "token counts are not negative"),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "min_latency_s", "min_value": 0},
                    "latencies are not negative"),
    ]
