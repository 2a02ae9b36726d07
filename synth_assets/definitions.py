"""The Dagster code location: the five stages, their checks, one job and one resource."""

import dagster as dg

from synth_assets.assets.pipeline import PIPELINE_ASSETS
from synth_assets.checks.asset_checks import PIPELINE_CHECKS
from synth_assets.resources import SynthStore

full_pipeline = dg.define_asset_job(
    "full_pipeline",
    selection=dg.AssetSelection.assets(*PIPELINE_ASSETS),
    description="Seed sets to final mixtures, every stage guarded by its GE suite.",
)

defs = dg.Definitions(
    assets=PIPELINE_ASSETS,
    asset_checks=PIPELINE_CHECKS,
    jobs=[full_pipeline],
    resources={"synth": SynthStore()},
)
