"""Verify many candidates at once."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from synth_assets.verify.base import Candidate, Verdict, Verifier


def verify_all(
    verifier: Verifier, candidates: Sequence[Candidate], max_workers: int | None = None
) -> list[Verdict]:
    """Verdicts in the order of `candidates`, one worker thread per usable core by default.

    Threads suffice: the heavy verifiers spend their time waiting on a sandbox subprocess.
    """
    workers = max_workers or len(os.sched_getaffinity(0))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(verifier.verify, candidates))
