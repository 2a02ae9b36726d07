"""What teacher requests will cost before any is sent, and whether that fits a budget.

Prompt tokens are counted with litellm's tokenizer for the model; every answer is assumed to be
`expected_completion_tokens` long (default: the teacher's max_tokens, the most it can bill);
prices come from the spec, else from litellm's cost map.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass

import litellm

from synth_assets.spec.model import BudgetSpec, TeacherSpec
from synth_assets.teacher.cost import batch_token_prices
from synth_assets.teacher.embedded import EMBEDDED_PROVIDER
from synth_assets.teacher.requests import TeacherRequest


@dataclass(frozen=True)
class TeacherEstimate:
    teacher: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None  # None: no price is known for the model

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def token_prices(teacher: TeacherSpec) -> tuple[float, float] | None:
    """(input, output) USD per token: the spec's prices, else litellm's cost map; the embedded
    model runs in-process and is free; None when nothing is known. A `mode: batch` teacher is
    priced at its batch prices (teacher.cost.batch_token_prices)."""
    if teacher.mode == "batch":
        return batch_token_prices(teacher)
    if teacher.input_cost_per_token is not None or teacher.output_cost_per_token is not None:
        return teacher.input_cost_per_token or 0.0, teacher.output_cost_per_token or 0.0
    if teacher.model.startswith(f"{EMBEDDED_PROVIDER}/"):
        return 0.0, 0.0
    try:
        info = litellm.get_model_info(teacher.model)
    except Exception:  # litellm raises several types for models missing from its cost map
        return None
    if info.get("input_cost_per_token") is None or info.get("output_cost_per_token") is None:
        return None
    return float(info["input_cost_per_token"]), float(info["output_cost_per_token"])


def estimate_requests(
    teacher_name: str,
    teacher: TeacherSpec,
    requests: Sequence[TeacherRequest],
    expected_completion_tokens: int | None = None,
) -> TeacherEstimate:
    """Tokens and cost of sending every request once."""
    prompt_tokens_by_messages: dict[str, int] = {}
    prompt_tokens = 0
    for request in requests:
        key = json.dumps(request.messages, sort_keys=True)
        if key not in prompt_tokens_by_messages:  # samples of one prompt share its messages
            prompt_tokens_by_messages[key] = litellm.token_counter(
                model=teacher.model, messages=request.messages
            )
        prompt_tokens += prompt_tokens_by_messages[key]
    per_answer = min(expected_completion_tokens or teacher.max_tokens, teacher.max_tokens)
    completion_tokens = per_answer * len(requests)
    prices = token_prices(teacher)
    cost = None if prices is None else prompt_tokens * prices[0] + completion_tokens * prices[1]
    return TeacherEstimate(
        teacher=teacher_name,
        model=teacher.model,
        calls=len(requests),
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost,
    )


def add_estimates(first: TeacherEstimate, second: TeacherEstimate) -> TeacherEstimate:
    """One teacher's estimates of two sets of requests, together."""
    return TeacherEstimate(
        teacher=first.teacher,
        model=first.model,
        calls=first.calls + second.calls,
        prompt_tokens=first.prompt_tokens + second.prompt_tokens,
        completion_tokens=first.completion_tokens + second.completion_tokens,
        cost_usd=(None if first.cost_usd is None or second.cost_usd is None
                  else first.cost_usd + second.cost_usd),
    )


def total_cost(estimates: Sequence[TeacherEstimate]) -> float | None:
    """Summed cost, or None when a teacher with calls to make has no known price."""
    if any(e.cost_usd is None for e in estimates if e.calls):
        return None
    return float(sum(e.cost_usd or 0.0 for e in estimates))


def budget_problems(estimates: Sequence[TeacherEstimate], budget: BudgetSpec) -> list[str]:
    """Why the estimated calls do not fit the budget; empty when they do."""
    problems = []
    tokens = sum(e.total_tokens for e in estimates)
    if budget.max_tokens is not None and tokens > budget.max_tokens:
        problems.append(f"estimated {tokens} tokens exceed budget.max_tokens {budget.max_tokens}")
    if budget.max_cost_usd is not None:
        cost = total_cost(estimates)
        if cost is None:
            unpriced = sorted({e.model for e in estimates if e.calls and e.cost_usd is None})
            problems.append(
                f"no price is known for {', '.join(unpriced)}, so the cost cannot be held to "
                "budget.max_cost_usd: set input_cost_per_token and output_cost_per_token on "
                "the teacher"
            )
        elif cost > budget.max_cost_usd:
            problems.append(
                f"estimated cost ${cost:.4f} exceeds budget.max_cost_usd ${budget.max_cost_usd:.4f}"
            )
    return problems
