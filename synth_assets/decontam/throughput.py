"""The contamination stage's performance devices, kept apart from what it decides:
- `objects_so_far_left_out_of_gc`: gc.freeze() around the scan;
- `CleanScans`: the ids of the clean scans spilled to a Parquet file DuckDB reads back, so no
  per-record state stays in Python however many records stream by;
- `BatchedWrites`: items gathered and handed to a write function in one transaction per
  WRITE_EVERY items or WRITE_EVERY_SECONDS, since a transaction has a fixed cost.
"""

import gc
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

WRITE_EVERY = 25_000
WRITE_EVERY_SECONDS = 30.0

Item = TypeVar("Item")


@contextmanager
def objects_so_far_left_out_of_gc() -> Iterator[None]:
    """gc.freeze() for the scan: the hundreds of thousands of objects the process already holds
    (imported libraries, the detectors' indexes) are then not traversed again by every full
    garbage collection the per-batch allocations trigger, which measured a fifth of the stage's
    time. Objects made during the scan are collected as usual. Left alone if the process froze
    objects itself."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class CleanScans:
    """(generation_id, scan_id) of the records a run found clean, spilled batch by batch to a
    Parquet file that DuckDB reads back at the end (quarantine, clean snapshot)."""

    _SCHEMA = pa.schema([("generation_id", pa.string()), ("scan_id", pa.string())])

    def __enter__(self) -> "CleanScans":
        self._folder = tempfile.TemporaryDirectory(prefix="synth-clean-scans-")
        self.path = Path(self._folder.name) / "clean.parquet"
        self._writer = pq.ParquetWriter(self.path, self._SCHEMA)
        self.count = 0
        return self

    def add(self, generation_ids: list[str], scan_ids: list[str]) -> None:
        if generation_ids:
            self._writer.write_table(pa.table([generation_ids, scan_ids], schema=self._SCHEMA))
            self.count += len(generation_ids)

    def close(self) -> None:
        """Finish the file; call before DuckDB reads it."""
        self._writer.close()

    def __exit__(self, *exc_info: object) -> None:
        self._writer.close()
        self._folder.cleanup()


class BatchedWrites(Generic[Item]):
    """Items waiting to be written: `write` gets them all at once when WRITE_EVERY have gathered
    or WRITE_EVERY_SECONDS have passed since the last write, and at `flush`. A run stopped
    midway loses at most that much work."""

    def __init__(self, write: Callable[[list[Item]], None]) -> None:
        self._write = write
        self._items: list[Item] = []
        self._written_at = time.monotonic()

    def add(self, item: Item) -> None:
        self._items.append(item)
        if (len(self._items) >= WRITE_EVERY
                or time.monotonic() - self._written_at >= WRITE_EVERY_SECONDS):
            self.flush()

    def flush(self) -> None:
        if self._items:
            self._write(self._items)
        self._items = []
        self._written_at = time.monotonic()
