"""The DuckDB lineage store: the only code that talks SQL to the records file.

DuckDB admits one writing process per file, so connections are short-lived (opened per
read or per write transaction, never held across LLM calls) and opening retries while another
process holds the lock.
"""

import hashlib
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from synth_assets.lineage.ids import canonical_json, content_id
from synth_assets.lineage.migrations import bring_up_to_date
from synth_assets.lineage.sql_files import schema_tables, statement

DEFAULT_LOCK_TIMEOUT_S = 600.0
SNAPSHOT_BATCH_ROWS = 100_000
# Tables DuckDB keeps without a primary-key index (its memory grew with every row), by id column.
TABLES_WITHOUT_KEY = {"contamination_verdicts": "scan_id", "mixture_records": "mixture_record_id"}
ALL_PARTITIONS = "all partitions"  # label of a snapshot joining every partition of a stage
_SCHEMA_APPLIED: set[tuple[str, int]] = set()  # store files this process brought up to date
_log = logging.getLogger(__name__)


def _private_folder(folder: Path) -> None:
    """Create the store's folder readable by its owner only: it also holds DuckDB's WAL, which
    DuckDB creates with the process umask. An existing folder is left as it is, with a warning
    when others may read it."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        _log.warning("the store's folder %s is accessible to other users; the store file is "
                     "created 0600, but its WAL follows the umask", folder)


def _duckdb_config() -> dict[str, str]:
    """SYNTH_DUCKDB_MEMORY_LIMIT (e.g. 2GB) caps DuckDB's memory; past it DuckDB spills to disk."""
    limit = os.environ.get("SYNTH_DUCKDB_MEMORY_LIMIT")
    return {"memory_limit": limit} if limit else {}


def _rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# Rows as columns: column name -> its values, one per row.
Columns = dict[str, list[Any]]


class LockTimeoutError(RuntimeError):
    pass


def require_table(table: str) -> None:
    """Table names are formatted into statements: only the schema's own."""
    if table not in schema_tables():
        raise ValueError(f"unknown table {table!r}; tables: {sorted(schema_tables())}")


def snapshot_id_of(stage: str, label: str, member_ids: Sequence[str]) -> str:
    """The id record_snapshot gives these members: a snapshot stored under it holds them."""
    return content_id("snap", stage, label, sorted(set(member_ids)))


class SnapshotWrites(ABC):
    """What a write transaction does in terms of each engine's primitives (insert_new, the
    named statements): the same for DuckDB (StoreWriter) and PostgreSQL (PostgresWriter)."""

    @abstractmethod
    def insert_new(self, table: str, rows: Sequence[dict[str, Any]] | pa.Table) -> int:
        """Insert the rows whose primary key is not stored yet; returns how many were new."""

    @abstractmethod
    def execute(self, file_name: str, name: str, **params: Any) -> None:
        """Run a named statement."""

    @abstractmethod
    def record_snapshot_of(self, stage: str, label: str, file_name: str, name: str,
                           **params: Any) -> str:
        """record_snapshot for the ids a named statement selects (as `record_id`)."""

    def link(self, edges: Sequence[tuple[str, str, str]]) -> int:
        """Store (child_id, parent_id, relation) edges."""
        rows = [{"child_id": c, "parent_id": p, "relation": r} for c, p, r in edges]
        return self.insert_new("edges", rows)

    def record_snapshot(self, stage: str, label: str, member_ids: Sequence[str]) -> str:
        """Store the membership of one materialization; the id is derived from the members."""
        members = sorted(set(member_ids))
        snapshot_id = snapshot_id_of(stage, label, members)
        self.insert_new(
            "snapshots",
            [{"snapshot_id": snapshot_id, "stage": stage, "label": label,
              "member_count": len(members)}],
        )
        self.insert_new(
            "snapshot_members",
            pa.table({"snapshot_id": [snapshot_id] * len(members), "record_id": members}),
        )
        return snapshot_id

    def record_partition_snapshot(self, stage: str, partition_key: str,
                                  member_ids: Sequence[str]) -> str:
        """record_snapshot for one partition of a stage, which then holds that snapshot."""
        snapshot_id = self.record_snapshot(stage, partition_key, member_ids)
        self.execute("writes.sql", "set_partition_head", stage=stage,
                     partition_key=partition_key, snapshot_id=snapshot_id)
        return snapshot_id

    def record_all_partitions_snapshot(self, stage: str) -> str:
        """One snapshot of every record the partitions of a stage hold now."""
        return self.record_snapshot_of(stage, ALL_PARTITIONS, "queries.sql",
                                       "partition_head_members", partitioned_stage=stage)

    def _store_streamed_snapshot(self, stage: str, label: str,
                                 quoted_batches: Iterable[list[str]]) -> tuple[str, int]:
        """The id record_snapshot would give the ids arriving as JSON strings in order, hashed
        while they stream (the list never sits in Python memory); stores the snapshots row."""
        digest = hashlib.sha256(canonical_json([stage, label, []])[:-2].encode())
        count = 0
        for quoted in quoted_batches:
            if quoted:
                digest.update((("," if count else "") + ",".join(quoted)).encode())
                count += len(quoted)
        digest.update(b"]]")
        snapshot_id = f"snap_{digest.hexdigest()[:20]}"
        self.insert_new("snapshots", [{"snapshot_id": snapshot_id, "stage": stage,
                                       "label": label, "member_count": count}])
        return snapshot_id, count


