"""The Dagster home the command line runs in: where it is, the instance settings a new one gets,
and where a command writes Dagster's own log."""

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

# Without DAGSTER_HOME: ./dagster_home in the working directory, where the lineage store and
# exports default to as well; an installed package has no repository folder to fall back on.
DEFAULT_DAGSTER_HOME = Path("dagster_home")
# The local instance's settings (the DuckDB pool), shipped in the package for a new home.
INSTANCE_YAML = Path(__file__).resolve().parents[1] / "instance" / "dagster.yaml"


def ensure_dagster_home() -> Path:
    """The home (DAGSTER_HOME, else ./dagster_home), made if missing and set in the
    environment for Dagster."""
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds the store: ours only
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(INSTANCE_YAML, home / "dagster.yaml")
    return home


def dagster_log_path(home: Path, command: str) -> Path:
    """Where a `synth <command>` writes Dagster's own log (tracebacks included)."""
    log_path = home / "logs" / f"synth-{command}-{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return log_path
