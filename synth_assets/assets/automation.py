"""What starts runs without a person: a daily schedule, a sensor on the seed files' content and
declarative automation that makes every later stage follow when the stage before it changes.

Defaults: the sensor and the stage automation run as soon as a daemon does (they act only on a
change a person made, and every teacher call passes the budget gate); the daily schedule starts
stopped because it spends teacher money with no one watching: turn it on in the UI (Automation)
or with `dagster schedule start daily_generation`.
"""

import json
from collections.abc import Sequence

import dagster as dg

from synth_assets.lineage.ids import content_id
from synth_assets.resources import SynthStore
from synth_assets.spec.files import seed_file_hashes

PIPELINE_JOB = "full_pipeline"
FIRST_STAGE = "seed_sets"

# Follow upstream changes, but never past a failed blocking check (the budget gate included).
FOLLOW_UPSTREAM = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("eager, after upstream blocking checks pass")


def with_stage_automation(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The same assets, every stage after the first one following its upstream."""
    return list(dg.map_asset_specs(
        lambda spec: spec if spec.key == dg.AssetKey(FIRST_STAGE)
        else spec.replace_attributes(automation_condition=FOLLOW_UPSTREAM),
        assets,
    ))


stage_automation = dg.AutomationConditionSensorDefinition(
    "stage_automation",
    target=dg.AssetSelection.all() - dg.AssetSelection.assets(FIRST_STAGE),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Materializes a stage when the stage before it changed and passed its checks.",
)


@dg.schedule(
    job_name=PIPELINE_JOB,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every day at 03:00 UTC: the whole pipeline (new teacher calls only for "
                "prompts not answered yet; the budget gate runs first).",
)
def daily_generation(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"daily-{day}",
                         tags={"synth/trigger": "daily_schedule", "synth/day": day})


@dg.sensor(
    job_name=PIPELINE_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the pipeline when a seed file's content changes (SHA-256 of its bytes; "
                "touching a file is not a change). The first tick only records the hashes.",
)
def seed_file_sensor(context: dg.SensorEvaluationContext, synth: SynthStore) -> dg.SensorResult:
    current = seed_file_hashes(synth.load_spec())
    cursor = json.dumps(current, sort_keys=True)
    if context.cursor is None:
        return dg.SensorResult(skip_reason=f"watching {len(current)} seed files from now on",
                               cursor=cursor)
    previous: dict[str, str] = json.loads(context.cursor)
    changed = sorted(name for name, digest in current.items() if previous.get(name) != digest)
    if not changed:
        return dg.SensorResult(skip_reason="no seed file changed", cursor=cursor)
    # The key names each change (old and new hash), so reverting a file runs again.
    transitions = [(name, previous.get(name), current[name]) for name in changed]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(
            run_key=content_id("seedchange", transitions),
            tags={"synth/trigger": "seed_file_changed", "synth/seed_sets": ",".join(changed)},
        )],
        cursor=cursor,
    )


SCHEDULES = [daily_generation]
SENSORS = [seed_file_sensor, stage_automation]
