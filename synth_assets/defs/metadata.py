"""Small helpers that turn stage results into Dagster metadata that renders in the UI."""

from collections.abc import Sequence
from typing import Any

import dagster as dg
import pandas as pd

PREVIEW_CHARS = 160


def clip(text: Any, limit: int = PREVIEW_CHARS) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def markdown_table(frame: pd.DataFrame, columns: Sequence[str] | None = None,
                   limit: int = 10) -> dg.MarkdownMetadataValue:
    shown = frame[list(columns)] if columns else frame
    shown = shown.head(limit)
    if shown.empty:
        return dg.MetadataValue.md("_no rows_")
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "| " + " | ".join("---" for _ in shown.columns) + " |"
    body = [
        "| " + " | ".join(_cell(value) for value in row) + " |"
        for row in shown.itertuples(index=False)
    ]
    return dg.MetadataValue.md("\n".join([header, rule, *body]))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return clip(value).replace("|", "\\|")


def worst_hits_markdown(worst: pd.DataFrame) -> dg.MarkdownMetadataValue:
    """Each hit as a heading and a two-column table: the record's text beside the item's."""
    if worst.empty:
        return dg.MetadataValue.md("_no hits_")
    parts = []
    for hit in worst.itertuples():
        parts += [
            f"**{hit.benchmark} {hit.item_id}** in `{hit.generation_id}` ({hit.segment}); "
            f"detectors: {hit.detectors_fired}; {_cell(hit.evidence)}",
            "",
            "| record | benchmark item |",
            "| --- | --- |",
            f"| {_cell_block(hit.record_excerpt)} | {_cell_block(hit.item_excerpt)} |",
            "",
        ]
    return dg.MetadataValue.md("\n".join(parts))


def _cell_block(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


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
