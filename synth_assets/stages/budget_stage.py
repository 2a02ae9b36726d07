"""The budget gate of teacher_generations: estimate the teacher calls a run would make (cached
answers cost nothing) and compare them with the spec's budget, before any call is sent."""

from collections.abc import Sequence
from dataclasses import dataclass

from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.stages.generation_plan import plan_of_run
from synth_assets.stages.partitions import GenerationPartition
from synth_assets.stages.teacher_reuse import stored_teacher_run, teacher_input_key
from synth_assets.teacher.estimate import (
    TeacherEstimate,
    add_estimates,
    budget_problems,
    estimate_requests,
    total_cost,
)


@dataclass(frozen=True)
class BudgetVerdict:
    planned: int  # generations the run would store
    cached: int  # teacher calls already answered
    estimates: list[TeacherEstimate]  # per teacher, for the calls still to make
    problems: list[str]  # empty when the estimate fits the budget

    @property
    def within_budget(self) -> bool:
        return not self.problems

    @property
    def calls_to_make(self) -> int:
        return sum(e.calls for e in self.estimates)

    @property
    def total_tokens(self) -> int:
        return sum(e.total_tokens for e in self.estimates)

    @property
    def cost_usd(self) -> float | None:
        return total_cost(self.estimates)

    def summary(self) -> str:
        cost = "unknown cost" if self.cost_usd is None else f"${self.cost_usd:.4f}"
        head = (f"{self.calls_to_make} teacher calls to make ({self.cached} cached): "
                f"~{self.total_tokens} tokens, {cost}")
        if self.within_budget:
            return f"{head}, within budget"
        return f"{head}; over budget: " + "; ".join(self.problems)


def check_generation_budget(
    store: LineageStore, loaded: LoadedSpec, seeds: list[SeedRecord],
    partitions: Sequence[GenerationPartition] | None = None, run_id: str | None = None,
) -> BudgetVerdict:
    """The estimate for the given partitions together (none given: every recipe, no day), read
    a window at a time from the run's plan of each (stages.generation_plan: planned once per
    run; none for a partition stored whole with the same inputs, stages.teacher_reuse), as
    the stage answers them (memory flat in the number of calls; a call planned twice
    in different windows is counted twice)."""
    spec = loaded.spec
    planned = cached = 0
    by_teacher: dict[str, TeacherEstimate] = {}
    for partition in partitions or [None]:
        stored = stored_teacher_run(store, teacher_input_key(loaded, seeds, partition))
        if stored is not None:  # planned and answered whole before: every call is cached
            planned += stored.planned
            cached += stored.planned
            continue
        plan = plan_of_run(store, loaded, seeds, partition, run_id)
        for first in plan.window_starts():
            window_planned, window_cached, uncached = plan.calls_at(first)
            planned += window_planned
            cached += len(window_cached)
            to_call: dict[str, dict[str, object]] = {}
            for generation in uncached:
                to_call.setdefault(generation.teacher, {})[generation.request.call_id] = \
                    generation.request
            for name, requests in to_call.items():
                estimate = estimate_requests(name, spec.teachers[name], list(requests.values()),
                                             spec.budget.expected_completion_tokens)
                by_teacher[name] = (add_estimates(by_teacher[name], estimate)
                                    if name in by_teacher else estimate)
    estimates = [by_teacher[name] for name in sorted(by_teacher)]
    return BudgetVerdict(
        planned=planned,
        cached=cached,
        estimates=estimates,
        problems=budget_problems(estimates, spec.budget),
    )
