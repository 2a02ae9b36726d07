"""Symbolic equivalence of two math answers: math-verify's parser and our comparison.

math-verify bounds its sympy work with SIGALRM, which only works in a process's main thread;
our verifiers run in worker threads. So comparisons go to a few long-lived worker processes
(symbolic_worker.py, one JSON line per question and answer), where math-verify runs in the main
thread and its own timeouts work. A worker that has not answered by our deadline (sympy can
spend minutes inside one C call, e.g. on 9^9^9^9) is killed and replaced. Workers start with
`-I` and an environment without secrets: they read model-written text.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

# math-verify's per-step limits inside the worker, and our deadline for a whole comparison
# (which also covers a new worker importing sympy).
PARSE_TIMEOUT_S = 5
COMPARE_TIMEOUT_S = 5
DEADLINE_S = 3 * (PARSE_TIMEOUT_S + COMPARE_TIMEOUT_S)
MAX_WORKERS = max(1, min(4, len(os.sched_getaffinity(0))))
_WORKER_SCRIPT = Path(__file__).with_name("symbolic_worker.py")


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(_WORKER_SCRIPT), str(PARSE_TIMEOUT_S),
             str(COMPARE_TIMEOUT_S)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
        self._pending = b""

    def ask(self, question: list, deadline: float) -> bool | None:
        self.process.stdin.write(json.dumps(question).encode() + b"\n")
        self.process.stdin.flush()
        fd = self.process.stdout.fileno()
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                return None  # the worker died
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            pipe.close()


_idle: queue.SimpleQueue[_Worker | None] = queue.SimpleQueue()
_all: list[_Worker] = []
_lock = threading.Lock()
for _ in range(MAX_WORKERS):
    _idle.put(None)  # a free slot; the worker is started on first use


def symbolically_equal(predicted: str, gold: str, tolerance: float = 1e-6,
                       decimals: int | None = None) -> bool | None:
    """Whether the two (LaTeX or plain) answers are equal as symbolic_worker compares them (a
    bare decimal against a constant within `tolerance`; constants at `decimals` places when
    given); None when it could not decide by the deadline."""
    worker = _idle.get()
    try:
        if worker is None or worker.process.poll() is not None:
            worker = _start_worker()
        answer = worker.ask([predicted, gold, tolerance, decimals],
                            time.monotonic() + DEADLINE_S)
        if answer is None:
            _stop_worker(worker)
            worker = None
        return answer
    finally:
        _idle.put(worker)


def _start_worker() -> _Worker:
    worker = _Worker()
    with _lock:
        _all.append(worker)
    return worker


def _stop_worker(worker: _Worker) -> None:
    with _lock:
        _all.remove(worker)
    worker.close()


@atexit.register
def _stop_all() -> None:
    with _lock:
        workers = list(_all)
        _all.clear()
    for worker in workers:
        worker.close()
