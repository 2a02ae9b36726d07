"""Self-consistency: when a seed has no gold answer, a sample is right when it agrees with
the strict majority of the answers over all samples of the same prompt."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from synth_assets.verify.base import Decision


def gold_answer(seed: dict, verifier: str) -> str | None:
    """The seed's gold `answer` as text, or None when the seed has none (missing, null, empty)."""
    value = seed.get("answer")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{verifier} verifier needs seed['answer'] as text or a number, "
                         f"got {value!r}")
    return str(value)


def majority_answer(
    answers: Sequence[str | None], same: Callable[[str, str], bool]
) -> tuple[str | None, int]:
    """The answer most samples agree on (the earliest group wins a tie) and its vote count."""
    groups: list[list[str]] = []
    for answer in answers:
        if answer is None:
            continue
        group = next((g for g in groups if same(answer, g[0])), None)
        if group is None:
            groups.append([answer])
        else:
            group.append(answer)
    if not groups:
        return None, 0
    best = max(groups, key=len)
    return best[0], len(best)


def consensus_decision(
    own: str | None,
    answers: Sequence[str | None],
    same: Callable[[str, str], bool],
) -> Decision:
    """The decision for one sample whose answer is `own`, given every sample's answer (its own
    included). Score: the share of samples in its answer's group (0 when not the majority)."""
    samples = len(answers)
    majority, votes = majority_answer(answers, same)
    agrees = own is not None and majority is not None and same(own, majority)
    if samples < 2:
        passed, reason = False, "no gold answer and a single sample: nothing to agree with"
    elif own is None:
        passed, reason = False, "no gold answer and no final answer found"
    elif 2 * votes <= samples:
        passed, reason = False, f"no gold answer and no strict majority among {samples} samples"
    elif agrees:
        passed, reason = True, f"no gold answer: agrees with the majority of {samples} samples"
    else:
        passed, reason = False, f"no gold answer: differs from the majority of {samples} samples"
    return Decision(
        passed=passed,
        reason=reason,
        evidence=f"extracted={own} majority={majority} agreement={votes}/{samples}",
        score=votes / samples if agrees and samples else 0.0,
    )
