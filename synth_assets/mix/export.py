"""Writes a mixture's export folder from a stream of Arrow batches: JSONL, Parquet, OpenAI chat
fine-tuning JSONL, a dataset card (README.md, which makes the folder loadable with
`datasets.load_dataset(folder)`) and manifest.json. Files are written into a staging folder and
swapped in by `publish`, so a failed export leaves the previous one intact. Same rows give the
same bytes: row groups have a fixed size and nothing depends on time or thread count."""

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from synth_assets.file_hashes import file_sha256

PARQUET_ROW_GROUP_ROWS = 50_000
LINE_COLUMNS = {"jsonl": "json_line", "openai_chat": "chat_line"}
FILE_NAMES = {"jsonl": "data.jsonl", "parquet": "data.parquet", "openai_chat": "openai_chat.jsonl"}


@dataclass(frozen=True)
class StagedExport:
    staging: Path
    folder: Path
    manifest: dict[str, Any]

    def publish(self) -> None:
        """Replace the export folder by the staged one."""
        retired = self.folder.with_name(self.folder.name + ".retired")
        shutil.rmtree(retired, ignore_errors=True)
        if self.folder.exists():
            self.folder.rename(retired)
        self.staging.rename(self.folder)
        shutil.rmtree(retired, ignore_errors=True)


def stage_export(
    batches: pa.RecordBatchReader,
    folder: Path,
    formats: Iterable[str],
    card: str,
    manifest: dict[str, Any],
) -> StagedExport:
    """Write every format from one pass over the batches into `<folder>.partial`."""
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    formats = list(formats)
    line_files = {f: (staging / FILE_NAMES[f]).open("w", encoding="utf-8")
                  for f in formats if f in LINE_COLUMNS}
    data_schema = pa.schema([field for field in batches.schema
                             if field.name not in LINE_COLUMNS.values()])
    parquet = (_RowGroupWriter(staging / FILE_NAMES["parquet"], data_schema)
               if "parquet" in formats else None)
    rows = 0
    try:
        for batch in batches:
            rows += batch.num_rows
            for file_format, handle in line_files.items():
                lines = batch.column(LINE_COLUMNS[file_format]).to_pylist()
                if lines:
                    handle.write("\n".join(lines) + "\n")
            if parquet is not None:
                parquet.add(batch.select(data_schema.names))
    finally:
        for handle in line_files.values():
            handle.close()
        if parquet is not None:
            parquet.close()
    (staging / "README.md").write_text(card, encoding="utf-8")
    files = {
        FILE_NAMES[f]: {"format": f, "rows": rows, "sha256": file_sha256(staging / FILE_NAMES[f])}
        for f in formats
    }
    files["README.md"] = {"format": "dataset_card",
                          "sha256": file_sha256(staging / "README.md")}
    manifest = {**manifest, "files": files}
    (staging / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return StagedExport(staging, folder, manifest)


class _RowGroupWriter:
    """Parquet with row groups of exactly PARQUET_ROW_GROUP_ROWS rows (the last one shorter),
    whatever batch sizes arrive."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.schema = schema
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0

    def add(self, batch: pa.RecordBatch) -> None:
        self.pending.append(batch)
        self.pending_rows += batch.num_rows
        while self.pending_rows >= PARQUET_ROW_GROUP_ROWS:
            table = pa.Table.from_batches(self.pending, self.schema)
            self.writer.write_table(table.slice(0, PARQUET_ROW_GROUP_ROWS),
                                    row_group_size=PARQUET_ROW_GROUP_ROWS)
            rest = table.slice(PARQUET_ROW_GROUP_ROWS)
            self.pending = rest.to_batches()
            self.pending_rows = rest.num_rows

    def close(self) -> None:
        if self.pending_rows:
            self.writer.write_table(pa.Table.from_batches(self.pending, self.schema),
                                    row_group_size=PARQUET_ROW_GROUP_ROWS)
        self.writer.close()


