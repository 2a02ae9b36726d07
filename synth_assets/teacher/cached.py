"""Run teacher requests through the DuckDB cache: the one entry point for any stage that asks
a model something (teacher generations, LLM judges, LLM confirmations).

    result = run_through_cache(store, [TeacherJob("judge", spec.teachers["judge"], requests)],
                               run_id=context.run.run_id, log=context.log.info)
    answer = result.texts.get(request.call_id)  # None: failed, or not attempted (budget)

Requests whose call_id is cached are not sent. The rest are sent per teacher with its limits
and retries; answers are committed to `teacher_calls` in small batches as they arrive, and
calls that end without a usable answer are recorded in `teacher_failures`. A run killed at
any point and run again sends only the calls that had not been committed.
"""

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from synth_assets.lineage.store import LineageStore
from synth_assets.spec.model import BudgetSpec, TeacherSpec
from synth_assets.teacher.budget import BudgetGuard, Spend
from synth_assets.teacher.cache_writer import CacheWriter
from synth_assets.teacher.client import TeacherFailure, TeacherResponse, TeacherRunner
from synth_assets.teacher.cost import token_prices
from synth_assets.teacher.progress import Progress
from synth_assets.teacher.requests import TeacherRequest

DEFAULT_PROGRESS_INTERVAL_S = 15.0


@dataclass(frozen=True)
class TeacherJob:
    """Requests for one teacher of the spec (its name is used in logs only)."""

    name: str
    teacher: TeacherSpec
    requests: Sequence[TeacherRequest]


@dataclass
class CachedRunResult:
    texts: dict[str, str]             # call_id -> answer, for every cached or answered request
    cached: int                       # distinct requests found in the cache
    answered: int                     # calls answered in this run
    failures: list[TeacherFailure]
    not_attempted: list[TeacherRequest]   # left out because the budget stopped the run
    retries: int
    rate_limited: int
    spent: Spend = field(default_factory=Spend)   # this run's spend, unusable answers included
    budget_stop: str | None = None
    duration_s: float = 0.0


class BudgetPriceError(ValueError):
    pass


def run_through_cache(
    store: LineageStore,
    jobs: Sequence[TeacherJob],
    budget: BudgetSpec | None = None,
    run_id: str | None = None,
    log: Callable[[str], None] = print,
    progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S,
) -> CachedRunResult:
    """Answer every request from the cache or the teacher; see the module docstring.

    `run_id` tags this run's failure records (a fresh id when not given)."""
    budget = budget or BudgetSpec()
    _check_prices(jobs, budget)
    distinct = {r.call_id: (job, r) for job in jobs for r in job.requests}
    frame = store.query_with_ids("call_responses", list(distinct))
    texts = dict(zip(frame["call_id"], frame["response_text"], strict=True))
    cached = len(texts)
    to_call = [(job, r) for job, r in distinct.values() if r.call_id not in texts]
    log(f"{len(distinct)} distinct teacher requests: {cached} cached, "
        f"{len(to_call)} to call")
    guard = BudgetGuard(budget)
    progress = Progress(len(to_call), guard.spent, log)
    failures: list[TeacherFailure] = []
    not_attempted: list[TeacherRequest] = []

    def on_answer(response: TeacherResponse) -> None:
        texts[response.request.call_id] = response.text
        writer.add_answer(response)

    def on_failure(failure: TeacherFailure) -> None:
        failures.append(failure)
        writer.add_failure(failure)

    async def run_all() -> None:
        reporter = asyncio.create_task(progress.report_every(progress_interval_s))
        try:
            for job in jobs:
                requests = [r for j, r in to_call if j is job]
                if not requests:
                    continue
                runner = TeacherRunner(job.name, job.teacher, guard, progress,
                                       on_answer=on_answer, on_failure=on_failure,
                                       log=log)
                not_attempted.extend(await runner.run(requests))
        finally:
            reporter.cancel()

    with CacheWriter(store, run_id or uuid.uuid4().hex) as writer:
        if to_call:
            asyncio.run(run_all())
    if to_call:
        progress.log()
    if guard.stop_reason:
        log(f"stopped before {len(not_attempted)} calls: {guard.stop_reason}")
    return CachedRunResult(
        texts=texts,
        cached=cached,
        answered=progress.answered,
        failures=failures,
        not_attempted=not_attempted,
        retries=progress.retries,
        rate_limited=progress.rate_limited,
        spent=guard.spent,
        budget_stop=guard.stop_reason,
        duration_s=progress.elapsed_s,
    )


def _check_prices(jobs: Sequence[TeacherJob], budget: BudgetSpec) -> None:
    """A cost budget needs a price for every teacher, or it would never stop anything."""
    if budget.max_cost_usd is None:
        return
    for job in jobs:
        if job.requests and token_prices(job.teacher) is None:
            raise BudgetPriceError(
                f"budget.max_cost_usd is set but teacher {job.name!r} ({job.teacher.model}) has "
                "no price in litellm's cost map: set its input_cost_per_token and "
                "output_cost_per_token in the spec"
            )
