"""How Dagster partitions the generation stages: by day and by recipe.

The recipe dimension is dynamic: it lists the recipes of the spec, registered whenever the spec
is read by `synth run`, the daily schedule or the seed-file sensor (a spec edit needs no code
reload). The day dimension starts at SYNTH_FIRST_DAY (default 2026-11-01) and includes today.
"""

import datetime
import os

import dagster as dg

from synth_assets.spec import LoadedSpec
from synth_assets.stages.partitions import GenerationPartition

RECIPES = dg.DynamicPartitionsDefinition(name="recipes")
FIRST_DAY = os.environ.get("SYNTH_FIRST_DAY", "2026-11-01")
DAYS = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, end_offset=1)
GENERATION_PARTITIONS = dg.MultiPartitionsDefinition({"day": DAYS, "recipe": RECIPES})


def register_recipes(instance: dg.DagsterInstance, loaded: LoadedSpec) -> None:
    """Add the spec's recipes the recipe dimension does not list yet."""
    known = set(instance.get_dynamic_partitions(RECIPES.name))
    new = [name for name in loaded.spec.recipes if name not in known]
    if new:
        instance.add_dynamic_partitions(RECIPES.name, new)


def partition_key(day: str, recipe: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"day": day, "recipe": recipe})


def generation_partition(key: str | dg.MultiPartitionKey) -> GenerationPartition:
    """From a key as Dagster writes it (a MultiPartitionKey prints as that text)."""
    return GenerationPartition.from_key(str(key))


def run_partition(run: dg.DagsterRun) -> GenerationPartition | None:
    """The generation partition a run targets, if any."""
    key = run.tags.get("dagster/partition")
    return None if key is None else generation_partition(key)


def today() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")


def check_day(day: str) -> None:
    """A day the day dimension holds: from FIRST_DAY to today (UTC)."""
    if not FIRST_DAY <= day <= today():
        raise ValueError(f"day {day} is not a partition: days run from {FIRST_DAY} "
                         f"(SYNTH_FIRST_DAY) to today, {today()}")
