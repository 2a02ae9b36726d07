"""A record's history as readable text: the record and everything it was made from."""

import json
from typing import Any

from synth_assets.lineage.store import LineageStore

CLIP_CHARS = 400


class UnknownRecordError(LookupError):
    pass


def lineage_chain(store: LineageStore, record_id: str) -> list[dict[str, Any]]:
    rows = store.query("lineage_chain", record_id=record_id)
    if not rows:
        raise UnknownRecordError(f"no record with id {record_id!r} in {store.path}")
    return rows


def format_chain(rows: list[dict[str, Any]], full: bool = False) -> str:
    lines = []
    for row in rows:
        lines.append(f"{row['kind']}  {row['record_id']}  ({row['created_at']:%Y-%m-%d %H:%M:%S})")
        if isinstance(row["reached_by"], str):
            lines.append(f"  linked as: {row['reached_by']}")
        for key, value in json.loads(row["details"]).items():
            lines.append(f"  {key}: {_show(value, full)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _show(value: Any, full: bool) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if not full and len(text) > CLIP_CHARS:
        text = text[: CLIP_CHARS - 1] + "…"
    return text.replace("\n", "\n    ")
