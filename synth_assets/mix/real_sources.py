"""Real (human-written) records that mixtures blend back in with synthetic data."""

from pathlib import Path
from typing import Any

from synth_assets.jsonl import InputFileError, read_jsonl
from synth_assets.lineage.ids import content_id

REAL_FIELDS = ("instruction", "response", "domain", "license")
DOMAINS = ("math", "code", "general")


def load_real_source(source: str, path: Path) -> list[dict[str, Any]]:
    rows = []
    for line, record in read_jsonl(path, REAL_FIELDS):
        if record["domain"] not in DOMAINS:
            raise InputFileError(path, line, f"domain must be one of {DOMAINS}")
        rows.append({
            "real_id": content_id("real", source, record["instruction"], record["response"]),
            "source": source,
            "domain": record["domain"],
            "instruction": record["instruction"],
            "response": record["response"],
            "license": record["license"],
            "source_file": str(path),
            "source_line": line,
        })
    return rows
