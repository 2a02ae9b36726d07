"""What verified_subsets shows about rejections: counts per verifier and a few examples."""

import dagster as dg
import pandas as pd

from synth_assets.defs.metadata import markdown_table

REJECTED_EXAMPLES_PER_VERIFIER = 3


def rejections_metadata(rejections: pd.DataFrame) -> dict[str, dg.MetadataValue]:
    """How many generations each verifier (and dedup) rejected, and a few of them with the
    reason, from verify_stage's rejections (generation_id, recipe, verifier, reason)."""
    counts = rejections.groupby("verifier").size().sort_index()
    examples = rejections.groupby("verifier").head(REJECTED_EXAMPLES_PER_VERIFIER)
    return {
        "rejected_per_verifier": dg.MetadataValue.json(
            {name: int(count) for name, count in counts.items()}),
        "rejected_examples": markdown_table(
            examples.sort_values(["verifier", "generation_id"]),
            limit=REJECTED_EXAMPLES_PER_VERIFIER * max(len(counts), 1)),
    }
