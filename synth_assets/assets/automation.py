"""What starts runs without a person: a daily schedule, a sensor on the seed files' content, a
sensor that starts the next round of a recipe, and declarative automation that makes the later
stages follow.

Teacher calls cost money, so only the schedule, the two sensors, a person or a backfill start
teacher_generations; every run of it passes the budget gate first. Defaults: the seed-file and
round sensors and the stage automation run as soon as a daemon does (they act on a change a
person made); the daily schedule starts stopped because it spends with no one watching: turn it
on in the UI (Automation) or with `dagster schedule start daily_generation`.
"""

import json
from collections.abc import Sequence

import dagster as dg

from synth_assets.assets.jobs import GENERATE_JOB
from synth_assets.assets.partitions import (
    RECIPES,
    generation_partition,
    partition_key,
    register_recipes,
    today,
)
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.stages import (
    CONTAMINATION_REPORTS,
    FINAL_MIXTURES,
    PREFERENCE_SETS,
    TEACHER_GENERATIONS,
    VERIFIED_SUBSETS,
)
from synth_assets.recipes.plan import first_round_recipes, next_round_recipes
from synth_assets.resources import SynthStore
from synth_assets.spec.files import seed_file_hashes
from synth_assets.spec.model import PipelineSpec

VERIFIED = dg.AssetKey(VERIFIED_SUBSETS)
ROUND_BATCH = 100



def _follow(updated: dg.AutomationCondition) -> dg.AutomationCondition:
    """After `updated`, once nothing upstream is running, never past a failed blocking check."""
    return (updated.since_last_handled()
            & ~dg.AutomationCondition.any_deps_in_progress()
            & ~dg.AutomationCondition.in_progress()
            & dg.AutomationCondition.all_deps_blocking_checks_passed())


ANY_DEP_UPDATED = dg.AutomationCondition.any_deps_updated()
STAGE_AUTOMATION = {
    dg.AssetKey(VERIFIED_SUBSETS): (
        _follow(ANY_DEP_UPDATED) & ~dg.AutomationCondition.any_deps_missing()
    ).with_label("when its partition of teacher_generations changed and passed its checks"),
    # Reading every day and recipe, the last two stages do not wait for days never generated.
    dg.AssetKey(CONTAMINATION_REPORTS): _follow(ANY_DEP_UPDATED).with_label(
        "when any partition of verified_subsets changed and passed its checks"),
    # teacher_generations is read only to say what was judged: the reports lead.
    dg.AssetKey(FINAL_MIXTURES): _follow(
        ANY_DEP_UPDATED.ignore(dg.AssetSelection.assets(TEACHER_GENERATIONS))
    ).with_label("when contamination_reports changed and passed its checks"),
    dg.AssetKey(PREFERENCE_SETS): _follow(
        ANY_DEP_UPDATED.ignore(dg.AssetSelection.assets(TEACHER_GENERATIONS))
    ).with_label("when contamination_reports changed and passed its checks"),
}


def with_stage_automation(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The same assets, the stages after generation following their upstream."""
    return list(dg.map_asset_specs(
        lambda spec: spec.replace_attributes(automation_condition=STAGE_AUTOMATION[spec.key])
        if spec.key in STAGE_AUTOMATION else spec,
        assets,
    ))


stage_automation = dg.AutomationConditionSensorDefinition(
    "stage_automation",
    target=dg.AssetSelection.assets(*STAGE_AUTOMATION),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Verifies a generated partition, then rebuilds the contamination reports and "
                "mixtures from every partition, when the stage before changed and passed its "
                "checks.",
)


def register_recipes_request(spec: PipelineSpec) -> dg.AddDynamicPartitionsRequest:
    return RECIPES.build_add_request(list(spec.recipes))


@dg.schedule(
    job_name=GENERATE_JOB,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every day at 03:00 UTC: a new day of generations, one run per first-round "
                "recipe (later rounds follow through next_round_sensor). The budget gate runs "
                "first in every run.",
)
def daily_generation(context: dg.ScheduleEvaluationContext, synth: SynthStore
                     ) -> list[dg.RunRequest]:
    loaded = synth.load_spec()
    # Schedules cannot return partition requests, so the recipes are registered here.
    register_recipes(context.instance, loaded)
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return [
        dg.RunRequest(run_key=f"daily-{day}-{recipe}", partition_key=partition_key(day, recipe),
                      tags={"synth/trigger": "daily_schedule"})
        for recipe in first_round_recipes(loaded.spec)
    ]


@dg.sensor(
    job_name=GENERATE_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Generates today's partition of every recipe reading a seed file whose content "
                "changed (SHA-256 of its bytes; touching a file is not a change). The first "
                "tick only records the hashes. Every tick registers the spec's recipes as "
                "partitions.",
)
def seed_file_sensor(context: dg.SensorEvaluationContext, synth: SynthStore) -> dg.SensorResult:
    loaded = synth.load_spec()
    register = [register_recipes_request(loaded.spec)]
    current = seed_file_hashes(loaded)
    cursor = json.dumps(current, sort_keys=True)
    if context.cursor is None:
        return dg.SensorResult(skip_reason=f"watching {len(current)} seed files from now on",
                               cursor=cursor, dynamic_partitions_requests=register)
    previous: dict[str, str] = json.loads(context.cursor)
    changed = sorted(name for name, digest in current.items() if previous.get(name) != digest)
    if not changed:
        return dg.SensorResult(skip_reason="no seed file changed", cursor=cursor,
                               dynamic_partitions_requests=register)
    # The key names each change (old and new hash), so reverting a file runs again.
    transitions = [(name, previous.get(name), current[name]) for name in changed]
    day = today()
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=content_id("seedchange", transitions, day, recipe),
                          partition_key=partition_key(day, recipe),
                          tags={"synth/trigger": "seed_file_changed",
                                "synth/seed_sets": ",".join(changed)})
            for recipe in first_round_recipes(loaded.spec, set(changed))
        ],
        cursor=cursor,
        dynamic_partitions_requests=register,
    )


@dg.sensor(
    job_name=GENERATE_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the next round of a day: after a partition of verified_subsets "
                "materializes, generates the same day of every recipe whose seeds_from reads "
                "that recipe. The first tick only records where the history ends.",
)
def next_round_sensor(context: dg.SensorEvaluationContext, synth: SynthStore) -> dg.SensorResult:
    if context.cursor is None:
        latest = context.instance.fetch_materializations(VERIFIED, limit=1)
        position = latest.records[0].storage_id if latest.records else 0
        return dg.SensorResult(skip_reason="watching verified_subsets from now on",
                               cursor=str(position))
    found = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=VERIFIED, after_storage_id=int(context.cursor)),
        limit=ROUND_BATCH, ascending=True,
    )
    if not found.records:
        return dg.SensorResult(skip_reason="no new verified partition", cursor=context.cursor)
    spec = synth.load_spec().spec
    requests = []
    for record in found.records:
        parent = generation_partition(record.partition_key)
        requests += [
            dg.RunRequest(run_key=f"round-{record.storage_id}-{recipe}",
                          partition_key=partition_key(parent.day, recipe),
                          tags={"synth/trigger": "next_round", "synth/after": parent.key})
            for recipe in next_round_recipes(spec, parent.recipe)
        ]
    return dg.SensorResult(run_requests=requests, cursor=str(found.records[-1].storage_id))


SCHEDULES = [daily_generation]
SENSORS = [seed_file_sensor, next_round_sensor, stage_automation]
