"""The Dagster code location: the five stages, their checks, the jobs, one resource, and what
runs them unattended (daily schedule, seed-file and next-round sensors, stage automation)."""

import dagster as dg

from synth_assets.assets.automation import SCHEDULES, SENSORS, with_stage_automation
from synth_assets.assets.jobs import JOBS
from synth_assets.assets.pipeline import PIPELINE_ASSETS
from synth_assets.checks.asset_checks import PIPELINE_CHECKS
from synth_assets.checks.budget_check import teacher_budget
from synth_assets.resources import SynthStore

defs = dg.Definitions(
    assets=with_stage_automation(PIPELINE_ASSETS),
    asset_checks=[*PIPELINE_CHECKS, teacher_budget],
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources={"synth": SynthStore()},
)
