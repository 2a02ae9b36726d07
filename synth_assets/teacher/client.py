"""Calls one teacher through litellm: bounded and adaptive concurrency, per-minute limits,
retries with backoff, checks on every answer, and a budget check before each batch."""

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import litellm

from synth_assets.spec.model import TeacherSpec
from synth_assets.teacher.budget import BudgetGuard, Estimate, Spend
from synth_assets.teacher.cost import call_cost, token_prices, worst_case_tokens
from synth_assets.teacher.embedded import register_embedded_provider
from synth_assets.teacher.faults import (
    FaultKind,
    answer_problem,
    backoff_delay_s,
    classify,
    retry_after_s,
)
from synth_assets.teacher.limits import AdaptiveConcurrency, TokenBucket
from synth_assets.teacher.progress import Progress
from synth_assets.teacher.requests import TeacherRequest

ERROR_CHARS = 1000

litellm.suppress_debug_info = True  # its "Give Feedback" banner on every error is noise here


@dataclass(frozen=True)
class TeacherResponse:
    request: TeacherRequest
    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float
    attempts: int = 1


@dataclass(frozen=True)
class TeacherFailure:
    """A call that ended without a usable answer; `spend` is what its unusable answers cost."""

    request: TeacherRequest
    kind: FaultKind
    error: str
    attempts: int
    last_text: str | None = None
    finish_reason: str | None = None
    spend: Spend = field(default_factory=Spend)


@dataclass(frozen=True)
class _Fault:
    kind: FaultKind
    error: str
    retry_after_s: float | None


