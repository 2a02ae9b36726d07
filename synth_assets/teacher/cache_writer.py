"""Commits teacher answers (the cache) and failures to the lineage store as they arrive.

A background thread commits whatever has arrived since its last write in one short
transaction, so the event loop never waits on DuckDB. A write costs about the same whatever its
size (opening the file and the checkpoint on close take tens of milliseconds of CPU; the rows
almost nothing), so the thread writes at most once per COMMIT_INTERVAL_S: an answer that
arrives after a quiet spell is committed at once, answers that pour in are committed together
a second later instead of each paying for a write of its own. A run killed at any moment loses
at most the answers of the last second or so.
"""

import json
import queue
import threading
import time
from types import TracebackType
from typing import Self

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.teacher.client import TeacherFailure, TeacherResponse
from synth_assets.teacher.requests import TeacherRequest

COMMIT_INTERVAL_S = 1.0


def _request_columns(request: TeacherRequest) -> dict:
    return {
        "call_id": request.call_id,
        "model": request.model,
        "params": json.dumps(request.params, sort_keys=True),
        "messages": json.dumps(request.messages, ensure_ascii=False),
        "sample_index": request.sample_index,
    }


def call_row(response: TeacherResponse) -> dict:
    return {
        **_request_columns(response.request),
        "response_text": response.text,
        "finish_reason": response.finish_reason,
        "prompt_tokens": response.prompt_tokens,
        "completion_tokens": response.completion_tokens,
        "cost_usd": response.cost_usd,
        "latency_s": response.latency_s,
    }


def failure_row(failure: TeacherFailure, run_id: str) -> dict:
    return {
        "failure_id": content_id("fail", failure.request.call_id, run_id),
        **_request_columns(failure.request),
        "run_id": run_id,
        "error_kind": str(failure.kind),
        "error": failure.error,
        "attempts": failure.attempts,
        "last_answer": failure.last_text,
        "finish_reason": failure.finish_reason,
        "prompt_tokens": failure.spend.prompt_tokens,
        "completion_tokens": failure.spend.completion_tokens,
        "cost_usd": failure.spend.cost_usd,
    }


class CacheWriter:
    """Use as a context manager; `add_answer` / `add_failure` from the event loop. Leaving the
    block waits until everything added is committed, and raises if a write failed. Other
    store work of the same process while the block is open goes inside `with writer.lock`:
    DuckDB's Python client is not safe when two threads register rows at once."""

    def __init__(self, store: LineageStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[str, dict] | None] = queue.SimpleQueue()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._write_loop, name="teacher-cache-writer",
                                        daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._closing.set()  # the last write goes out at once, without waiting for the interval
        self._queue.put(None)
        self._thread.join()
        if self.error is not None and exc is None:
            raise RuntimeError(f"writing teacher answers to {self.store.path} failed: "
                               f"{self.error}") from self.error

    def add_answer(self, response: TeacherResponse) -> None:
        self._check()
        self._queue.put(("teacher_calls", call_row(response)))

    def add_failure(self, failure: TeacherFailure) -> None:
        self._check()
        self._queue.put(("teacher_failures", failure_row(failure, self.run_id)))

    def _check(self) -> None:
        if self.error is not None:
            raise RuntimeError(f"writing teacher answers to {self.store.path} failed: "
                               f"{self.error}") from self.error

    def _write_loop(self) -> None:
        next_write = 0.0
        closing = False
        while not closing:
            items = [self._queue.get()]  # sleeps until something arrives
            self._closing.wait(max(0.0, next_write - time.monotonic()))
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            closing = items[-1] is None  # put last, by __exit__
            rows = [item for item in items if item is not None]
            if rows and self.error is None:
                try:
                    self._write(rows)
                except BaseException as error:  # handed to the event loop, which stops the run
                    self.error = error
            next_write = time.monotonic() + COMMIT_INTERVAL_S

    def _write(self, items: list[tuple[str, dict]]) -> None:
        tables: dict[str, list[dict]] = {}
        for table, row in items:
            tables.setdefault(table, []).append(row)
        with self.lock, self.store.writer() as writer:
            for table, rows in tables.items():
                writer.insert_new(table, rows)
