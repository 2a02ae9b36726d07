"""Writes a mixture as JSONL and Parquet plus a manifest; same rows give the same bytes."""

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

EXPORT_COLUMNS = ("id", "source_kind", "source_record_id", "domain", "instruction", "response")


def export_row(record: dict[str, Any]) -> dict[str, Any]:
    """One training example: the record plus OpenAI chat fine-tuning `messages`."""
    row = {column: record[column] for column in EXPORT_COLUMNS}
    row["messages"] = [
        {"role": "user", "content": record["instruction"]},
        {"role": "assistant", "content": record["response"]},
    ]
    return row


def write_jsonl(rows: Sequence[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


def write_parquet(rows: Sequence[dict[str, Any]], path: Path) -> None:
    table = pa.Table.from_pylist(list(rows))
    pq.write_table(table, path, compression="zstd")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_export(
    rows: Sequence[dict[str, Any]], folder: Path, formats: Sequence[str], manifest: dict[str, Any]
) -> dict[str, Any]:
    """Write data files and manifest.json into folder; returns the manifest as written."""
    folder.mkdir(parents=True, exist_ok=True)
    writers = {"jsonl": write_jsonl, "parquet": write_parquet}
    files = {}
    for file_format in formats:
        path = folder / f"data.{file_format}"
        writers[file_format](rows, path)
        files[path.name] = {"format": file_format, "sha256": file_sha256(path), "rows": len(rows)}
    manifest = {**manifest, "files": files}
    (folder / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest
