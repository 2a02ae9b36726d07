"""Moving records between stores: every row of every table, from a DuckDB file to PostgreSQL
and back (`synth store copy`), and the working copy in which the analytic stages of a
PostgreSQL store run their SQL (DuckDB's columnar engine and its SQL, the same as on a DuckDB
store, so both give the same mixtures and hits for the same records).

Rows keep their ids and created_at; a row the target already holds is skipped (the stores'
insert-if-absent), so a copy can be repeated or resumed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from synth_assets.lineage.sql_files import schema_tables
from synth_assets.lineage.store import LineageStore

if TYPE_CHECKING:
    from synth_assets.lineage.location import Store

COPY_BATCH_ROWS = 50_000
# Tables whose rows a later write replaces instead of adding (partition heads move).
MOVING_POINTERS = "partition_heads"


def copy_store(source: Store, target: Store, batch_rows: int = COPY_BATCH_ROWS
               ) -> dict[str, int]:
    """Copy every row of every table of source into target; rows read per table."""
    rows_read = {}
    with source.kept_open(), target.kept_open():  # a DuckDB file opened once, not per batch
        for table in sorted(schema_tables()):
            rows_read[table] = 0
            for batch in source.read_table(table, batch_rows):
                with target.writer() as writer:  # a transaction per batch: none half-written
                    writer.insert_new(table, batch)
                rows_read[table] += batch.num_rows
    return rows_read


@contextmanager
def analytic_store(store: Store, folder: Path) -> Iterator[LineageStore]:
    """A DuckDB store to run an analytic stage on. A DuckDB store is its own; a PostgreSQL
    store is copied into a DuckDB file in `folder`, deleted after (its tables bulk-read in Arrow
    batches), the stage runs there, and what it added goes back to PostgreSQL in one
    transaction when the block ends without error (insert-if-absent: a concurrent run that
    stored the same records first loses nothing). No LLM call holds a PostgreSQL connection:
    the stage only sees the copy."""
    if isinstance(store, LineageStore):
        yield store
        return
    # In `folder` itself, not a folder of its own: files the stages keep beside the store (the
    # benchmark index cache) then outlive the copy.
    path = folder / f"synth-analytic-{uuid.uuid4().hex}.duckdb"
    try:
        working = LineageStore(path)
        with working.kept_open():
            rows_before = copy_store(store, working)
            yield working
            _write_back(working, store, rows_before)
    finally:
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)


def _write_back(working: LineageStore, store: Store, rows_before: dict[str, int]) -> None:
    with store.writer() as writer:
        for table in sorted(schema_tables()):
            for batch in working.read_table(table, COPY_BATCH_ROWS,
                                            first_row=rows_before[table]):
                if table == MOVING_POINTERS:
                    for head in batch.to_pylist():
                        writer.execute("writes.sql", "set_partition_head", stage=head["stage"],
                                       partition_key=head["partition_key"],
                                       snapshot_id=head["snapshot_id"])
                else:
                    writer.insert_new(table, batch)
