"""The teacher_generations asset: one recipe's prompts answered on one day, through litellm."""

from collections.abc import Iterator

import dagster as dg

from synth_assets.defs.budget.gate import refuse_over_budget
from synth_assets.defs.diversity.metadata import diversity_metadata
from synth_assets.defs.failures import input_errors_as_failure
from synth_assets.defs.partitions import GENERATION_PARTITIONS, generation_partition
from synth_assets.defs.resources import STORE_WRITERS_POOL, SynthStore
from synth_assets.defs.stage import GROUP, table_metadata, with_code_references
from synth_assets.defs.teacher_generations.batch_metadata import (
    ingest_metadata,
    submission_metadata,
    with_batch_calls,
)
from synth_assets.defs.teacher_generations.batch_sensor import BATCH_INGEST_TAG
from synth_assets.defs.teacher_generations.metadata import teacher_generations_metadata
from synth_assets.stages.seed_stage import seeds_of_snapshot
from synth_assets.stages.teacher_batch_stage import batch_teacher, run_batch_stage
from synth_assets.stages.teacher_stage import run_teacher_stage


@with_code_references(run_teacher_stage)
@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb"},
          partitions_def=GENERATION_PARTITIONS, output_required=False)
@input_errors_as_failure
def teacher_generations(
    context: dg.AssetExecutionContext, synth: SynthStore, seed_sets: str
) -> Iterator[dg.Output[str]]:
    """The teacher model's answers to one recipe's prompts on one day, via litellm, cached in
    DuckDB. Each day draws new attributes and new samples, so every day adds generations.
    A `mode: batch` teacher's run submits provider batches and ends waiting for them (nothing
    materialized); batch_sensor starts the run that stores their answers."""
    store, loaded = synth.store(), synth.load_spec()
    partition = generation_partition(context.partition_key)
    with store.kept_open():  # the file is closed again before any teacher call
        seeds = seeds_of_snapshot(store, seed_sets)
        refuse_over_budget(store, loaded, seeds, partition, context.run.run_id)
    batches = None
    if batch_teacher(loaded, partition):
        batches = run_batch_stage(store, loaded, seeds, partition, context.run.run_id,
                                  log=context.log.info,
                                  submit=BATCH_INGEST_TAG not in context.run.tags)
        if batches.waiting:
            context.log.info(f"waiting for {len(batches.waiting)} batches")
            context.log_event(dg.AssetObservation(
                asset_key=context.asset_key, partition=context.partition_key,
                metadata=submission_metadata(batches)))
            return
    result = run_teacher_stage(store, loaded, seeds, log=context.log.info,
                               run_id=context.run.run_id, partition=partition,
                               send_calls=batches is None)
    if batches is not None:
        result = with_batch_calls(result, batches, partition.recipe)
    if result.calls.budget_stop:
        context.log.warning("stopped early, keeping what was answered: "
                            f"{result.calls.budget_stop}")
    with store.kept_open():
        metadata = {
            **teacher_generations_metadata(result, store),
            **(ingest_metadata(batches) if batches is not None else {}),
            **diversity_metadata(store, result.snapshot_id),
            **table_metadata(store, "generations", [result.snapshot_id]),
        }
    yield dg.Output(result.snapshot_id, metadata=metadata)
