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
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

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
                                      # (of the last window, for a TeacherSession)
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
    with TeacherSession(store, budget, run_id, log, progress_interval_s) as session:
        texts = session.answer(jobs)
    return session.result(texts)


class TeacherSession:
    """Answers requests window after window (`answer`), as a stage that streams its work
    does: one budget, one progress count, one cache writer, one event loop and one runner per
    teacher for all of them, so limits, adaptive concurrency and spend carry over from one
    window to the next, while nothing of a window but its failures outlives it. Use as a
    context manager; `result` after the block."""

    def __init__(self, store: LineageStore, budget: BudgetSpec | None = None,
                 run_id: str | None = None, log: Callable[[str], None] = print,
                 progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S,
                 send_calls: bool = True) -> None:
        self.store = store
        self.send_calls = send_calls  # False: answers come from the cache only (batch teachers)
        self.budget = budget or BudgetSpec()
        self.log = log
        self.progress_interval_s = progress_interval_s
        self.guard = BudgetGuard(self.budget)
        self.progress = Progress(0, self.guard.spent, log)
        self.cached = 0
        self.failures: list[TeacherFailure] = []
        self.not_attempted: list[TeacherRequest] = []
        self._writer = CacheWriter(store, run_id or uuid.uuid4().hex)
        self._loop = asyncio.Runner()
        self._runners: dict[str, TeacherRunner] = {}
        self._called = False

    def __enter__(self) -> Self:
        self._writer.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._loop.close()
        finally:
            self._writer.__exit__(exc_type, exc, tb)
        if self._called:
            self.progress.log()
        if self.guard.stop_reason:
            self.log(f"stopped before {len(self.not_attempted)} calls: {self.guard.stop_reason}")

    @property
    def store_lock(self) -> threading.Lock:
        """Hold it for any other store work while the session is open (see CacheWriter)."""
        return self._writer.lock

    def found_stored(self, requests: int) -> None:
        """Count requests answered from the store without a lookup here: what they produced
        is stored already (a stage's rerun)."""
        self.cached += requests

    def answer(self, jobs: Sequence[TeacherJob]) -> dict[str, str]:
        """call_id -> answer for every request of `jobs` that is cached or answered now."""
        _check_prices(jobs, self.budget)
        distinct = {r.call_id: (job, r) for job in jobs for r in job.requests}
        if not distinct:
            return {}
        with self.store_lock:
            frame = self.store.query_with_ids("call_responses", list(distinct))
        texts = dict(zip(frame["call_id"], frame["response_text"], strict=True))
        self.cached += len(texts)
        to_call = [(job, r) for job, r in distinct.values() if r.call_id not in texts]
        self.log(f"{len(distinct)} distinct teacher requests: {len(texts)} cached, "
                 f"{len(to_call)} to call")
        if not to_call or not self.send_calls:
            return texts
        self.progress.total += len(to_call)
        self._called = True

        def on_answer(response: TeacherResponse) -> None:
            texts[response.request.call_id] = response.text
            self._writer.add_answer(response)

        def on_failure(failure: TeacherFailure) -> None:
            self.failures.append(failure)
            self._writer.add_failure(failure)

        async def run_all() -> None:
            reporter = asyncio.create_task(self.progress.report_every(self.progress_interval_s))
            try:
                for job in jobs:
                    requests = [r for j, r in to_call if j is job]
                    if requests:
                        runner = self._runner(job, on_answer, on_failure)
                        self.not_attempted.extend(await runner.run(requests))
            finally:
                reporter.cancel()

        self._loop.run(run_all())
        return texts

    def _runner(self, job: TeacherJob, on_answer: Callable[[TeacherResponse], None],
                on_failure: Callable[[TeacherFailure], None]) -> TeacherRunner:
        runner = self._runners.get(job.name)
        if runner is None:
            runner = self._runners[job.name] = TeacherRunner(
                job.name, job.teacher, self.guard, self.progress, on_answer=on_answer,
                on_failure=on_failure, log=self.log)
        runner.on_answer, runner.on_failure = on_answer, on_failure  # this window's texts
        return runner

    def result(self, texts: dict[str, str]) -> CachedRunResult:
        return CachedRunResult(
            texts=texts,
            cached=self.cached,
            answered=self.progress.answered,
            failures=self.failures,
            not_attempted=self.not_attempted,
            retries=self.progress.retries,
            rate_limited=self.progress.rate_limited,
            spent=self.guard.spent,
            budget_stop=self.guard.stop_reason,
            duration_s=self.progress.elapsed_s,
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
