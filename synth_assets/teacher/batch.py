"""Teacher requests through a provider's batch API, recorded so that nothing is paid twice.

A batch goes: recorded (teacher_batches with its requests, before anything is sent) ->
uploaded (input file id) -> created (provider batch id) -> polled until it ends -> ingested
(answers into the teacher cache `teacher_calls`, failures into `teacher_failures`, in one
transaction). Each step is appended to teacher_batch_events as soon as it is done. A run killed
between two steps leaves the batch recorded; `advance` then finds the file or batch on the
provider's side (by the file name and metadata tag, both the batch_key) before it uploads or
creates anything. Store transactions are short and never span a provider call.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.spec.model import TeacherSpec
from synth_assets.teacher.batch_files import (
    MEGABYTE,
    BatchAnswer,
    BatchError,
    input_file,
    read_result_lines,
    split_into_files,
)
from synth_assets.teacher.batch_provider import ENDED_STATES, BatchProvider, BatchStatus
from synth_assets.teacher.budget import Spend
from synth_assets.teacher.cache_writer import call_row, failure_row
from synth_assets.teacher.client import TeacherFailure, TeacherResponse
from synth_assets.teacher.cost import batch_token_prices, token_prices
from synth_assets.teacher.faults import FaultKind, answer_problem, classify_status
from synth_assets.teacher.requests import TeacherRequest

# What a request that is in neither result file of an ended batch failed of, by batch state.
UNANSWERED_KIND = {"expired": FaultKind.BATCH_EXPIRED, "cancelled": FaultKind.BATCH_CANCELLED,
                   "failed": FaultKind.BATCH_FAILED, "completed": FaultKind.BATCH_FAILED}
ERROR_CODE_KIND = {"batch_expired": FaultKind.BATCH_EXPIRED,
                   "batch_cancelled": FaultKind.BATCH_CANCELLED}


@dataclass(frozen=True)
class BatchState:
    """A recorded batch as its events describe it now (named query batch_states)."""

    batch_key: str
    partition_key: str
    teacher: str
    model: str
    api_base: str | None
    request_count: int
    created_at: datetime
    file_id: str | None
    batch_id: str | None
    submitted_at: datetime | None
    status: str
    completed: int
    failed: int
    output_file_id: str | None
    error_file_id: str | None
    polled_at: datetime | None
    ingested_at: datetime | None

    @property
    def ended(self) -> bool:
        return self.status in ENDED_STATES

    @property
    def open(self) -> bool:
        """Its answers are not stored yet."""
        return self.ingested_at is None

    def age_s(self, now: datetime | None = None) -> float:
        return ((now or _now()) - self.created_at).total_seconds()


@dataclass
class Ingested:
    """What ingesting ended batches stored."""

    batches: int = 0
    answered: int = 0
    failures: list[TeacherFailure] = field(default_factory=list)
    spent: Spend = field(default_factory=Spend)      # at batch prices
    online_cost_usd: float | None = 0.0              # the same tokens at online prices

    def add(self, other: "Ingested") -> None:
        self.batches += other.batches
        self.answered += other.answered
        self.failures += other.failures
        self.spent.add(other.spent.cost_usd, other.spent.prompt_tokens,
                       other.spent.completion_tokens)
        self.online_cost_usd = (None if self.online_cost_usd is None
                                or other.online_cost_usd is None
                                else self.online_cost_usd + other.online_cost_usd)


def _now() -> datetime:
    """Naive UTC, as the store's TIMESTAMP columns hold it."""
    return datetime.now(UTC).replace(tzinfo=None)


def batch_states(store: LineageStore, partition_key: str | None = None) -> list[BatchState]:
    """Every recorded batch (of one partition), oldest first."""
    return [BatchState(**row)
            for row in store.query_rows("batch_states", partition_key=partition_key)]


