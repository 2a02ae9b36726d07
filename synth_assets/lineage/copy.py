"""Moving records between stores: every row of every table, from a DuckDB file to PostgreSQL
and back (`synth store copy`), and the working copy in which the analytic stages of a
PostgreSQL store run their SQL (DuckDB's columnar engine and its SQL, the same as on a DuckDB
store, so both give the same mixtures and hits for the same records).

Rows keep their ids and created_at; a row the target already holds is skipped (the stores'
insert-if-absent), so a copy can be repeated or resumed.

What a stage wrote to a working copy goes back by one rule: rows of a table no named statement
rewrites are found by position (DuckDB numbers rows in insertion order, so the stage's are
those after the copied ones) and inserted if absent; rows of a table some statement rewrites
(INSERT OR REPLACE, UPDATE: DuckDB changes such a row in place, under its old number) are found
by content, those differing from the rows copied, and replace the stored row of their key. A
row the stage left alone is never sent back, so it cannot undo what another run wrote meanwhile.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from synth_assets.lineage.sql_files import SQL_DIR, named_statements, schema_tables, statement
from synth_assets.lineage.store import LineageStore

if TYPE_CHECKING:
    from synth_assets.lineage.location import Store
    from synth_assets.lineage.postgres_store import PostgresLineageStore

COPY_BATCH_ROWS = 50_000
# A statement that changes stored rows in place (in DuckDB's dialect, which the stages run).
_REWRITE = re.compile(r"^\s*(?:INSERT\s+OR\s+REPLACE\s+INTO|UPDATE)\s+(\w+)",
                      re.MULTILINE | re.IGNORECASE)


@cache
def rewritten_tables() -> frozenset[str]:
    """The store's tables some named statement of synth_assets/sql rewrites rows of."""
    return schema_tables() & frozenset(
        table for path in SQL_DIR.glob("*.sql")
        for sql in named_statements(path.name).values() for table in _REWRITE.findall(sql))


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
    batches), the stage runs there, and what it wrote goes back to PostgreSQL in one
    transaction when the block ends without error (see the module's rule: rows added are
    inserted if absent, so a concurrent run that stored the same records first loses nothing;
    rows replaced replace the stored ones). A stage that deleted rows of the copy fails there:
    a deletion is not written back. No LLM call holds a PostgreSQL connection: the stage only
    sees the copy."""
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
            copied = {table: _all_rows(working, table) for table in rewritten_tables()}
            yield working
            _write_back(working, store, rows_before, copied)
    finally:
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)


def _all_rows(working: LineageStore, table: str) -> pa.Table:
    with working.connection() as conn:
        sql = statement("writes.sql", "table_rows").format(table=table)
        return conn.sql(sql).to_arrow_table()


def _write_back(working: LineageStore, store: PostgresLineageStore, rows_before: dict[str, int],
                copied: dict[str, pa.Table]) -> None:
    _refuse_deletions(working, rows_before)
    with store.writer() as writer:
        for table in sorted(schema_tables()):
            if table in copied:
                writer.upsert(table, _rows_not_copied(working, table, copied[table]))
                continue
            for batch in working.read_table(table, COPY_BATCH_ROWS,
                                            first_row=rows_before[table]):
                writer.insert_new(table, batch)


def _refuse_deletions(working: LineageStore, rows_before: dict[str, int]) -> None:
    with working.connection() as conn:
        for table in sorted(schema_tables()):
            sql = statement("writes.sql", "rows_left_of_first").format(table=table)
            (rows_left,) = conn.execute(sql, {"first_row": rows_before[table]}).fetchone()
            if rows_left < rows_before[table]:
                raise RuntimeError(
                    f"the stage deleted {rows_before[table] - rows_left} rows of {table} in its "
                    f"working copy of the store: a working copy writes back additions and "
                    f"replacements only, so nothing was written back")


def _rows_not_copied(working: LineageStore, table: str, copied: pa.Table) -> pa.Table:
    with working.connection() as conn:
        conn.register("copied_rows", copied)
        sql = statement("writes.sql", "rows_not_copied").format(table=table)
        return conn.sql(sql).to_arrow_table()
