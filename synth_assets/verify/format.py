"""Check that a response has its recipe's format (its parser could read it)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from synth_assets.verify.base import Candidate, Verdict, clip_evidence


@dataclass(frozen=True)
class FormatVerifier:
    name = "format"
    version = "1"

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        passed = candidate.parse_error is None
        return Verdict(
            passed=passed,
            score=1.0 if passed else 0.0,
            reason="the response has its recipe's format" if passed
            else f"the response does not have its recipe's format: {candidate.parse_error}",
            evidence=clip_evidence(candidate.text[:200]),
            duration_s=time.perf_counter() - start,
        )
