"""The worst contamination hits as the catalog shows them: the record beside the item."""

from typing import Any

import dagster as dg
import pandas as pd

from synth_assets.defs.metadata import cell


def worst_hits_markdown(worst: pd.DataFrame) -> dg.MarkdownMetadataValue:
    """Each hit as a heading and a two-column table: the record's text beside the item's."""
    if worst.empty:
        return dg.MetadataValue.md("_no hits_")
    parts = []
    for hit in worst.itertuples():
        parts += [
            f"**{hit.benchmark} {hit.item_id}** in `{hit.generation_id}` ({hit.segment}); "
            f"detectors: {hit.detectors_fired}; {cell(hit.evidence)}",
            "",
            "| record | benchmark item |",
            "| --- | --- |",
            f"| {_cell_block(hit.record_excerpt)} | {_cell_block(hit.item_excerpt)} |",
            "",
        ]
    return dg.MetadataValue.md("\n".join(parts))


def _cell_block(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")
