"""Loads the schema and the named statements kept as .sql files in the package's sql/
(synth_assets/sql, shipped as package data so an installed wheel finds them)."""

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
# Macros and views, replaced at every open (macros first: views may use them).
DERIVED_FILES = ("admission.sql", "records.sql", "views.sql")
_NAME_MARKER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


@cache
def tables_sql() -> str:
    """The tables as they are now (sql/schema.sql), each CREATE TABLE IF NOT EXISTS."""
    return (SQL_DIR / "schema.sql").read_text(encoding="utf-8")


@cache
def derived_sql() -> str:
    """The macros and views over the tables (the admission rule, lineage_edges, ...)."""
    return "\n".join((SQL_DIR / name).read_text(encoding="utf-8") for name in DERIVED_FILES)


@cache
def schema_tables() -> frozenset[str]:
    return frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", tables_sql()))


@cache
def named_statements(file_name: str) -> dict[str, str]:
    """Statements of one file keyed by their `-- name:` marker."""
    text = (SQL_DIR / file_name).read_text(encoding="utf-8")
    pieces = _NAME_MARKER.split(text)
    return {name: body.strip() for name, body in zip(pieces[1::2], pieces[2::2], strict=True)}


def statement(file_name: str, name: str) -> str:
    statements = named_statements(file_name)
    if name not in statements:
        raise KeyError(f"no statement named {name!r} in {SQL_DIR / file_name}")
    return statements[name]
