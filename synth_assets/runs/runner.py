"""Materialize days in order, in this process: for each day every recipe's partition in round
order (so a round reads what its source round verified that day), then the contamination
reports and mixtures from every partition. `synth run` is this; `synth forget` publishes
again."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import dagster as dg

from synth_assets.defs.jobs import GENERATE_JOB, PUBLISH_JOB
from synth_assets.defs.partitions import check_day, partition_key, register_recipes
from synth_assets.recipes.plan import recipe_rounds
from synth_assets.spec import LoadedSpec


@dataclass
class PipelineRuns:
    runs: list[tuple[str, dg.ExecuteInProcessResult]]  # (what it materialized, its result)

    def add(self, name: str, result: dg.ExecuteInProcessResult,
            on_run: Callable[[str, dg.ExecuteInProcessResult], None] | None) -> None:
        self.runs.append((name, result))
        if on_run is not None:
            on_run(name, result)

    @property
    def success(self) -> bool:
        return all(result.success for _, result in self.runs)

    def materialized(self) -> set[str]:
        return {event.asset_key.to_user_string() for _, result in self.runs
                for event in result.get_asset_materialization_events()}

    def check_evaluations(self) -> list[dg.AssetCheckEvaluation]:
        return [evaluation for _, result in self.runs
                for evaluation in result.get_asset_check_evaluations()]


def run_days(instance: dg.DagsterInstance, defs: dg.Definitions, loaded: LoadedSpec,
             days: Sequence[str],
             on_run: Callable[[str, dg.ExecuteInProcessResult], None] | None = None
             ) -> PipelineRuns:
    """Stops at the first run that fails (a failed blocking check included); `on_run` hears
    of each run as it ends."""
    for day in days:
        check_day(day)
    register_recipes(instance, loaded)
    runs = PipelineRuns([])
    generate = defs.resolve_job_def(GENERATE_JOB)
    for day in days:
        for recipe in recipe_rounds(loaded.spec):
            runs.add(f"{day} {recipe}", generate.execute_in_process(
                instance=instance, partition_key=partition_key(day, recipe),
                raise_on_error=False), on_run)
            if not runs.success:
                return runs
    runs.add("publish", publish(instance, defs), on_run)
    return runs


def publish(instance: dg.DagsterInstance, defs: dg.Definitions,
            synth_config: dict[str, str] | None = None, tags: dict[str, str] | None = None
            ) -> dg.ExecuteInProcessResult:
    """The publish job in this process, recorded in the instance: contamination reports,
    mixtures and preference sets from every partition, each behind its blocking check.
    `synth_config` sets fields of the `synth` resource for this run (e.g. its db_path)."""
    run_config = ({"resources": {"synth": {"config": synth_config}}} if synth_config else None)
    return defs.resolve_job_def(PUBLISH_JOB).execute_in_process(
        instance=instance, run_config=run_config, tags=tags, raise_on_error=False)
