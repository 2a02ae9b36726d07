"""The DuckDB lineage store: the only code that talks SQL to the records file.

DuckDB admits one writing process per file, so connections are short-lived (opened per
read or per write transaction, never held across LLM calls) and opening retries while another
process holds the lock.
"""

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.sql_files import schema_sql, schema_tables, statement

DEFAULT_LOCK_TIMEOUT_S = 600.0


def default_db_path() -> Path:
    """SYNTH_DB if set, else synth.duckdb under DAGSTER_HOME (or ./dagster_home)."""
    if os.environ.get("SYNTH_DB"):
        return Path(os.environ["SYNTH_DB"])
    return Path(os.environ.get("DAGSTER_HOME", "dagster_home")) / "synth.duckdb"


class LockTimeoutError(RuntimeError):
    pass


class StoreWriter:
    """Writes inside one open transaction; see LineageStore.writer."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    def insert_new(self, table: str, rows: Sequence[dict[str, Any]] | pa.Table) -> int:
        """Insert the rows whose primary key is not stored yet; returns how many were new."""
        if table not in schema_tables():
            raise ValueError(f"unknown table {table!r}; tables: {sorted(schema_tables())}")
        staged = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(list(rows))
        if staged.num_rows == 0:
            return 0
        self.connection.register("staged_rows", staged)
        try:
            sql = statement("writes.sql", "insert_new_rows").format(table=table)
            inserted = self.connection.execute(sql).fetchone()
        finally:
            self.connection.unregister("staged_rows")
        return int(inserted[0]) if inserted else 0

    def link(self, edges: Sequence[tuple[str, str, str]]) -> int:
        """Store (child_id, parent_id, relation) edges."""
        rows = [{"child_id": c, "parent_id": p, "relation": r} for c, p, r in edges]
        return self.insert_new("edges", rows)

    def record_snapshot(self, stage: str, label: str, member_ids: Sequence[str]) -> str:
        """Store the membership of one materialization; the id is derived from the members."""
        members = sorted(set(member_ids))
        snapshot_id = content_id("snap", stage, label, members)
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

    def delete(self, table: str, id_column: str, record_ids: Sequence[str]) -> int:
        if table not in schema_tables():
            raise ValueError(f"unknown table {table!r}")
        self.connection.register("staged_rows", pa.table({"record_id": list(record_ids)}))
        try:
            sql = statement("writes.sql", "delete_records").format(table=table, id_column=id_column)
            deleted = self.connection.execute(sql).fetchone()
        finally:
            self.connection.unregister("staged_rows")
        return int(deleted[0]) if deleted else 0


class LineageStore:
    def __init__(self, path: Path | str, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._open(read_only=False)
        try:
            conn.execute(schema_sql())
            yield conn
        finally:
            conn.close()

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
        """Run a named query from sql/queries.sql; rows as dicts."""
        frame = self.query_frame(name, **params)
        return frame.to_dict(orient="records")

    def query_frame(self, name: str, **params: Any) -> pd.DataFrame:
        with self.connection() as conn:
            return conn.execute(statement("queries.sql", name), params or None).df()

    def stream(self, name: str, batch_rows: int, **params: Any) -> Iterator[pd.DataFrame]:
        """Run a named query and yield its rows in frames of at most batch_rows, fetched as they
        are consumed: memory stays flat however many rows there are (if the query has no ORDER
        BY, which would materialize the result). The connection stays open until the end, so
        do not make LLM calls between batches."""
        with self.connection() as conn:
            relation = conn.sql(statement("queries.sql", name), params=params or None)
            reader = relation.to_arrow_reader(batch_rows)
            for batch in reader:
                yield batch.to_pandas()

    def query_with_ids(self, name: str, ids: Sequence[str], **params: Any) -> pd.DataFrame:
        """Run a named query that reads the ids from a table named `wanted_ids(record_id)`."""
        with self.connection() as conn:
            conn.register("wanted_ids", pa.table({"record_id": pa.array(list(ids), pa.string())}))
            return conn.execute(statement("queries.sql", name), params or None).df()
