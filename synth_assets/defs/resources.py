"""The one resource the assets share: where the spec, the lineage store and exports live."""

from __future__ import annotations

import functools
import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from synth_assets.defs.io_manager import AtomicFilesystemIOManager
from synth_assets.lineage.copy import analytic_store
from synth_assets.lineage.location import allows_concurrent_writers, open_store
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import DEFAULT_SPEC_PATH, LoadedSpec, load_spec

if TYPE_CHECKING:
    from synth_assets.lineage.location import Store

DUCKDB_POOL = "synth_duckdb"
# The pool of the assets that write the store: DuckDB's one slot (one writing process per
# file), or none on PostgreSQL, where the runs of different partitions write at once. Read when
# the definitions load, from SYNTH_DB.
STORE_WRITERS_POOL = None if allows_concurrent_writers() else DUCKDB_POOL


class SynthStore(dg.ConfigurableResource):
    """Spec file, lineage store (a DuckDB file or a PostgreSQL URL) and export folder (defaults
    from SYNTH_SPEC, SYNTH_DB, SYNTH_EXPORT_DIR, then the shipped spec and DAGSTER_HOME)."""

    spec_path: str = ""
    db_path: str = ""
    export_dir: str = ""

    def spec_file(self) -> Path:
        return Path(self.spec_path or os.environ.get("SYNTH_SPEC") or DEFAULT_SPEC_PATH)

    def load_spec(self) -> LoadedSpec:
        """The spec, parsed and validated once per process for the same file text: a run's
        stages and checks each read it (tens of ms of YAML and validation a time)."""
        path = self.spec_file().resolve()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return load_spec(path)  # which names the file in its error
        return _spec_of_text(path, text)

    def store(self) -> Store:
        return open_store(self.db_path or None)

    def analytic_store(self) -> AbstractContextManager[LineageStore]:
        """The store the analytic stages (contamination, mixtures, preferences) run on: the
        DuckDB store itself, or a DuckDB working copy of a PostgreSQL one (lineage/copy.py)."""
        return analytic_store(self.store(), self.dagster_home())

    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME", "dagster_home"))

    def export_root(self) -> Path:
        if self.export_dir or os.environ.get("SYNTH_EXPORT_DIR"):
            return Path(self.export_dir or os.environ["SYNTH_EXPORT_DIR"])
        return self.dagster_home() / "exports"


@functools.lru_cache(maxsize=4)
def _spec_of_text(path: Path, text: str) -> LoadedSpec:
    """`text` is the file's text as read just before: a file edited since is read again the
    next time (its text is another key)."""
    return load_spec(path)


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"synth": SynthStore(),
                                     "io_manager": AtomicFilesystemIOManager()})
