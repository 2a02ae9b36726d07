"""The seed_sets GE suite: unique ids, known sets and kinds, every set its minimum size."""

import pandas as pd

from synth_assets.defs.ge_adapter import Expectation
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.seeds import REQUIRED_FIELDS
from synth_assets.spec import LoadedSpec


def _unique_ids(column: str) -> list[Expectation]:
    return [
        Expectation("ExpectColumnValuesToNotBeNull", {"column": column},
                    f"every record has a {column}"),
        Expectation("ExpectColumnValuesToBeUnique", {"column": column},
                    f"no {column} appears twice"),
    ]


def seed_sets_suite(store: LineageStore, loaded: LoadedSpec, snapshot_id: str
                    ) -> tuple[pd.DataFrame, list[Expectation]]:
    seeds = store.query_frame("seeds_in_snapshot", snapshot_id=snapshot_id)
    counts = seeds.groupby("seed_set").size()
    frame = seeds[["seed_id", "seed_set", "kind"]].assign(
        seeds_in_set=seeds["seed_set"].map(counts).fillna(0).astype(int)
    )
    minimum = loaded.spec.quality.min_seeds_per_set
    return frame, [
        Expectation("ExpectTableRowCountToBeBetween", {"min_value": max(minimum, 1)},
                    "the seed sets are not empty"),
        *_unique_ids("seed_id"),
        Expectation("ExpectColumnValuesToBeInSet",
                    {"column": "seed_set", "value_set": sorted(loaded.spec.seed_sets)},
                    "every seed belongs to a seed set of the spec"),
        Expectation("ExpectColumnValuesToBeInSet",
                    {"column": "kind", "value_set": sorted(REQUIRED_FIELDS)},
                    "every seed has a known kind"),
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "seeds_in_set", "min_value": minimum},
                    f"every seed set has at least {minimum} seeds (quality.min_seeds_per_set)"),
    ]
