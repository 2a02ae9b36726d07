"""The diversity suite of a snapshot of generations, per recipe: sampled distinct-2 at least the
spec's quality.min_distinct_2, no drop of more than quality.max_distinct_2_drop below the
recipe's earlier partitions, and exact + near duplicates at most quality.max_duplicate_share,
so a collapse into near-identical answers fails a blocking check.

Diversity is measured once per snapshot and stored (diversity_measures): the asset's metadata,
its checks and every rerun that lands on the same snapshot read it back."""

import statistics

import pandas as pd

from synth_assets.checks.ge_adapter import Expectation
from synth_assets.lineage.store import LineageStore
from synth_assets.metrics.diversity import diversity_by_recipe, measure
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import QualitySpec
from synth_assets.stages.partitions import labelled_partition

ALL_RECIPES = "*"  # the row of a snapshot's records of every recipe together
EARLIER_PARTITIONS = 7  # how many earlier days a partition's distinct-2 is compared with
COLUMNS = ["recipe", "records", "distinct_1", "distinct_2", "distinct_2_spread", "sampled_words",
           "compression_ratio", "mean_pairwise_similarity", "exact_duplicate_share",
           "near_duplicate_share", "duplicate_share"]


def diversity_frame(generations: pd.DataFrame) -> pd.DataFrame:
    """Per-recipe diversity of a frame with `recipe` and `text` columns."""
    rows = diversity_by_recipe(generations["recipe"].tolist(), generations["text"].tolist())
    return pd.DataFrame(rows, columns=COLUMNS)


def snapshot_diversity(store: LineageStore, snapshot_id: str) -> pd.DataFrame:
    """Per-recipe diversity of a snapshot's generations plus an ALL_RECIPES row: read from the
    store, or measured and stored when this snapshot was never measured."""
    stored = store.query_frame("diversity_of_snapshot", snapshot_id=snapshot_id)
    if len(stored):
        return stored.assign(
            duplicate_share=stored["exact_duplicate_share"] + stored["near_duplicate_share"]
        )[COLUMNS]
    generations = store.query_frame("recipe_texts_in_snapshot", snapshot_id=snapshot_id)
    if generations.empty:
        return pd.DataFrame([], columns=COLUMNS)
    overall = {"recipe": ALL_RECIPES, **measure(generations["text"].tolist()).as_dict()}
    frame = pd.concat([pd.DataFrame([overall], columns=COLUMNS), diversity_frame(generations)],
                      ignore_index=True)
    with store.writer() as writer:
        writer.insert_new("diversity_measures", frame.drop(columns="duplicate_share").assign(
            snapshot_id=snapshot_id).to_dict(orient="records"))
    return frame


def earlier_distinct_2(store: LineageStore, stage: str, partition_key: str, recipe: str
                       ) -> float | None:
    """Median sampled distinct-2 of the recipe over the partitions of up to EARLIER_PARTITIONS
    earlier days; None for an unpartitioned run or a recipe's first day."""
    partition = labelled_partition(partition_key)
    if partition is None:
        return None
    measured = sorted(((labelled_partition(row["partition_key"]).day, row["distinct_2"])
                       for row in store.query("partitions_distinct_2", stage=stage,
                                              recipe=recipe)), reverse=True)
    values = [value for day, value in measured if day < partition.day][:EARLIER_PARTITIONS]
    return statistics.median(values) if values else None


def with_drop_floor(per_recipe: pd.DataFrame, earlier: dict[str, float | None],
                    quality: QualitySpec) -> pd.DataFrame:
    """Adds each recipe's earlier distinct-2 (NaN: none) and the floor it sets: at most
    quality.max_distinct_2_drop below it (0 when there is nothing to compare with)."""
    before = per_recipe["recipe"].map(earlier).astype(float)
    return per_recipe.assign(
        earlier_distinct_2=before,
        distinct_2_drop_floor=(before * (1 - quality.max_distinct_2_drop)).fillna(0.0),
    )


def diversity_expectations(quality: QualitySpec) -> list[Expectation]:
    return [
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "distinct_2", "min_value": quality.min_distinct_2},
                    f"every recipe's distinct-2 (on fixed-size samples) is at least "
                    f"{quality.min_distinct_2} (quality.min_distinct_2)"),
        Expectation("ExpectColumnPairValuesAToBeGreaterThanB",
                    {"column_A": "distinct_2", "column_B": "distinct_2_drop_floor",
                     "or_equal": True},
                    f"no recipe's distinct-2 dropped more than {quality.max_distinct_2_drop:.0%} "
                    "below its earlier partitions' (quality.max_distinct_2_drop)"),
        Expectation("ExpectColumnValuesToBeBetween",
                    {"column": "duplicate_share", "max_value": quality.max_duplicate_share},
                    f"at most {quality.max_duplicate_share:.0%} of each recipe's records are "
                    "exact or near duplicates (quality.max_duplicate_share)"),
    ]


def diversity_check_frame(store: LineageStore, snapshot_id: str, quality: QualitySpec
                          ) -> pd.DataFrame:
    """The snapshot's per-recipe diversity with the floor each recipe's earlier days set."""
    measured = snapshot_diversity(store, snapshot_id)
    per_recipe = measured[measured["recipe"] != ALL_RECIPES].reset_index(drop=True)
    [snapshot] = store.query("snapshot_stage_and_label", snapshot_id=snapshot_id)
    earlier = {recipe: earlier_distinct_2(store, snapshot["stage"], snapshot["label"], recipe)
               for recipe in per_recipe["recipe"]}
    return with_drop_floor(per_recipe, earlier, quality)


def diversity_suite(store: LineageStore, loaded: LoadedSpec, snapshot_id: str
                    ) -> tuple[pd.DataFrame, list[Expectation]]:
    quality = loaded.spec.quality
    return diversity_check_frame(store, snapshot_id, quality), diversity_expectations(quality)
