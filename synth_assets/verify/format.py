"""Check that a response has its recipe's format (its parser could read it)."""

from __future__ import annotations

from dataclasses import dataclass

from synth_assets.verify.base import Candidate, Decision, Verifier


@dataclass(frozen=True)
class FormatVerifier(Verifier):
    name = "format"
    version = "1"
    # The base fails a response its parser could not read; what reaches `decide` has the format.
    reads_record_fields = True

    def decide(self, candidate: Candidate) -> Decision:
        return Decision(True, "the response has its recipe's format", candidate.text[:200])
