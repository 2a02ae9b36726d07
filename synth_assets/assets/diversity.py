"""Diversity of a snapshot's texts as Dagster metadata: numbers (plotted across
materializations in the UI) overall and per recipe, plus a per-recipe table."""

import dagster as dg
import pandas as pd

from synth_assets.assets.metadata import markdown_table
from synth_assets.checks.diversity_suite import diversity_frame
from synth_assets.metrics.diversity import measure

PER_RECIPE_NUMBERS = ["distinct_2", "duplicate_share"]


def diversity_metadata(generations: pd.DataFrame) -> dict[str, object]:
    overall = measure(generations["text"].tolist()).as_dict()
    metadata: dict[str, object] = {
        f"diversity/{name}": dg.MetadataValue.float(float(value))
        for name, value in overall.items() if name != "records"
    }
    per_recipe = diversity_frame(generations)
    for row in per_recipe.itertuples():
        for name in PER_RECIPE_NUMBERS:
            metadata[f"diversity/{row.recipe}/{name}"] = dg.MetadataValue.float(
                float(getattr(row, name)))
    metadata["diversity_per_recipe"] = markdown_table(per_recipe, limit=100)
    return metadata
