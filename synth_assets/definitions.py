"""The Dagster code location: the five stages, their checks, one job, one resource, and what
runs them unattended (schedule, seed-file sensor, stage automation)."""

import dagster as dg

from synth_assets.assets.automation import SCHEDULES, SENSORS, with_stage_automation
from synth_assets.assets.pipeline import PIPELINE_ASSETS
from synth_assets.checks.asset_checks import PIPELINE_CHECKS
from synth_assets.checks.budget_check import teacher_budget
from synth_assets.resources import SynthStore

full_pipeline = dg.define_asset_job(
    "full_pipeline",
    selection=dg.AssetSelection.assets(*PIPELINE_ASSETS),
    description="Seed sets to final mixtures, every stage guarded by its GE suite.",
)

defs = dg.Definitions(
    assets=with_stage_automation(PIPELINE_ASSETS),
    asset_checks=[*PIPELINE_CHECKS, teacher_budget],
    jobs=[full_pipeline],
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources={"synth": SynthStore()},
)
