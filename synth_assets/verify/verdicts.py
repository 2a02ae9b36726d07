"""What the rule-based recipe verifiers share: reading the record's output and the prompt's
sampled attributes off a candidate, and making a pass/fail verdict."""

from __future__ import annotations

import time
from typing import Any

from synth_assets.verify.base import Candidate, Verdict, clip_evidence


def output_text(candidate: Candidate, field: str, verifier: str) -> str:
    """The record field a verifier judges (the raw answer when it did not parse)."""
    if candidate.parse_error is not None:
        return candidate.text
    value = candidate.seed.get(field)
    if not isinstance(value, str):
        raise ValueError(f"{verifier} verifier needs the record field {field!r} as text, "
                         f"got {value!r}")
    return value


def attribute(candidate: Candidate, name: str, verifier: str) -> Any:
    """One sampled attribute of the candidate's prompt, failing loudly when it is missing."""
    if name not in candidate.attributes:
        raise ValueError(f"{verifier} verifier needs the prompt attribute {name!r}; the "
                         f"candidate has {sorted(candidate.attributes) or 'none'}")
    return candidate.attributes[name]


def attribute_text(value: Any, key: str, verifier: str) -> str:
    """An attribute's text: the value itself, or its `key` when it is a JSON object."""
    if isinstance(value, dict):
        value = value.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{verifier} verifier needs an attribute text (or an object with "
                         f"{key!r}), got {value!r}")
    return value


def pass_fail(passed: bool, reason: str, evidence: str, start: float) -> Verdict:
    return Verdict(passed=passed, score=1.0 if passed else 0.0, reason=reason,
                   evidence=clip_evidence(evidence), duration_s=time.perf_counter() - start)


def unparsed(candidate: Candidate, start: float) -> Verdict | None:
    """The failing verdict of a response its recipe's parser could not read (its record
    fields are missing), else None."""
    if candidate.parse_error is None:
        return None
    return pass_fail(False, f"the response does not have its recipe's format: "
                            f"{candidate.parse_error}", candidate.text[:200], start)


def first_failure(checks: list[tuple[bool, str, str]], passed_reason: str, evidence: str,
                  start: float) -> Verdict:
    """The verdict of a list of (ok, reason if not, evidence) checks: the first failing one,
    or a pass with `passed_reason` and `evidence`."""
    for ok, reason, detail in checks:
        if not ok:
            return pass_fail(False, reason, detail, start)
    return pass_fail(True, passed_reason, evidence, start)
