"""The batch sensor: polls the open provider batches of batch teachers and starts a partition's
batch run (a `generate` run tagged BATCH_INGEST_TAG, so it submits nothing new) when
- every batch of the partition has ended: the run stores their answers and materializes it;
- a batch is recorded but was never created (its run died between the two): the run creates it,
  finding on the provider's side what the dead run sent (batch.advance), so nothing is paid twice.
Never while a run of the partition is in progress. A failed batch run is asked for again, under
a new run key, until MAX_BATCH_RUN_ATTEMPTS runs of the same batches for the same reason failed;
then the sensor stops asking and says so in the partition's observation and the tick's log.
Each tick records the partition's progress as an observation of teacher_generations. It only
reads the store; the run writes."""

import asyncio
from collections import defaultdict

import dagster as dg

from synth_assets.defs.jobs import GENERATE_JOB
from synth_assets.defs.partitions import generation_partition
from synth_assets.defs.partitions import partition_key as dagster_partition_key
from synth_assets.defs.resources import SynthStore
from synth_assets.defs.teacher_generations.batch_metadata import waiting_metadata
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore, LockTimeoutError
from synth_assets.spec.model import PipelineSpec
from synth_assets.teacher.batch import BatchState, batch_states
from synth_assets.teacher.batch_provider import BatchProvider, BatchStatus

BATCH_INGEST_TAG = "synth/batch_ingest"
BATCH_SET_TAG = "synth/batch_set"     # content id of the batch keys a batch run is for
TRIGGER_TAG = "synth/trigger"
MAX_BATCH_RUN_ATTEMPTS = 3
UNFINISHED_RUN_STATUSES = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
                           dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
                           dg.DagsterRunStatus.CANCELING, dg.DagsterRunStatus.SUSPENDED]
FAILED_RUN_STATUSES = [dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
# Batches take minutes to hours (24 h window): a poll every two minutes finds an ended batch
# soon enough and costs one small request per open batch.
POLL_INTERVAL_S = 120
STORE_WAIT_S = 5.0  # a run holding the store makes this tick skip, not wait


async def poll_batches(spec: PipelineSpec, states: list[BatchState]) -> dict[str, BatchStatus]:
    """batch_key -> what the provider says now, for every created batch whose teacher the spec
    still has."""
    providers: dict[str, BatchProvider] = {}
    seen = {}
    for state in states:
        if state.batch_id is None or state.teacher not in spec.teachers:
            continue
        if state.teacher not in providers:
            providers[state.teacher] = BatchProvider(spec.teachers[state.teacher])
        seen[state.batch_key] = await providers[state.teacher].retrieve(state.batch_id)
    return seen


@dg.sensor(
    job_name=GENERATE_JOB,
    minimum_interval_seconds=POLL_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Polls the open provider batches of mode: batch teachers; when every batch of "
                "a partition has ended, starts the run that stores their answers and "
                "materializes teacher_generations (then verification follows as usual); "
                "when a batch was recorded but never created, starts the run that creates "
                f"it. A failed batch run is asked for again, {MAX_BATCH_RUN_ATTEMPTS} at most.",
)
def batch_sensor(context: dg.SensorEvaluationContext, synth: SynthStore) -> dg.SensorResult:
    store = LineageStore(synth.store().path, lock_timeout_s=STORE_WAIT_S)
    try:
        open_batches = [state for state in batch_states(store) if state.open]
    except LockTimeoutError:
        return dg.SensorResult(skip_reason="the store is busy; polling on the next tick")
    if not open_batches:
        return dg.SensorResult(skip_reason="no open batches")
    spec = synth.load_spec().spec
    seen = asyncio.run(poll_batches(spec, open_batches))
    by_partition: dict[str, list[BatchState]] = defaultdict(list)
    for state in open_batches:
        by_partition[state.partition_key].append(state)
    requests, observations = [], []
    for partition_key, states in sorted(by_partition.items()):
        metadata = waiting_metadata(states, seen)
        trigger = batch_run_trigger(spec, partition_key, states, seen)
        if trigger is not None:
            request, note = batch_run_request(context.instance, partition_key, states, trigger)
            metadata.update(note)
            if request is not None:
                requests.append(request)
                context.log.info(f"{partition_key}: {trigger}; starting its batch run")
            elif "batch_run_given_up" in note:
                context.log.warning(f"{partition_key}: {note['batch_run_given_up']}")
        observations.append(dg.AssetObservation(
            asset_key="teacher_generations", partition=partition_key, metadata=metadata))
    return dg.SensorResult(run_requests=requests, asset_events=observations)


def batch_run_trigger(spec: PipelineSpec, partition_key: str, states: list[BatchState],
                      seen: dict[str, BatchStatus]) -> str | None:
    """Why a partition's open batches need a run now, if they do. Never when the partition's
    recipe no longer has a batch teacher: its run would call the teacher online."""
    recipe = spec.recipes.get(generation_partition(partition_key).recipe)
    if recipe is None or spec.teachers[recipe.teacher].mode != "batch":
        return None
    if any(state.batch_id is None for state in states):
        return "batches_not_created"
    if all(state.batch_key in seen and seen[state.batch_key].ended for state in states):
        return "batches_ended"
    return None


def batch_run_request(instance: dg.DagsterInstance, partition_key: str,
                      states: list[BatchState], trigger: str
                      ) -> tuple[dg.RunRequest | None, dict[str, object]]:
    """The run request for the partition's batches (None while a run of the partition is in
    progress, or once MAX_BATCH_RUN_ATTEMPTS of them failed) and what to show of it. The run
    key counts the failed runs, so a failed run is asked for again and a live one is not."""
    partition = generation_partition(partition_key)
    dagster_key = dagster_partition_key(partition.day, partition.recipe)
    partition_tag = {"dagster/partition": str(dagster_key)}
    if instance.get_run_ids(dg.RunsFilter(tags=partition_tag, statuses=UNFINISHED_RUN_STATUSES),
                            limit=1):
        return None, {"batch_run": f"{trigger}; waiting for the partition's run in progress"}
    tags = {BATCH_INGEST_TAG: "true", TRIGGER_TAG: trigger,
            BATCH_SET_TAG: content_id("batchset", sorted(s.batch_key for s in states))}
    failed = instance.get_run_ids(dg.RunsFilter(tags={**tags, **partition_tag},
                                                statuses=FAILED_RUN_STATUSES))
    note: dict[str, object] = {"batch_run": trigger, "failed_batch_runs": len(failed)}
    if failed:
        note["last_failed_batch_run"] = failed[0]  # newest first
    if len(failed) >= MAX_BATCH_RUN_ATTEMPTS:
        note["batch_run_given_up"] = (
            f"{len(failed)} batch runs of these batches failed ({trigger}), the last "
            f"{failed[0]}; not starting another: fix the cause, then materialize the "
            "partition (its generate run finishes the batches)")
        return None, note
    return dg.RunRequest(run_key=content_id("batchrun", partition_key, tags, len(failed)),
                         partition_key=dagster_key, tags=tags), note
