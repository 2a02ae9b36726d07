"""Metadata of a batch teacher's partition: its waiting batches (progress and age), and what
the run that stored their answers spent at batch prices against online prices."""

from collections.abc import Sequence

from synth_assets.defs.metadata import markdown_table
from synth_assets.stages.teacher_batch_stage import BatchStageResult
from synth_assets.stages.teacher_stage import TeacherStageResult
from synth_assets.teacher.batch import BatchState, batches_table
from synth_assets.teacher.batch_provider import BatchStatus

BATCH_ROWS = 20


def waiting_metadata(states: Sequence[BatchState],
                     seen: dict[str, BatchStatus] | None = None) -> dict[str, object]:
    table = batches_table(states, seen)
    return {
        "state": "waiting for batches",
        "waiting_batches": len(table),
        "requests_waiting": int(table["requests"].sum()),
        "requests_completed": int(table["completed"].sum()),
        "requests_failed": int(table["failed"].sum()),
        "oldest_batch_age_s": max((s.age_s() for s in states), default=0.0),
        "batches": markdown_table(table, limit=BATCH_ROWS),
    }


def submission_metadata(result: BatchStageResult) -> dict[str, object]:
    """What a generate run of a batch teacher did, when it ended waiting for batches."""
    return {
        **waiting_metadata(result.waiting),
        "batch_teacher": result.teacher,
        "requests_submitted": result.submitted,
        "batches_created": result.batches_created,
        "not_attempted_budget": result.not_attempted_budget,
        "budget_stop": result.budget_stop or "no",
    }


def with_batch_calls(result: TeacherStageResult, batches: BatchStageResult,
                     recipe: str) -> TeacherStageResult:
    """The stage's result with the calls this run took from ended batches: the teacher
    stage itself sent none (it read their answers from the cache)."""
    ingested = batches.ingested
    result.calls.answered += ingested.answered
    result.calls.failures.extend(ingested.failures)
    result.calls.spent.add(ingested.spent.cost_usd, ingested.spent.prompt_tokens,
                           ingested.spent.completion_tokens)
    result.calls.budget_stop = result.calls.budget_stop or batches.budget_stop
    if ingested.failures:
        result.failed_by_recipe[recipe] = (result.failed_by_recipe.get(recipe, 0)
                                           + len(ingested.failures))
    return result


def ingest_metadata(batches: BatchStageResult) -> dict[str, object]:
    ingested = batches.ingested
    metadata: dict[str, object] = {
        "batch_teacher": batches.teacher,
        "batches_ingested": ingested.batches,
        "batch_requests_answered": ingested.answered,
        "batch_requests_failed": len(ingested.failures),
        "batch_cost_usd": ingested.spent.cost_usd,
        "requests_submitted": batches.submitted,
    }
    if ingested.online_cost_usd is not None:  # left out rather than mixed types
        metadata["online_cost_usd"] = ingested.online_cost_usd
        metadata["batch_saving_usd"] = ingested.online_cost_usd - ingested.spent.cost_usd
    return metadata
