"""The admission rule: whether a record's verdicts admit it. The verify stage, next-round
seeds and `synth verify` call these functions; queries call `verdict_admits` in
sql/admission.sql, the same rule in SQL (tests/test_admission.py checks that both agree).

A record is admitted when every verifier of its recipe has a verdict at the verifier's current
version and each verdict admits it: its score reaches the verifier's `min_score` where the spec
sets one, else the verifier passed it. Deduplication comes after: an admitted record that
duplicates an earlier verified one is dropped (verify_stage finds and links duplicates)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from synth_assets.verify.base import Verdict

NO_VERDICT = "no verdict at the current version (its LLM-judge call failed)"


def verdict_admits(passed: bool, score: float, min_score: float | None) -> bool:
    """Whether one verdict admits its record under the verifier's threshold (None: unset)."""
    if min_score is None or math.isnan(min_score):
        return bool(passed)
    return score >= min_score


def rejection_reason(verdict: Verdict | None, min_score: float | None) -> str | None:
    """Why this verdict does not admit its record; None when it does."""
    if verdict is None:
        return NO_VERDICT
    if verdict_admits(verdict.passed, verdict.score, min_score):
        return None
    if min_score is not None and not math.isnan(min_score):
        return f"score {verdict.score:.3g} below min_score {min_score:g}: {verdict.reason}"
    return verdict.reason


def rejections(verdicts: Mapping[str, Verdict | None],
               min_scores: Mapping[str, float | None]) -> dict[str, str]:
    """Verifier -> why it rejects the record, for every verifier of the record's recipe
    (`verdicts` holds each one's current verdict, None when there is none). Empty: admitted."""
    reasons = {name: rejection_reason(verdict, min_scores.get(name))
               for name, verdict in verdicts.items()}
    return {name: reason for name, reason in reasons.items() if reason is not None}
