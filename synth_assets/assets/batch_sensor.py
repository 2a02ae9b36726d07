"""The batch sensor: polls the open provider batches of batch teachers and, when every batch
of a partition has ended, starts the run that stores their answers and materializes the
partition (a `generate` run tagged BATCH_INGEST_TAG, so it submits nothing new). Each tick also
records the partition's progress as an observation of teacher_generations. It only reads the
store; the run writes."""

import asyncio
from collections import defaultdict

import dagster as dg

from synth_assets.assets.batch_metadata import waiting_metadata
from synth_assets.assets.jobs import GENERATE_JOB
from synth_assets.assets.partitions import generation_partition
from synth_assets.assets.partitions import partition_key as dagster_partition_key
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore, LockTimeoutError
from synth_assets.resources import SynthStore
from synth_assets.spec.model import PipelineSpec
from synth_assets.teacher.batch import BatchState, batch_states
from synth_assets.teacher.batch_provider import BatchProvider, BatchStatus

BATCH_INGEST_TAG = "synth/batch_ingest"
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
                "materializes teacher_generations (then verification follows as usual).",
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
        observations.append(dg.AssetObservation(
            asset_key="teacher_generations", partition=partition_key,
            metadata=waiting_metadata(states, seen)))
        if all(s.batch_key in seen and seen[s.batch_key].ended for s in states):
            partition = generation_partition(partition_key)
            keys = sorted(s.batch_key for s in states)
            requests.append(dg.RunRequest(
                run_key=content_id("batchingest", partition_key, keys),
                partition_key=dagster_partition_key(partition.day, partition.recipe),
                tags={BATCH_INGEST_TAG: "true", "synth/trigger": "batches_ended"}))
            context.log.info(f"{partition_key}: all {len(states)} batches ended; ingesting")
    return dg.SensorResult(run_requests=requests, asset_events=observations)