class StoreWriter(SnapshotWrites):
    """Writes inside one open DuckDB transaction; see LineageStore.writer."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    def insert_new(self, table: str, rows: Sequence[dict[str, Any]] | pa.Table) -> int:
        """Insert the rows whose primary key is not stored yet; returns how many were new."""
        require_table(table)
        if table in TABLES_WITHOUT_KEY:
            return self._insert_staged(statement("writes.sql", "insert_new_rows_by_id").format(
                table=table, id_column=TABLES_WITHOUT_KEY[table]), rows)
        return self._insert_staged(statement("writes.sql", "insert_new_rows").format(table=table),
                                   rows)

    def insert_with(self, file_name: str, name: str,
                    rows: Sequence[dict[str, Any]] | pa.Table) -> int:
        """Run a named INSERT that reads the rows as `staged_rows`; returns rows inserted."""
        return self._insert_staged(statement(file_name, name), rows)

    def _insert_staged(self, sql: str, rows: Sequence[dict[str, Any]] | pa.Table) -> int:
        staged = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(list(rows))
        if staged.num_rows == 0:
            return 0
        self.connection.register("staged_rows", staged)
        try:
            inserted = self.connection.execute(sql).fetchone()
        finally:
            self.connection.unregister("staged_rows")
        return int(inserted[0]) if inserted else 0

    def register(self, name: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
        """Make rows readable by the named statements as a table called `name` (no rows: an
        empty table of text columns)."""
        table = (pa.Table.from_pylist(list(rows)).select(list(columns)) if rows else
                 pa.table({column: pa.array([], pa.string()) for column in columns}))
        self.connection.register(name, table)

    def execute(self, file_name: str, name: str, **params: Any) -> None:
        self.connection.execute(statement(file_name, name), params or None)

    def fetch(self, file_name: str, name: str, **params: Any) -> list[dict[str, Any]]:
        return _rows(self.connection.execute(statement(file_name, name), params or None))

    def batches(self, file_name: str, name: str, rows_per_batch: int, **params: Any
                ) -> pa.RecordBatchReader:
        """The statement's result streamed in Arrow batches (bounded memory)."""
        relation = self.connection.sql(statement(file_name, name), params=params or None)
        return relation.to_arrow_reader(rows_per_batch)

    def record_snapshot_of(self, stage: str, label: str, file_name: str, name: str,
                           **params: Any) -> str:
        """record_snapshot for the ids a statement selects (as `record_id`), hashed while
        streaming so the member list never sits in Python memory; same id as record_snapshot."""
        select = statement(file_name, name).rstrip().rstrip(";")
        self.connection.execute(
            statement("writes.sql", "stage_snapshot_ids").format(select=select), params or None
        )
        ordered = self.connection.sql(
            statement("writes.sql", "staged_snapshot_ids_in_order")
        ).to_arrow_reader(SNAPSHOT_BATCH_ROWS)
        snapshot_id, _ = self._store_streamed_snapshot(
            stage, label, (batch.column("quoted").to_pylist() for batch in ordered))
        self.connection.execute(statement("writes.sql", "insert_staged_snapshot_ids"),
                                {"snapshot_id": snapshot_id})
        return snapshot_id

    def delete(self, table: str, id_column: str, record_ids: Sequence[str]) -> int:
        require_table(table)
        sql = statement("writes.sql", "delete_records").format(table=table, id_column=id_column)
        return self._run_on_ids(sql, record_ids)

    def unlink(self, record_ids: Sequence[str]) -> int:
        """Delete every edge into or out of the records (data-removal requests only)."""
        return self._run_on_ids(statement("writes.sql", "delete_edges_touching"), record_ids)

    def _run_on_ids(self, sql: str, record_ids: Sequence[str]) -> int:
        self.connection.register(
            "staged_rows", pa.table({"record_id": pa.array(list(record_ids), pa.string())})
        )
        try:
            changed = self.connection.execute(sql).fetchone()
        finally:
            self.connection.unregister("staged_rows")
        return int(changed[0]) if changed else 0


