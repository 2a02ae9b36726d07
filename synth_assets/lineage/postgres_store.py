"""The lineage store on PostgreSQL, for many writers at once: the methods of LineageStore over a
SQLAlchemy engine (psycopg 3 driver), chosen when SYNTH_DB is a URL (lineage/open.py).

Concurrent writers need no coordination: ids are content-derived and every insert skips rows
already stored (ON CONFLICT DO NOTHING), in key order so two writers of the same rows wait on
each other rather than deadlock. Rows arrive by COPY into a temporary table; tables the named
queries read (`wanted_ids`, ...) are temporary tables filled by COPY, where DuckDB registers
Arrow tables. One transaction per write batch: a failed write leaves nothing behind.

The URL's password never leaves the engine: `path` (what messages show) hides it.
"""

import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import psycopg
import pyarrow as pa
import sqlalchemy as sa
from psycopg.types.numeric import FloatLoader
from psycopg.types.string import TextLoader

from synth_assets.lineage.migrations import apply_schema
from synth_assets.lineage.sql_files import statement
from synth_assets.lineage.store import (
    SNAPSHOT_BATCH_ROWS,
    Columns,
    SnapshotWrites,
    require_table,
)

CONNECT_TIMEOUT_S = 10
DEFAULT_RECONNECT_TIMEOUT_S = 120.0
_INSERT_TARGET = re.compile(r"INSERT INTO (\w+)")
_log = logging.getLogger(__name__)
_ENGINES: dict[tuple[int, str], sa.Engine] = {}   # (process, URL): engines hold sockets
_SCHEMA_APPLIED: set[tuple[int, str]] = set()


class StoreUnavailableError(ConnectionError):
    """The PostgreSQL server did not accept a connection within the reconnect timeout."""


def _read_as_python(dbapi_connection: psycopg.Connection, _record: Any) -> None:
    """Read values as DuckDB returns them: JSON as its text (callers parse it), and numeric
    (what sums and averages of integers give) as float."""
    for json_type in ("json", "jsonb"):
        dbapi_connection.adapters.register_loader(json_type, TextLoader)
    dbapi_connection.adapters.register_loader("numeric", FloatLoader)


def _engine(url: sa.URL) -> sa.Engine:
    """One engine per URL and process (a forked process must not share the parent's sockets)."""
    key = (os.getpid(), url.render_as_string(hide_password=False))
    if key not in _ENGINES:
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=8,
                                  connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
        sa.event.listen(engine, "connect", _read_as_python)
        _ENGINES[key] = engine
    return _ENGINES[key]


def _columns_and_rows(rows: Sequence[dict[str, Any]] | pa.Table) -> tuple[list[str], list[tuple]]:
    if isinstance(rows, pa.Table):
        columns = rows.column_names
        values = [rows.column(name).to_pylist() for name in columns]
        return columns, list(zip(*values, strict=True))
    rows = list(rows)
    columns = list(rows[0]) if rows else []
    return columns, [tuple(row[column] for column in columns) for row in rows]


def _staging(connection: psycopg.Connection, statement_name: str, **names: str) -> None:
    """Run a staging statement of postgres/writes.sql: its placeholders are names (tables,
    columns) of the schema or the code, never values."""
    connection.execute(statement("writes.sql", statement_name, "postgres").format(**names))


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


