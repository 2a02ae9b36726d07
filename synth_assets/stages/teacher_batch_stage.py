"""teacher_generations for a recipe whose teacher is `mode: batch`: finish the partition's
batches that have ended (answers into the teacher cache), then put the requests that are
neither cached nor waiting in a batch into new provider batches, recorded before this returns.
While any batch is open the partition waits; once none is, the teacher stage stores the
generations from the cache (run_teacher_stage with send_calls=False)."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.stages.generation_plan import plan_of_run
from synth_assets.stages.partitions import GenerationPartition
from synth_assets.teacher.batch import (
    BatchState,
    Ingested,
    advance,
    batch_states,
    ingest,
    pending_call_ids,
    poll,
    record_batches,
)
from synth_assets.teacher.batch_provider import BatchProvider
from synth_assets.teacher.budget import BudgetGuard, Estimate
from synth_assets.teacher.cost import batch_token_prices, worst_case_tokens
from synth_assets.teacher.requests import TeacherRequest


@dataclass
class BatchStageResult:
    teacher: str
    waiting: list[BatchState]           # the partition's batches still open after this run
    submitted: int = 0                  # requests put in new batches by this run
    batches_created: int = 0
    ingested: Ingested = field(default_factory=Ingested)
    not_attempted_budget: int = 0
    budget_stop: str | None = None


def batch_teacher(loaded: LoadedSpec, partition: GenerationPartition) -> str | None:
    """The partition's teacher when it is `mode: batch`, else None."""
    name = loaded.spec.recipes[partition.recipe].teacher
    return name if loaded.spec.teachers[name].mode == "batch" else None


def run_batch_stage(
    store: LineageStore, loaded: LoadedSpec, seeds: list[SeedRecord],
    partition: GenerationPartition, run_id: str, log: Callable[[str], None] = print,
    submit: bool = True,
) -> BatchStageResult:
    """`submit=False` (the run the batch sensor starts) only finishes ended batches."""
    name = batch_teacher(loaded, partition)
    if name is None:
        raise ValueError(f"recipe {partition.recipe}'s teacher is not mode: batch")
    teacher = loaded.spec.teachers[name]
    provider = BatchProvider(teacher)
    result = BatchStageResult(teacher=name, waiting=[])

    async def finish_started() -> None:
        """Ended batches ingested; batches an earlier run recorded but did not create, created."""
        for state in batch_states(store, partition.key):
            if not state.open:
                continue
            if state.batch_id is None:
                await advance(store, provider, state, log)
                continue
            status = await poll(store, provider, state)
            if status.ended:
                result.ingested.add(await ingest(store, provider, teacher, state, status, run_id))
                log(f"batch {state.batch_key} ({status.batch_id}) ended {status.status}: "
                    f"{status.completed} completed, {status.failed} failed; answers stored")

    async def submit_new(requests: list[TeacherRequest]) -> None:
        for key in record_batches(store, name, teacher, partition.key, requests, provider.model):
            state = next(s for s in batch_states(store, partition.key) if s.batch_key == key)
            await advance(store, provider, state, log, recorded_now=True)
            result.batches_created += 1

    asyncio.run(finish_started())
    if submit:
        requests = _requests_to_submit(store, loaded, seeds, partition, run_id)
        admitted = _within_budget(loaded, name, requests, result)
        if admitted:
            log(f"submitting {len(admitted)} requests to {teacher.model} as batches")
            asyncio.run(submit_new(admitted))
            result.submitted = len(admitted)
    result.waiting = [s for s in batch_states(store, partition.key) if s.open]
    return result


def _requests_to_submit(store: LineageStore, loaded: LoadedSpec, seeds: list[SeedRecord],
                        partition: GenerationPartition, run_id: str) -> list[TeacherRequest]:
    """The requests of the run's plan with no cached answer and in no open batch, each once."""
    pending = pending_call_ids(store, partition.key)
    plan = plan_of_run(store, loaded, seeds, partition, run_id)
    wanted: dict[str, TeacherRequest] = {}
    for first in plan.window_starts():
        _, _, uncached = plan.calls_at(first)
        wanted.update((p.request.call_id, p.request) for p in uncached
                      if p.request.call_id not in pending)
    return list(wanted.values())


def _within_budget(loaded: LoadedSpec, teacher_name: str, requests: list[TeacherRequest],
                   result: BatchStageResult) -> list[TeacherRequest]:
    """The requests that fit the budget at batch prices, each at its worst case (whole prompt
    plus max_tokens): a batch is paid for once it is created, so nothing is left to chance."""
    if not requests:
        return []
    input_price, output_price = batch_token_prices(loaded.spec.teachers[teacher_name]) or (0, 0)
    worst = [(worst_case_tokens(r), int(r.params["max_tokens"])) for r in requests]
    cost = sum((total - out) * input_price + out * output_price for total, out in worst)
    per_call = Estimate(cost / len(requests), sum(total for total, _ in worst) / len(requests))
    guard = BudgetGuard(loaded.spec.budget)
    fit = guard.calls_that_fit(per_call, 0, len(requests))
    result.not_attempted_budget = len(requests) - fit
    result.budget_stop = guard.stop_reason or (
        f"budget: {fit} of {len(requests)} requests fit at their worst case at batch prices "
        f"(about ${per_call.cost_usd:.6f} and {per_call.tokens:.0f} tokens each)"
        if fit < len(requests) else None)
    return requests[:fit]
