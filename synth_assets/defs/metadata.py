"""Small helpers that turn stage results into Dagster metadata that renders in the UI: every
stage's own metadata is built from these."""

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
        "| " + " | ".join(cell(value) for value in row) + " |"
        for row in shown.itertuples(index=False)
    ]
    return dg.MetadataValue.md("\n".join([header, rule, *body]))


def cell(value: Any) -> str:
    """One value as a table cell: numbers to 4 significant digits, text clipped to one line."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return clip(value).replace("|", "\\|")