class PostgresWriter(SnapshotWrites):
    """Writes inside one open PostgreSQL transaction; see PostgresLineageStore.writer."""

    def __init__(self, connection: psycopg.Connection, primary_keys: dict[str, list[str]]
                 ) -> None:
        self.connection = connection
        self.primary_keys = primary_keys

    def insert_new(self, table: str, rows: Sequence[dict[str, Any]] | pa.Table) -> int:
        """Insert the rows whose primary key is not stored yet; returns how many were new."""
        require_table(table)
        return self._insert_staged(table, "insert_new_rows", "writes.sql", rows)

    def upsert(self, table: str, rows: Sequence[dict[str, Any]] | pa.Table) -> int:
        """Insert the rows, each replacing the stored row of its primary key; returns rows
        written."""
        require_table(table)
        if table not in self.primary_keys:
            raise ValueError(f"table {table!r} has no primary key: a row of it cannot be replaced")
        return self._insert_staged(table, "upsert_rows", "writes.sql", rows)

    def insert_with(self, file_name: str, name: str,
                    rows: Sequence[dict[str, Any]] | pa.Table) -> int:
        """Run a named INSERT that reads the rows as `staged_rows`; returns rows inserted."""
        target = _INSERT_TARGET.search(statement(file_name, name, "postgres"))
        if target is None:
            raise ValueError(f"{file_name}:{name} inserts into no table")
        require_table(target.group(1))
        return self._insert_staged(target.group(1), name, file_name, rows)

    def _insert_staged(self, table: str, name: str, file_name: str,
                       rows: Sequence[dict[str, Any]] | pa.Table) -> int:
        columns, values = _columns_and_rows(rows)
        if not values:
            return 0
        _staging(self.connection, "drop_temp_table", name="staged_rows")
        _staging(self.connection, "stage_rows_like", name="staged_rows", table=table)
        self._copy("staged_rows", columns, values)
        key = self.primary_keys.get(table, [])  # keyless tables: appends only
        sql = statement(file_name, name, "postgres").format(
            table=table, columns=_quoted(columns), key=_quoted(key),
            updates=", ".join(f'"{column}" = excluded."{column}"'
                              for column in columns if column not in key))
        return self.connection.execute(sql, {}).rowcount

    def _copy(self, table: str, columns: Sequence[str], values: Sequence[tuple]) -> None:
        copy_sql = statement("writes.sql", "copy_rows", "postgres").format(
            name=table, columns=_quoted(columns))
        with self.connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in values:
                copy.write_row(row)
        _staging(self.connection, "analyze_temp_table", name=table)

    def register(self, name: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
        """Make rows readable by the named statements as a table called `name` of text
        columns (the statements of both engines read the same tables)."""
        register_text_table(self.connection, name, {
            column: [row[column] for row in rows] for column in columns})

    def execute(self, file_name: str, name: str, **params: Any) -> None:
        self.connection.execute(statement(file_name, name, "postgres"), params)

    def fetch(self, file_name: str, name: str, **params: Any) -> list[dict[str, Any]]:
        return _dict_rows(self.connection.execute(statement(file_name, name, "postgres"), params))

    def record_snapshot_of(self, stage: str, label: str, file_name: str, name: str,
                           **params: Any) -> str:
        """record_snapshot for the ids a statement selects (as `record_id`), hashed while
        streaming from a server-side cursor; same id as record_snapshot."""
        select = statement(file_name, name, "postgres").rstrip().rstrip(";")
        _staging(self.connection, "drop_temp_table", name="staged_snapshot_ids")
        self.connection.execute(
            statement("writes.sql", "stage_snapshot_ids", "postgres").format(select=select),
            params)
        with self.connection.cursor(name="staged_snapshot_ids_in_order") as ordered:
            ordered.execute(statement("writes.sql", "staged_snapshot_ids_in_order", "postgres"),
                            {})
            snapshot_id, _ = self._store_streamed_snapshot(stage, label, _quoted_batches(ordered))
        self.execute("writes.sql", "insert_staged_snapshot_ids", snapshot_id=snapshot_id)
        return snapshot_id

    def delete(self, table: str, id_column: str, record_ids: Sequence[str]) -> int:
        require_table(table)
        register_text_table(self.connection, "staged_rows", {"record_id": list(record_ids)})
        sql = statement("writes.sql", "delete_records", "postgres").format(
            table=table, id_column=id_column)
        return self.connection.execute(sql, {}).rowcount

    def unlink(self, record_ids: Sequence[str]) -> int:
        """Delete every edge into or out of the records (data-removal requests only)."""
        register_text_table(self.connection, "staged_rows", {"record_id": list(record_ids)})
        return self.connection.execute(
            statement("writes.sql", "delete_edges_touching", "postgres"), {}).rowcount


def _quoted_batches(cursor: psycopg.ServerCursor) -> Iterator[list[str]]:
    while rows := cursor.fetchmany(SNAPSHOT_BATCH_ROWS):
        yield [row[0] for row in rows]


def _dict_rows(cursor: psycopg.Cursor) -> list[dict[str, Any]]:
    columns = [column.name for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def register_text_table(connection: psycopg.Connection, name: str,
                        columns: dict[str, Sequence[Any]]) -> None:
    """A temporary table of text columns holding the values (gone at the transaction's end)."""
    definition = ", ".join(f'"{column}" TEXT COLLATE "C"' for column in columns)
    _staging(connection, "drop_temp_table", name=name)
    _staging(connection, "stage_text_table", name=name, columns=definition)
    values = list(zip(*columns.values(), strict=True))
    copy_sql = statement("writes.sql", "copy_rows", "postgres").format(
        name=name, columns=_quoted(list(columns)))
    with connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for row in values:
            copy.write_row(tuple(None if value is None else str(value) for value in row))
    _staging(connection, "analyze_temp_table", name=name)


class PostgresLineageStore:
    """The lineage store in a PostgreSQL database; the methods of LineageStore."""

    def __init__(self, url: str | sa.URL,
                 reconnect_timeout_s: float = DEFAULT_RECONNECT_TIMEOUT_S) -> None:
        self.url = sa.make_url(url)
        if self.url.get_backend_name() != "postgresql":
            raise ValueError(f"not a PostgreSQL URL: {self.path}")
        self.reconnect_timeout_s = reconnect_timeout_s
        self._primary_keys: dict[str, list[str]] = {}

    @property
    def path(self) -> str:
        """Where the store is, for messages: the URL without its password."""
        return self.url.render_as_string(hide_password=True)

    def _checkout(self) -> Any:
        """A pooled connection, retrying while the server is unreachable (restarting, or not
        up yet) until the reconnect timeout; then an error naming the URL (no password)."""
        deadline = time.monotonic() + self.reconnect_timeout_s
        delay = 0.1
        while True:
            try:
                return _engine(self.url).raw_connection()
            except (sa.exc.OperationalError, psycopg.OperationalError) as error:
                # psycopg's message names host and port, never the password
                reason = getattr(error, "orig", error)
                if time.monotonic() > deadline:
                    raise StoreUnavailableError(
                        f"the lineage store at {self.path} did not accept a connection for "
                        f"{self.reconnect_timeout_s:g} s: {reason}") from None
                _log.warning("lineage store at %s unreachable, retrying: %s", self.path, reason)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection in a transaction that is rolled back at the end (reads), the schema
        created first if this process has not yet."""
        pooled = self._checkout()
        try:
            conn: psycopg.Connection = pooled.driver_connection
            self._ensure_schema(conn)
            yield conn
        finally:
            if pooled.driver_connection.closed:  # lost with the server: not back to the pool
                pooled.invalidate()
            else:
                pooled.rollback()
            pooled.close()

    def _ensure_schema(self, conn: psycopg.Connection) -> None:
        key = (os.getpid(), self.url.render_as_string(hide_password=False))
        if key not in _SCHEMA_APPLIED:
            with conn.transaction():
                conn.execute(statement("writes.sql", "take_schema_lock", "postgres"))
                apply_schema(conn, self.path, "postgres")
            _SCHEMA_APPLIED.add(key)
        if not self._primary_keys:
            for row in _dict_rows(conn.execute(
                    statement("writes.sql", "primary_keys", "postgres"))):
                self._primary_keys.setdefault(row["table_name"], []).append(row["column_name"])
            conn.rollback()

    @contextmanager
    def kept_open(self) -> Iterator[None]:
        """Nothing to keep open: pooled connections are cheap to take (LineageStore's is not)."""
        yield

    @contextmanager
    def writer(self) -> Iterator[PostgresWriter]:
        """One transaction: everything written inside lands together or not at all."""
        with self.connection() as conn, conn.transaction():
            yield PostgresWriter(conn, self._primary_keys)

    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run a named query from sql/queries.sql; rows as dicts."""
        return self.query_frame(name, **params).to_dict(orient="records")

    def query_frame(self, name: str, **params: Any) -> pd.DataFrame:
        with self.connection() as conn:
            return _frame(conn.execute(statement("queries.sql", name, "postgres"), params))

    def query_rows(self, name: str, tables: dict[str, dict[str, Sequence[str]]] | None = None,
                   **params: Any) -> list[dict[str, Any]]:
        """Run a named query, optionally reading the given tables of text columns ({table:
        {column: values}}); rows as dicts of plain Python values (NULL is None)."""
        with self.connection() as conn:
            for table, columns in (tables or {}).items():
                register_text_table(conn, table, columns)
            return _dict_rows(conn.execute(statement("queries.sql", name, "postgres"), params))

    def stream(self, name: str, batch_rows: int, **params: Any) -> Iterator[Columns]:
        """Run a named query and yield its rows in batches of at most batch_rows, as columns,
        fetched from a server-side cursor as they are consumed."""
        with self.connection() as conn, conn.cursor(name=f"stream_{name}") as cursor:
            cursor.execute(statement("queries.sql", name, "postgres"), params)
            columns = [column.name for column in cursor.description]
            while rows := cursor.fetchmany(batch_rows):
                yield {column: [row[i] for row in rows] for i, column in enumerate(columns)}

    def read_table(self, table: str, batch_rows: int) -> Iterator[pa.Table]:
        """Every row of a table in Arrow batches, from a server-side cursor."""
        require_table(table)
        with self.connection() as conn, conn.cursor(name=f"read_{table}") as cursor:
            cursor.execute(statement("writes.sql", "table_rows", "postgres").format(table=table),
                           {})
            columns = [column.name for column in cursor.description]
            while rows := cursor.fetchmany(batch_rows):
                yield pa.table({column: [row[i] for row in rows]
                                for i, column in enumerate(columns)})

    def query_with_ids(self, name: str, ids: Sequence[str], **params: Any) -> pd.DataFrame:
        """Run a named query that reads the ids from a table named `wanted_ids(record_id)`."""
        with self.connection() as conn:
            register_text_table(conn, "wanted_ids", {"record_id": list(ids)})
            return _frame(conn.execute(statement("queries.sql", name, "postgres"), params))


def _frame(cursor: psycopg.Cursor) -> pd.DataFrame:
    columns = [column.name for column in cursor.description]
    return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
