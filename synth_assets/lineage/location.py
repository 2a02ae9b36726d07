"""Which lineage store SYNTH_DB names: a DuckDB file (the embedded default) or a PostgreSQL
database given as a SQLAlchemy URL (many writers at once). Both stores have the same methods."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from synth_assets.lineage.store import LineageStore

if TYPE_CHECKING:  # psycopg comes with the [postgres] extra: imported once a URL is used
    from synth_assets.lineage.postgres_store import PostgresLineageStore

    Store = LineageStore | PostgresLineageStore


def is_store_url(location: str) -> bool:
    """A SQLAlchemy URL of a PostgreSQL store (as opposed to a DuckDB file path)."""
    return location.startswith(("postgresql://", "postgresql+"))


def default_store_location() -> str:
    """SYNTH_DB if set (a file path or a URL), else synth.duckdb under DAGSTER_HOME (or
    ./dagster_home)."""
    if os.environ.get("SYNTH_DB"):
        return os.environ["SYNTH_DB"]
    return str(Path(os.environ.get("DAGSTER_HOME", "dagster_home")) / "synth.duckdb")


def open_store(location: str | Path | None = None) -> Store:
    """The store at a DuckDB file path or a PostgreSQL URL (default: default_store_location)."""
    location = str(location or default_store_location())
    if is_store_url(location):
        from synth_assets.lineage.postgres_store import PostgresLineageStore

        return PostgresLineageStore(location)
    return LineageStore(location)


def allows_concurrent_writers(location: str | Path | None = None) -> bool:
    """Whether several processes may write the store at once (PostgreSQL), or one at a time
    (a DuckDB file: the writing steps then share one slot of the `synth_duckdb` pool)."""
    return is_store_url(str(location or default_store_location()))
