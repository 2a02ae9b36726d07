"""Brings a store file to the shape of sql/schema.sql.

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

import duckdb

from synth_assets.lineage.sql_files import SQL_DIR, derived_sql, tables_sql

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
    version = stored_version(connection)
    latest = latest_version()
    if version is not None and version > latest:
        raise StoreVersionError(
            f"{store} has schema version {version}, made by a newer synth-assets than this one "
            f"(which knows versions up to {latest}); open it with that version")
    pending = [] if version is None else list(migrations()[version:])
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(tables_sql())
        if version is None:
            _stamp(connection, latest, "schema.sql")
        for migration in pending:
            connection.execute(migration.path.read_text(encoding="utf-8"))
            _stamp(connection, migration.version, migration.name)
        connection.execute(derived_sql())
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    for migration in pending:
        _log.info("%s: applied migration %04d_%s", store, migration.version, migration.name)
    return pending


def _stamp(connection: duckdb.DuckDBPyConnection, version: int, name: str) -> None:
    connection.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)",
                       [version, name])
