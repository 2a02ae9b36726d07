"""Loads the schema and the named statements kept as .sql files in the package's sql/
(synth_assets/sql, shipped as package data so an installed wheel finds them).

Two dialects: DuckDB's files are synth_assets/sql/*.sql; PostgreSQL reads the same files except
where synth_assets/sql/postgres/ holds a file or a statement of the same name (the statements
that differ; the rest are written once). Statements of both dialects name their parameters
`$name`; for PostgreSQL they become psycopg's `%(name)s`.
"""

import re
from functools import cache
from pathlib import Path
from typing import Literal

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
POSTGRES_DIR = SQL_DIR / "postgres"
_NAME_MARKER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)
_PARAMETER = re.compile(r"(?<![\w$])\$([A-Za-z_]\w*)")

Dialect = Literal["duckdb", "postgres"]
# Macros and views, replaced at every open (macros first: views may use them). records.sql's
# macros serve mixtures.sql, which runs in DuckDB only (on PostgreSQL, in a DuckDB working copy).
DERIVED_FILES: dict[Dialect, tuple[str, ...]] = {
    "duckdb": ("admission.sql", "records.sql", "views.sql"),
    "postgres": ("admission.sql", "views.sql"),
}


def _dialect_file(file_name: str, dialect: Dialect) -> Path:
    if dialect == "postgres" and (POSTGRES_DIR / file_name).exists():
        return POSTGRES_DIR / file_name
    return SQL_DIR / file_name


@cache
def tables_sql(dialect: Dialect = "duckdb") -> str:
    """The tables as they are now (sql/schema.sql), each CREATE TABLE IF NOT EXISTS."""
    return _dialect_file("schema.sql", dialect).read_text(encoding="utf-8")


@cache
def derived_sql(dialect: Dialect = "duckdb") -> str:
    """The macros and views over the tables (the admission rule, lineage_edges, ...)."""
    return "\n".join(_dialect_file(name, dialect).read_text(encoding="utf-8")
                     for name in DERIVED_FILES[dialect])


@cache
def schema_tables() -> frozenset[str]:
    # at a line's start: schema.sql's comments say "CREATE TABLE IF NOT EXISTS" too
    return frozenset(re.findall(r"^CREATE TABLE IF NOT EXISTS (\w+)", tables_sql(), re.MULTILINE))


def _parse(path: Path) -> dict[str, str]:
    pieces = _NAME_MARKER.split(path.read_text(encoding="utf-8"))
    return {name: body.strip() for name, body in zip(pieces[1::2], pieces[2::2], strict=True)}


def postgres_parameters(sql: str) -> str:
    """`$name` -> `%(name)s`, with literal `%` doubled as psycopg requires."""
    return _PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))


@cache
def named_statements(file_name: str, dialect: Dialect = "duckdb") -> dict[str, str]:
    """Statements of one file keyed by their `-- name:` marker, in the dialect's form."""
    statements = _parse(SQL_DIR / file_name)
    if dialect == "duckdb":
        return statements
    if (POSTGRES_DIR / file_name).exists():
        statements |= _parse(POSTGRES_DIR / file_name)
    return {name: postgres_parameters(body) for name, body in statements.items()}


def statement(file_name: str, name: str, dialect: Dialect = "duckdb") -> str:
    statements = named_statements(file_name, dialect)
    if name not in statements:
        raise KeyError(f"no statement named {name!r} in {SQL_DIR / file_name}")
    return statements[name]
