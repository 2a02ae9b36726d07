"""The budget gate as a blocking check on seed_sets: it runs before teacher_generations, so a run
whose estimated teacher calls exceed the spec's budget stops before it spends anything."""

import dagster as dg

from synth_assets.defs.blocking_checks import BlockingCheck
from synth_assets.defs.budget.gate import budget_metadata
from synth_assets.defs.partitions import run_partition, today
from synth_assets.defs.resources import SynthStore
from synth_assets.lineage.stages import SEED_SETS
from synth_assets.stages.budget_stage import check_generation_budget
from synth_assets.stages.partitions import GenerationPartition
from synth_assets.stages.seed_stage import seeds_of_snapshot


def teacher_budget(context: dg.AssetExecutionContext, synth: SynthStore, seed_sets: str
                   ) -> dg.AssetCheckResult:
    store, loaded = synth.store(), synth.load_spec()
    partition = run_partition(context.run)
    partitions = ([partition] if partition is not None
                  else [GenerationPartition(today(), recipe) for recipe in loaded.spec.recipes])
    with store.kept_open():  # no LLM call here; each window's query would reopen the file
        verdict = check_generation_budget(store, loaded, seeds_of_snapshot(store, seed_sets),
                                          partitions, context.run.run_id)
    # With allow_partial an over-budget estimate only warns: the run spends up to the budget.
    partial = loaded.spec.budget.allow_partial
    return dg.AssetCheckResult(
        passed=verdict.within_budget,
        severity=dg.AssetCheckSeverity.WARN if partial else dg.AssetCheckSeverity.ERROR,
        description=verdict.summary(),
        metadata=budget_metadata(verdict, loaded),
    )


TEACHER_BUDGET = BlockingCheck(
    SEED_SETS, "teacher_budget",
    "Budget gate, before any teacher call: the tokens and cost of the teacher calls this run "
    "would make for its partition (day and recipe; for a run without one, today's partition of "
    "every recipe): uncached prompts x samples x expected answer length, at spec or litellm "
    "prices, within the spec's budget.max_tokens and budget.max_cost_usd (a warning only with "
    "budget.allow_partial).", teacher_budget)
