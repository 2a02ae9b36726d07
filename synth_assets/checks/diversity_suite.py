"""The diversity suite of a snapshot of generations: per recipe, distinct-2 at least the spec's
quality.min_distinct_2 and exact + near duplicates at most quality.max_duplicate_share, so a
collapse into near-identical answers fails a blocking check."""

import pandas as pd

from synth_assets.checks.ge_adapter import Expectation
from synth_assets.lineage.store import LineageStore
from synth_assets.metrics.diversity import diversity_by_recipe
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import QualitySpec

COLUMNS = ["recipe", "records", "distinct_1", "distinct_2", "compression_ratio",
           "mean_pairwise_similarity", "exact_duplicate_share", "near_duplicate_share",
           "duplicate_share"]


def diversity_frame(generations: pd.DataFrame) -> pd.DataFrame:
    """Per-recipe diversity of a frame with `recipe` and `text` columns."""
    rows = diversity_by_recipe(generations["recipe"].tolist(), generations["text"].tolist())
    return pd.DataFrame(rows, columns=COLUMNS)


def diversity_expectations(quality: QualitySpec) -> list[Expectation]:
    return [
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "distinct_2", "min_value": quality.min_distinct_2},
                    f"every recipe's distinct-2 is at least {quality.min_distinct_2} "
                    "(quality.min_distinct_2)"),
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "duplicate_share", "max_value": quality.max_duplicate_share},
                    f"at most {quality.max_duplicate_share:.0%} of each recipe's records are "
                    "exact or near duplicates (quality.max_duplicate_share)"),
    ]


def diversity_suite(store: LineageStore, loaded: LoadedSpec, snapshot_id: str
                    ) -> tuple[pd.DataFrame, list[Expectation]]:
    generations = store.query_frame("generations_in_snapshot", snapshot_id=snapshot_id)
    return diversity_frame(generations), diversity_expectations(loaded.spec.quality)
