"""Brings a store (a DuckDB file, or a PostgreSQL database: apply_schema) to the shape of
sql/schema.sql.

A new store is made from schema.sql and stamped with the latest migration's number. A store
made earlier goes through the numbered migrations (sql/migrations/NNNN_what_it_does.sql) it
has not had, once each and in order, each recorded in `schema_version`; a store made before
schema versions existed has no such table and counts as version 0. Missing tables are created
first (so a migration may rely on every table of schema.sql existing, old-shaped or new), and
the macros and views are replaced last, once the tables have their final shape. All of it runs
in one transaction: a migration that fails leaves the store as it was.
"""

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from synth_assets.lineage.sql_files import (
    POSTGRES_DIR,
    SQL_DIR,
    Dialect,
    derived_sql,
    postgres_parameters,
    tables_sql,
)

MIGRATIONS_DIR = SQL_DIR / "migrations"
_MIGRATION_FILE = re.compile(r"(\d{4})_(\w+)\.sql")
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


class StoreVersionError(RuntimeError):
    """The store was made by a newer synth-assets than this one."""


@cache
def migrations() -> tuple[Migration, ...]:
    """Every migration file, in order; their numbers run 1, 2, 3, ... without a gap."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_FILE.fullmatch(path.name)
        if match is None:
            raise ValueError(f"{path}: a migration file is named NNNN_what_it_does.sql")
        found.append(Migration(int(match[1]), match[2], path))
    numbers = [migration.version for migration in found]
    if numbers != list(range(1, len(found) + 1)):
        raise ValueError(f"the migrations in {MIGRATIONS_DIR} are numbered {numbers}; "
                         "they must run 1, 2, 3, ... without a gap or a repeat")
    return tuple(found)


def latest_version() -> int:
    return len(migrations())


def stored_version(connection: duckdb.DuckDBPyConnection) -> int | None:
    """The store's schema version: None for an empty file, 0 for a store made before
    schema versions existed."""
    tables = {row[0] for row in connection.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'").fetchall()}
    if not tables:
        return None
    if "schema_version" not in tables:
        return 0
    return connection.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def bring_up_to_date(connection: duckdb.DuckDBPyConnection, store: Path) -> list[Migration]:
    """Make a new store or migrate an earlier one (see the module docstring); returns the
    migrations applied."""
    connection.execute("BEGIN TRANSACTION")
    try:
        pending = apply_schema(connection, str(store), "duckdb")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return pending


def apply_schema(connection: Any, store: str, dialect: Dialect) -> list[Migration]:
    """bring_up_to_date's work inside the caller's transaction, for a DuckDB connection or a
    PostgreSQL one (psycopg: the same execute/fetch calls). Versions are shared: a PostgreSQL
    store is stamped with the same latest number, and a migration it still needs must exist in
    sql/postgres/migrations/ under the same file name."""
    version = stored_version(connection)
    latest = latest_version()
    if version is not None and version > latest:
        raise StoreVersionError(
            f"{store} has schema version {version}, made by a newer synth-assets than this one "
            f"(which knows versions up to {latest}); open it with that version")
    pending = [] if version is None else list(migrations()[version:])
    connection.execute(tables_sql(dialect))
    if version is None:
        _stamp(connection, latest, "schema.sql", dialect)
    for migration in pending:
        connection.execute(_migration_file(migration, dialect).read_text(encoding="utf-8"))
        _stamp(connection, migration.version, migration.name, dialect)
    connection.execute(derived_sql(dialect))
    for migration in pending:
        _log.info("%s: applied migration %04d_%s", store, migration.version, migration.name)
    return pending


def _migration_file(migration: Migration, dialect: Dialect) -> Path:
    if dialect == "duckdb":
        return migration.path
    path = POSTGRES_DIR / "migrations" / migration.path.name
    if not path.exists():
        raise FileNotFoundError(f"migration {migration.path.name} has no PostgreSQL version "
                                f"({path})")
    return path


def _stamp(connection: Any, version: int, name: str, dialect: Dialect) -> None:
    sql = "INSERT INTO schema_version (version, name) VALUES ($version, $name)"
    connection.execute(postgres_parameters(sql) if dialect == "postgres" else sql,
                       {"version": version, "name": name})
