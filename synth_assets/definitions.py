"""The Dagster code location: every definition in synth_assets/defs (the stages, their checks,
the jobs, the resource, and what runs them unattended), loaded from the folder as `dg` projects
do. `dagster dev -m synth_assets.definitions` and `dg dev` both serve this."""

from pathlib import Path

import dagster as dg

defs: dg.Definitions = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
