"""Diversity of a snapshot's texts as Dagster metadata: numbers (plotted across
materializations in the UI) overall and per recipe, plus a per-recipe table."""

import dagster as dg

from synth_assets.defs.diversity.suite import ALL_RECIPES, snapshot_diversity
from synth_assets.defs.metadata import markdown_table
from synth_assets.lineage.store import LineageStore

PER_RECIPE_NUMBERS = ["distinct_2", "duplicate_share"]


def diversity_metadata(store: LineageStore, snapshot_id: str) -> dict[str, object]:
    measured = snapshot_diversity(store, snapshot_id)
    overall = measured[measured["recipe"] == ALL_RECIPES]
    per_recipe = measured[measured["recipe"] != ALL_RECIPES]
    metadata: dict[str, object] = {
        f"diversity/{name}": dg.MetadataValue.float(float(value))
        for name, value in overall.iloc[0].items() if name not in ("recipe", "records")
    } if len(overall) else {}
    for row in per_recipe.itertuples():
        for name in PER_RECIPE_NUMBERS:
            metadata[f"diversity/{row.recipe}/{name}"] = dg.MetadataValue.float(
                float(getattr(row, name)))
    metadata["diversity_per_recipe"] = markdown_table(per_recipe, limit=100)
    return metadata