class LineageStore:
    def __init__(self, path: Path | str, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only,
                                      config=_duckdb_config())
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    if "lock" in str(error).lower():
                        raise LockTimeoutError(
                            f"{self.path} stayed locked by another process for "
                            f"{self.lock_timeout_s:.0f} s"
                        ) from error
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        existed = self.path.exists()
        if not existed:
            _private_folder(self.path.parent)
        conn = self._open(read_only=False)
        try:
            if not existed:
                self.path.chmod(0o600)  # DuckDB creates it with the process umask
            # The schema DDL costs ~25 ms an open: once per file (and inode) per process.
            stored_file = (str(self.path.resolve()), self.path.stat().st_ino)
            if not existed or stored_file not in _SCHEMA_APPLIED:
                bring_up_to_date(conn, self.path)
                _SCHEMA_APPLIED.add(stored_file)
            yield conn
        finally:
            conn.close()

    @contextmanager
    def kept_open(self) -> Iterator[None]:
        """Keep the file open in this process meanwhile: the connections opened inside then
        cost microseconds, where opening the file cold and the checkpoint at its last close
        cost tens of milliseconds. It holds the file's lock, so never keep it open around LLM
        calls."""
        with self.connection():
            yield

    @contextmanager
    def writer(self) -> Iterator[StoreWriter]:
        """One transaction: everything written inside lands together or not at all."""
        with self.connection() as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                yield StoreWriter(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run a named query from synth_assets/sql/queries.sql; rows as dicts."""
        frame = self.query_frame(name, **params)
        return frame.to_dict(orient="records")

    def query_frame(self, name: str, **params: Any) -> pd.DataFrame:
        with self.connection() as conn:
            return conn.execute(statement("queries.sql", name), params or None).df()

    def query_rows(self, name: str, tables: dict[str, dict[str, Sequence[str]]] | None = None,
                   **params: Any) -> list[dict[str, Any]]:
        """Run a named query, optionally reading the given tables of text columns ({table:
        {column: values}}); rows as dicts of plain Python values (NULL is None)."""
        with self.connection() as conn:
            for table, columns in (tables or {}).items():
                conn.register(table, pa.table({c: pa.array(list(v), pa.string())
                                               for c, v in columns.items()}))
            return _rows(conn.execute(statement("queries.sql", name), params or None))

    def stream(self, name: str, batch_rows: int, **params: Any) -> Iterator[Columns]:
        """Run a named query and yield its rows in batches of at most batch_rows, as columns of
        plain Python values, fetched as they are consumed: memory stays flat however many rows
        there are (if the query has no ORDER BY, which would materialize the result). The
        connection stays open until the end, so do not make LLM calls between batches."""
        with self.connection() as conn:
            relation = conn.sql(statement("queries.sql", name), params=params or None)
            for batch in relation.to_arrow_reader(batch_rows):
                yield batch.to_pydict()

    def query_with_ids(self, name: str, ids: Sequence[str], **params: Any) -> pd.DataFrame:
        """Run a named query that reads the ids from a table named `wanted_ids(record_id)`."""
        with self.connection() as conn:
            conn.register("wanted_ids", pa.table({"record_id": pa.array(list(ids), pa.string())}))
            return conn.execute(statement("queries.sql", name), params or None).df()

    def read_table(self, table: str, batch_rows: int, first_row: int = 0) -> Iterator[pa.Table]:
        """Every row of a table in Arrow batches (from its first_row-th row on, in insertion
        order: what was appended since)."""
        require_table(table)
        name = "rows_appended_since" if first_row else "table_rows"
        with self.connection() as conn:
            relation = conn.sql(statement("writes.sql", name).format(table=table),
                                params={"first_row": first_row} if first_row else None)
            for batch in relation.to_arrow_reader(batch_rows):
                yield pa.Table.from_batches([batch])
