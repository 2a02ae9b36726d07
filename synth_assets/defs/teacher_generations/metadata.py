"""The metadata of a teacher_generations materialization: what the records cost, what this run
made, spent and failed, and whether the budget stopped it."""

from collections import Counter

import dagster as dg
import pandas as pd

from synth_assets.defs.metadata import clip, markdown_table
from synth_assets.lineage.store import LineageStore
from synth_assets.stages.teacher_stage import TeacherStageResult

PREVIEW_ROWS = 6


def teacher_generations_metadata(result: TeacherStageResult, store: LineageStore
                                 ) -> dict[str, object]:
    """Totals come from DuckDB (snapshot_generation_totals), never every row into Python."""
    calls = result.calls
    failures = pd.DataFrame(
        [{"call_id": f.request.call_id, "kind": str(f.kind), "attempts": f.attempts,
          "error": f.error} for f in calls.failures],
        columns=["call_id", "kind", "attempts", "error"])
    totals = store.query_frame("snapshot_generation_totals", snapshot_id=result.snapshot_id)
    preview = store.query_frame("snapshot_generation_preview", snapshot_id=result.snapshot_id,
                                rows=PREVIEW_ROWS)
    per_recipe = (
        totals.set_index("recipe")
        .reindex(sorted(set(totals["recipe"]) | set(result.failed_by_recipe)), fill_value=0)
        .rename_axis("recipe")
        .reset_index()
    )
    per_recipe["cost_per_generation_usd"] = (
        per_recipe["cost_usd"] / per_recipe["generations"].where(per_recipe["generations"] > 0))
    per_recipe["failed"] = per_recipe["recipe"].map(result.failed_by_recipe).fillna(0).astype(int)
    generations = int(totals["generations"].sum())
    records_cost = float(totals["cost_usd"].sum())
    return {
        "snapshot_id": result.snapshot_id,
        "generations": generations,
        "planned": result.planned,
        "new_generations": result.new_generations,
        "teacher_calls_cached": calls.cached,
        "teacher_calls_made": calls.answered,
        "failed_calls": len(calls.failures),
        "failed_by_kind": dg.MetadataValue.json(dict(Counter(str(f.kind) for f in calls.failures))),
        "retries": calls.retries,
        "rate_limited_responses": calls.rate_limited,
        "not_attempted_budget": len(calls.not_attempted),
        "budget_stop": calls.budget_stop or "no",
        "run_cost_usd": calls.spent.cost_usd,
        "run_tokens": calls.spent.tokens,
        "run_calls_per_s": calls.answered / calls.duration_s if calls.duration_s else 0.0,
        "prompt_tokens": int(totals["prompt_tokens"].sum()),
        "completion_tokens": int(totals["completion_tokens"].sum()),
        "cost_usd": records_cost,
        "cost_per_generation_usd": records_cost / generations if generations else 0.0,
        "mean_latency_s": (float((totals["mean_latency_s"] * totals["generations"]).sum())
                           / generations if generations else 0.0),
        "per_recipe": markdown_table(per_recipe),
        "failures": markdown_table(failures),
        "preview": markdown_table(preview.assign(text=preview["text"].map(clip)),
                                  ["generation_id", "recipe", "cost_usd", "text"],
                                  limit=PREVIEW_ROWS),
    }