class TeacherRunner:
    """Runs one teacher's requests. Results go to `on_answer` / `on_failure` as they arrive;
    counts go to the shared `progress`, spend to the shared `guard`."""

    def __init__(self, name: str, teacher: TeacherSpec, guard: BudgetGuard, progress: Progress,
                 on_answer: Callable[[TeacherResponse], None],
                 on_failure: Callable[[TeacherFailure], None],
                 log: Callable[[str], None], batch_size: int = 8) -> None:
        register_embedded_provider()
        self.name = name
        self.teacher = teacher
        self.guard = guard
        self.progress = progress
        self.on_answer = on_answer
        self.on_failure = on_failure
        self.log = log
        self.batch_size = batch_size
        self.concurrency = AdaptiveConcurrency(teacher.concurrency)
        self.requests_per_minute = (
            TokenBucket(teacher.requests_per_minute) if teacher.requests_per_minute else None)
        self.tokens_per_minute = (
            TokenBucket(teacher.tokens_per_minute) if teacher.tokens_per_minute else None)
        self.spend = Spend()
        self.finished = 0
        self._unfinished = 0
        self._room = asyncio.Event()
        self._crashed = False
        self._api_key = os.environ.get(teacher.api_key_env) if teacher.api_key_env else None

    async def run(self, requests: Sequence[TeacherRequest]) -> list[TeacherRequest]:
        """Make every call unless the budget stops the run first; returns the requests not
        attempted. Batches are released as slots free up, so the teacher is never idle."""
        tasks = []
        index = 0
        while index < len(requests):
            await self._wait_for_room()
            if self._crashed:
                break  # e.g. answers can no longer be stored: stop paying for new ones
            batch = requests[index:index + self.batch_size]
            admitted = self.guard.calls_that_fit(self._per_call_estimate(batch),
                                                 self._unfinished, len(batch))
            if not admitted:
                break
            for request in batch[:admitted]:
                self._unfinished += 1
                task = asyncio.create_task(self._complete(request))
                task.add_done_callback(self._one_finished)
                tasks.append(task)
            index += admitted
        await asyncio.gather(*tasks)
        return list(requests[index:])

    async def _wait_for_room(self) -> None:
        while self._unfinished >= self.concurrency.limit:
            self._room.clear()
            await self._room.wait()

    def _one_finished(self, task: asyncio.Task) -> None:
        self._unfinished -= 1
        self.finished += 1
        self._crashed = self._crashed or (not task.cancelled() and task.exception() is not None)
        self._room.set()

    def _per_call_estimate(self, batch: Sequence[TeacherRequest]) -> Estimate:
        """This run's mean spend per finished call; before any has finished, the batch's mean
        worst case (whole prompt + max_tokens)."""
        if self.finished:
            return Estimate(self.spend.cost_usd / self.finished,
                            self.spend.tokens / self.finished)
        input_price, output_price = token_prices(self.teacher) or (0.0, 0.0)
        worst = [(worst_case_tokens(r), int(r.params["max_tokens"])) for r in batch]
        cost = sum((total - out) * input_price + out * output_price for total, out in worst)
        return Estimate(cost / len(batch), sum(total for total, _ in worst) / len(batch))

    async def _complete(self, request: TeacherRequest) -> None:
        """One request to its end: a usable answer, or a failure after the allowed retries."""
        transient_retries = invalid_retries = 0
        wasted = Spend()
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(request)
            if isinstance(outcome, TeacherResponse):
                problem = answer_problem(outcome.text, outcome.finish_reason,
                                         request.wants_json)
                if problem is None:
                    self.progress.answered += 1
                    self.on_answer(replace(outcome, attempts=attempt))
                    return
                wasted.add(outcome.cost_usd, outcome.prompt_tokens, outcome.completion_tokens)
                if invalid_retries < self.teacher.max_invalid_retries:
                    invalid_retries += 1
                    self.progress.retries += 1
                    continue
                failure = TeacherFailure(request, FaultKind.INVALID_ANSWER, problem, attempt,
                                         outcome.text, outcome.finish_reason, wasted)
            else:
                if outcome.kind.transient and transient_retries < self.teacher.max_retries:
                    transient_retries += 1
                    self.progress.retries += 1
                    await asyncio.sleep(self._retry_delay(outcome, transient_retries))
                    continue
                failure = TeacherFailure(request, outcome.kind, outcome.error, attempt,
                                         spend=wasted)
            self.progress.failed += 1
            self.on_failure(failure)
            return

    def _retry_delay(self, fault: _Fault, retry: int) -> float:
        if fault.retry_after_s is not None:
            return fault.retry_after_s
        return backoff_delay_s(retry, self.teacher.retry_base_delay_s,
                               self.teacher.retry_max_delay_s)

    async def _attempt(self, request: TeacherRequest) -> TeacherResponse | _Fault:
        """One request to the server: the answer as it came back (usable or not), or a fault."""
        started_at = await self.concurrency.acquire()
        try:
            if self.requests_per_minute:
                await self.requests_per_minute.take(1)
            reserved = worst_case_tokens(request) if self.tokens_per_minute else 0
            if self.tokens_per_minute:
                await self.tokens_per_minute.take(reserved)
            started = time.perf_counter()
            try:
                response = await litellm.acompletion(
                    model=request.model,
                    messages=request.messages,
                    api_base=request.api_base,
                    api_key=self._api_key,
                    timeout=self.teacher.timeout_s,
                    max_retries=0,  # the retry policy is ours; the OpenAI SDK would add its own
                    drop_params=True,
                    **request.params,
                )
            except Exception as error:  # any provider error becomes a recorded fault
                return self._fault(error, started_at)
            latency = time.perf_counter() - started
        finally:
            await self.concurrency.release()
        self.concurrency.on_success()
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        if self.tokens_per_minute:
            self.tokens_per_minute.adjust(reserved - prompt_tokens - completion_tokens)
        cost = call_cost(self.teacher, response, prompt_tokens, completion_tokens)
        self.spend.add(cost, prompt_tokens, completion_tokens)
        self.guard.record(cost, prompt_tokens, completion_tokens)
        return TeacherResponse(request, choice.message.content or "", choice.finish_reason,
                               prompt_tokens, completion_tokens, cost, latency)

    def _fault(self, error: Exception, started_at: float) -> _Fault:
        kind = classify(error)
        retry_after = retry_after_s(error)
        if kind is FaultKind.RATE_LIMITED:
            self.progress.rate_limited += 1
            before = self.concurrency.limit
            self.concurrency.on_rate_limited(
                started_at, retry_after if retry_after is not None else
                backoff_delay_s(1, self.teacher.retry_base_delay_s, self.teacher.retry_max_delay_s))
            if self.concurrency.limit != before:
                self.log(f"teacher {self.name}: rate limited (429, retry-after "
                         f"{retry_after if retry_after is not None else 'not given'}); "
                         f"concurrency {before} -> {self.concurrency.limit}")
        message = f"{type(error).__name__}: {error}"
        return _Fault(kind, message[:ERROR_CHARS], retry_after)
