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
    cost_usd: float
    tokens: float

    def __mul__(self, calls: float) -> "Estimate":
        return Estimate(self.cost_usd * calls, self.tokens * calls)


class BudgetGuard:
    """Holds the run's spend (every answer that came back, usable or not) and says whether
    the next batch still fits. Once it has said no, it keeps saying no: the run stops."""

    def __init__(self, budget: BudgetSpec) -> None:
        self.budget = budget
        self.spent = Spend()
        self.stop_reason: str | None = None

    def record(self, cost_usd: float, prompt_tokens: int, completion_tokens: int) -> None:
        self.spent.add(cost_usd, prompt_tokens, completion_tokens)

    def admits(self, pending: Estimate) -> bool:
        """True when the spend so far plus `pending` (the calls in flight and the next batch,
        estimated) stays within the budget."""
        if self.stop_reason is not None:
            return False
        limit = self.budget.max_cost_usd
        if limit is not None and self.spent.cost_usd + pending.cost_usd > limit:
            self.stop_reason = (
                f"budget: ${self.spent.cost_usd:.4f} spent, the next batch would bring it to "
                f"about ${self.spent.cost_usd + pending.cost_usd:.4f}, over "
                f"budget.max_cost_usd ${limit:.4f}"
            )
        limit_tokens = self.budget.max_tokens
        if limit_tokens is not None and self.spent.tokens + pending.tokens > limit_tokens:
            self.stop_reason = (
                f"budget: {self.spent.tokens} tokens spent, the next batch would bring it to "
                f"about {self.spent.tokens + pending.tokens:.0f}, over budget.max_tokens "
                f"{limit_tokens}"
            )
        return self.stop_reason is None
