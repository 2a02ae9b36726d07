"""The budget gate as Dagster sees it: the estimate as metadata, and a refusal for runs that
reach teacher_generations without the seed_sets budget check (e.g. that asset alone)."""

import dagster as dg
import pandas as pd

from synth_assets.defs.metadata import markdown_table
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.stages.budget_stage import BudgetVerdict, check_generation_budget
from synth_assets.stages.partitions import GenerationPartition


def budget_metadata(verdict: BudgetVerdict, loaded: LoadedSpec) -> dict[str, object]:
    per_teacher = pd.DataFrame(
        [{"teacher": e.teacher, "model": e.model, "calls": e.calls,
          "prompt_tokens": e.prompt_tokens, "completion_tokens": e.completion_tokens,
          "cost_usd": "unknown" if e.cost_usd is None else f"{e.cost_usd:.4f}"}
         for e in verdict.estimates],
        columns=["teacher", "model", "calls", "prompt_tokens", "completion_tokens", "cost_usd"],
    )
    metadata: dict[str, object] = {
        "generations_planned": verdict.planned,
        "teacher_calls_cached": verdict.cached,
        "teacher_calls_to_make": verdict.calls_to_make,
        "estimated_tokens": verdict.total_tokens,
        "per_teacher": markdown_table(per_teacher),
        "budget": dg.MetadataValue.json(loaded.spec.budget.model_dump()),
        "problems": dg.MetadataValue.text("; ".join(verdict.problems) or "none"),
    }
    if verdict.cost_usd is not None:  # left out rather than mixed types, so the number plots
        metadata["estimated_cost_usd"] = dg.MetadataValue.float(verdict.cost_usd)
    return metadata


def refuse_over_budget(store: LineageStore, loaded: LoadedSpec, seeds: list[SeedRecord],
                       partition: GenerationPartition, run_id: str) -> None:
    if loaded.spec.budget.allow_partial:
        return
    verdict = check_generation_budget(store, loaded, seeds, [partition], run_id)
    if not verdict.within_budget:
        raise dg.Failure(description=f"budget gate: {verdict.summary()}",
                         metadata=budget_metadata(verdict, loaded))
