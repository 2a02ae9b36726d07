"""Spend of one materialization against the spec's budget, checked before each batch."""

from dataclasses import dataclass

from synth_assets.spec.model import BudgetSpec


@dataclass
class Spend:
    cost_usd: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, cost_usd: float, prompt_tokens: int, completion_tokens: int) -> None:
        self.cost_usd += cost_usd
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens


@dataclass(frozen=True)
class Estimate:
    """Expected spend of one call."""

    cost_usd: float
    tokens: float


class BudgetGuard:
    """Holds the run's spend (every answer that came back, usable or not) and says how many of
    the next calls still fit. Once it has said none, it keeps saying so: the run stops."""

    def __init__(self, budget: BudgetSpec) -> None:
        self.budget = budget
        self.spent = Spend()
        self.stop_reason: str | None = None

    def record(self, cost_usd: float, prompt_tokens: int, completion_tokens: int) -> None:
        self.spent.add(cost_usd, prompt_tokens, completion_tokens)

    def calls_that_fit(self, per_call: Estimate, in_flight: int, wanted: int) -> int:
        """How many of `wanted` further calls fit, when each call (those `in_flight` too) is
        expected to spend `per_call`. Zero stops the run and sets `stop_reason`."""
        if self.stop_reason is not None:
            return 0
        fit = wanted
        for limit, spent, each, unit in (
            (self.budget.max_cost_usd, self.spent.cost_usd, per_call.cost_usd, "max_cost_usd"),
            (self.budget.max_tokens, self.spent.tokens, per_call.tokens, "max_tokens"),
        ):
            if limit is None or each <= 0:
                continue
            room = int((limit - spent - in_flight * each) // each)
            if room <= 0:
                self.stop_reason = (
                    f"budget: {_amount(unit, spent)} spent and about "
                    f"{_amount(unit, in_flight * each)} in flight; one more call (about "
                    f"{_amount(unit, each)}) would cross budget.{unit} {_amount(unit, limit)}")
                return 0
            fit = min(fit, room)
        return fit


def _amount(unit: str, value: float) -> str:
    return f"${value:.4f}" if unit == "max_cost_usd" else f"{value:.0f} tokens"