def batches_table(states: Sequence[BatchState],
                  seen: dict[str, BatchStatus] | None = None) -> pd.DataFrame:
    """One row per batch: its state and counts (from `seen`, a fresh poll, when given) and age."""
    now = _now()
    rows = []
    for state in states:
        status = (seen or {}).get(state.batch_key)
        rows.append({
            "partition": state.partition_key, "batch_key": state.batch_key,
            "provider_batch": state.batch_id or "-",
            "status": status.status if status else state.status,
            "completed": status.completed if status else state.completed,
            "failed": status.failed if status else state.failed,
            "requests": state.request_count,
            "age": _age(state.age_s(now)),
        })
    return pd.DataFrame(rows, columns=["partition", "batch_key", "provider_batch", "status",
                                       "completed", "failed", "requests", "age"])


def _age(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def pending_call_ids(store: LineageStore, partition_key: str) -> set[str]:
    """Requests of the partition in a batch whose answers are not stored yet."""
    return {row["call_id"] for row in
            store.query_rows("pending_batch_call_ids", partition_key=partition_key)}


def record_batches(store: LineageStore, teacher_name: str, teacher: TeacherSpec,
                   partition_key: str, requests: Sequence[TeacherRequest],
                   provider_model: str) -> list[str]:
    """Split the requests into batches that fit the teacher's limits and record each with its
    requests (nothing is sent yet); returns their batch keys. The key names the partition,
    the requests and how many of the partition's batches had ended, so the same requests sent
    again after an expired batch are a new batch."""
    ended = store.query_rows("ended_batch_count", partition_key=partition_key)[0]["ended"]
    groups = split_into_files(requests, provider_model, teacher.batch_max_requests,
                              int(teacher.batch_max_file_mb * MEGABYTE))
    keys = []
    for group in groups:
        call_ids = sorted(r.call_id for r in group)
        key = content_id("batch", partition_key, teacher.model, teacher.api_base, call_ids, ended)
        with store.writer() as writer:
            writer.insert_new("teacher_batches", [{
                "batch_key": key, "partition_key": partition_key, "teacher": teacher_name,
                "model": teacher.model, "api_base": teacher.api_base,
                "request_count": len(group), "created_at": _now()}])
            writer.insert_new("teacher_batch_requests", [{
                "batch_key": key, "call_id": r.call_id, "model": r.model,
                "params": json.dumps(r.params, sort_keys=True),
                "messages": json.dumps(r.messages, ensure_ascii=False),
                "sample_index": r.sample_index} for r in group])
        keys.append(key)
    return keys


def batch_requests(store: LineageStore, state: BatchState) -> list[TeacherRequest]:
    return [TeacherRequest(call_id=row["call_id"], model=row["model"], api_base=state.api_base,
                           messages=json.loads(row["messages"]), params=json.loads(row["params"]),
                           sample_index=row["sample_index"])
            for row in store.query_rows("batch_requests", batch_key=state.batch_key)]


async def advance(store: LineageStore, provider: BatchProvider, state: BatchState,
                  log: Callable[[str], None] = print, recorded_now: bool = False) -> None:
    """Bring a recorded batch to created on the provider's side, reusing a file or batch an
    earlier (killed) run made for it; `recorded_now`: this run recorded it a moment ago, so
    there is nothing to look for."""
    if state.batch_id is not None:
        return
    file_id = state.file_id
    if file_id is None and not recorded_now:
        file_id = await provider.find_file(state.batch_key)
    resumed = file_id is not None
    if file_id is None:
        content = input_file(batch_requests(store, state), provider.model)
        file_id = await provider.upload(state.batch_key, content)
    if state.file_id is None:
        _record_event(store, state.batch_key, "uploaded", file_id=file_id)
    found = await provider.find_batch(state.batch_key) if resumed else None
    if found is not None:
        log(f"batch {state.batch_key}: found provider batch {found.batch_id} made by an earlier "
            "run; not created again")
    status = found or await provider.create(state.batch_key, state.partition_key, file_id)
    _record_event(store, state.batch_key, "created", batch_id=status.batch_id)
    record_status(store, state.batch_key, status)


async def poll(store: LineageStore, provider: BatchProvider, state: BatchState) -> BatchStatus:
    status = await provider.retrieve(state.batch_id)
    record_status(store, state.batch_key, status)
    return status


def record_status(store: LineageStore, batch_key: str, status: BatchStatus) -> None:
    """A status event, once per distinct state and counts (a repeated poll adds nothing)."""
    _record_event(store, batch_key, "status", batch_id=status.batch_id, status=status.status,
                  completed=status.completed, failed=status.failed, total=status.total,
                  output_file_id=status.output_file_id, error_file_id=status.error_file_id)


def record_cancel_request(store: LineageStore, batch_key: str, status: BatchStatus) -> None:
    _record_event(store, batch_key, "cancel_requested", batch_id=status.batch_id)
    record_status(store, batch_key, status)


def _record_event(store: LineageStore, batch_key: str, event: str, **values: Any) -> None:
    with store.writer() as writer:
        writer.insert_new("teacher_batch_events", [_event_row(batch_key, event, **values)])


def _event_row(batch_key: str, event: str, **values: Any) -> dict:
    return {"event_id": content_id("bevent", batch_key, event, values), "batch_key": batch_key,
            "event": event, "created_at": _now(), **values}


async def ingest(store: LineageStore, provider: BatchProvider, teacher: TeacherSpec,
                 state: BatchState, status: BatchStatus, run_id: str) -> Ingested:
    """Store an ended batch's answers in the teacher cache and its failed or unrun requests in
    teacher_failures, and mark it ingested, in one transaction."""
    requests = {r.call_id: r for r in batch_requests(store, state)}
    results: list[BatchAnswer | BatchError] = []
    for file_id in (status.output_file_id, status.error_file_id):
        if file_id:
            results += read_result_lines(await provider.content(file_id))
    submitted = (state.submitted_at or state.created_at).replace(tzinfo=UTC).timestamp()
    ended = status.ended_at or _now().replace(tzinfo=UTC).timestamp()
    latency = max(0.0, ended - submitted)
    prices = batch_token_prices(teacher) or (0.0, 0.0)
    online = token_prices(teacher)
    done = Ingested(batches=1)
    answers, seen = [], set()
    for result in results:
        request = requests.get(result.call_id)
        if request is None or result.call_id in seen:
            continue  # not ours (a provider's mistake), or reported twice
        seen.add(result.call_id)
        if isinstance(result, BatchError):
            kind = ERROR_CODE_KIND.get(result.code) or classify_status(result.status_code)
            done.failures.append(TeacherFailure(request, kind, f"{result.code}: {result.message}",
                                                attempts=1))
            continue
        cost = result.prompt_tokens * prices[0] + result.completion_tokens * prices[1]
        spend = Spend(cost, result.prompt_tokens, result.completion_tokens)
        done.spent.add(cost, result.prompt_tokens, result.completion_tokens)
        if online is not None and done.online_cost_usd is not None:
            done.online_cost_usd += (result.prompt_tokens * online[0]
                                     + result.completion_tokens * online[1])
        else:
            done.online_cost_usd = None
        problem = answer_problem(result.text, result.finish_reason, request.wants_json)
        if problem is not None:
            done.failures.append(TeacherFailure(request, FaultKind.INVALID_ANSWER, problem, 1,
                                                result.text, result.finish_reason, spend))
            continue
        answers.append(call_row(TeacherResponse(
            request, result.text, result.finish_reason, result.prompt_tokens,
            result.completion_tokens, cost, latency)))
    unanswered_kind = UNANSWERED_KIND.get(status.status, FaultKind.BATCH_FAILED)
    done.failures += [TeacherFailure(request, unanswered_kind,
                                     f"batch {status.batch_id} ended {status.status} without "
                                     "running this request", attempts=1)
                      for call_id, request in requests.items() if call_id not in seen]
    done.answered = len(answers)
    with store.writer() as writer:
        writer.insert_new("teacher_calls", answers)
        writer.insert_new("teacher_failures", [failure_row(f, run_id) for f in done.failures])
        writer.insert_new("teacher_batch_events", [
            _event_row(state.batch_key, "status", batch_id=status.batch_id, status=status.status,
                       completed=status.completed, failed=status.failed, total=status.total,
                       output_file_id=status.output_file_id,
                       error_file_id=status.error_file_id),
            _event_row(state.batch_key, "ingested", batch_id=status.batch_id)])
    return done
