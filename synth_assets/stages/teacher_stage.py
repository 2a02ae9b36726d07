"""teacher_generations: render every recipe's prompts, answer them through the teacher (cached
in DuckDB), and record one generation per prompt and sample."""

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from synth_assets.lineage.stages import TEACHER_GENERATIONS
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.records import build_record
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.stages.generation_plan import PlannedGeneration, plan_of_run
from synth_assets.stages.partitions import GenerationPartition, partition_label
from synth_assets.stages.seed_stage import seed_row
from synth_assets.stages.teacher_reuse import (
    StoredTeacherRun,
    store_teacher_run,
    stored_teacher_run,
    teacher_input_key,
)
from synth_assets.teacher.cached import (
    DEFAULT_PROGRESS_INTERVAL_S,
    CachedRunResult,
    TeacherJob,
    TeacherSession,
)
from synth_assets.teacher.client import TeacherFailure

STAGE = TEACHER_GENERATIONS
FAILURES_LOGGED = 10


@dataclass
class TeacherStageResult:
    snapshot_id: str
    planned: int
    calls: CachedRunResult
    new_generations: int = 0
    failed_by_recipe: dict[str, int] = field(default_factory=dict)


def run_teacher_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    seeds: list[SeedRecord],
    log: Callable[[str], None] = print,
    run_id: str | None = None,
    progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S,
    partition: GenerationPartition | None = None,
    send_calls: bool = True,
) -> TeacherStageResult:
    """Answers and stores the run's plan of the partition (stages.generation_plan: planned by
    the run's budget check, or now) a window at a time (memory flat in the number of calls);
    the partition's snapshot is recorded once every window is stored. A generation already
    stored (a rerun) is neither looked up in the teacher cache nor stored again.
    `send_calls=False` stores only what the cache answers (a batch teacher's partition, after
    its batches ended: stages.teacher_batch_stage)."""
    reuse_key = teacher_input_key(loaded, seeds, partition)
    reused = stored_teacher_run(store, reuse_key)
    if reused is not None:
        return _reused(store, reused, partition, log)
    plan = plan_of_run(store, loaded, seeds, partition, run_id)
    for name, derived in plan.derived_seeds.items():
        log(f"recipe {name}: {len(derived)} seeds from verified records of "
            f"{loaded.spec.recipes[name].seeds_from.recipe} (records verified in this run become "
            "seeds in the next materialization)")
    derived = [seed for seeds in plan.derived_seeds.values() for seed in seeds]
    with store.writer() as writer:  # first, so that no stored generation lacks its seed
        writer.insert_new("seeds", [seed_row(d.seed) for d in derived])
        writer.link([edge for d in derived for edge in d.edges()])
    new_generations = 0
    generation_ids: list[str] = []
    failed_by_recipe: Counter[str] = Counter()
    with TeacherSession(store, loaded.spec.budget, run_id, log, progress_interval_s,
                        send_calls) as session:
        for first in plan.window_starts():
            with session.store_lock:
                stored, window = plan.generations_at(first)
            generation_ids.extend(stored)
            session.found_stored(len(stored))
            if not window:
                continue
            failures_before = len(session.failures)
            texts = session.answer([
                TeacherJob(name, loaded.spec.teachers[name],
                           [p.request for p in window if p.teacher == name])
                for name in sorted({p.teacher for p in window})
            ])
            answered = [p for p in window if p.request.call_id in texts]
            with session.store_lock:
                new_generations += _store_generations(store, loaded, answered, texts)
            generation_ids.extend(p.generation_id for p in answered)
            failed_ids = {f.request.call_id for f in session.failures[failures_before:]}
            failed_by_recipe.update(p.recipe for p in window if p.request.call_id in failed_ids)
    calls = session.result({})
    log(f"{plan.planned} generations planned, {len(generation_ids)} answered")
    _log_failures(calls.failures, log)
    with store.writer() as writer:
        snapshot_id = writer.record_partition_snapshot(STAGE, partition_label(partition),
                                                       generation_ids)
    plan.discard()
    if len(generation_ids) == plan.planned:  # every planned generation is stored
        store_teacher_run(store, reuse_key, snapshot_id, plan.planned)
    return TeacherStageResult(
        snapshot_id=snapshot_id,
        planned=plan.planned,
        calls=calls,
        new_generations=new_generations,
        failed_by_recipe=dict(failed_by_recipe),
    )


def _reused(store: LineageStore, reused: StoredTeacherRun,
            partition: GenerationPartition | None, log: Callable[[str], None]
            ) -> TeacherStageResult:
    """What the run that stored the partition whole would report on a rerun: every
    generation found stored, no call made."""
    log(f"every input of this partition's plan is unchanged: reusing its stored snapshot "
        f"({reused.planned} generations planned, {reused.planned} answered)")
    with store.writer() as writer:
        writer.execute("writes.sql", "set_partition_head", stage=STAGE,
                       partition_key=partition_label(partition), snapshot_id=reused.snapshot_id)
    calls = CachedRunResult(texts={}, cached=reused.planned, answered=0, failures=[],
                            not_attempted=[], retries=0, rate_limited=0)
    return TeacherStageResult(snapshot_id=reused.snapshot_id, planned=reused.planned,
                              calls=calls)


def _log_failures(failures: list[TeacherFailure], log: Callable[[str], None]) -> None:
    for failure in failures[:FAILURES_LOGGED]:
        log(f"teacher call {failure.request.call_id} failed after {failure.attempts} attempts "
            f"({failure.kind}): {failure.error}")
    if len(failures) > FAILURES_LOGGED:
        log(f"... and {len(failures) - FAILURES_LOGGED} more failed calls: see the "
            "teacher_failures table")


def _store_generations(
    store: LineageStore, loaded: LoadedSpec, answered: list[PlannedGeneration],
    texts: dict[str, str],
) -> int:
    """Store one window's prompts, generations and their edges in one transaction; returns how
    many generations were new."""
    rendered = {p.prompt.prompt_id: (p.prompt, p.round) for p in answered}
    prompts = [{"prompt_id": prompt.prompt_id, "recipe": prompt.recipe,
                "seed_id": prompt.seed.seed_id,
                "messages": json.dumps(prompt.messages, ensure_ascii=False)}
               for prompt, _ in rendered.values()]
    prompt_attributes = [{"prompt_id": prompt.prompt_id, "recipe": prompt.recipe,
                          "round": round_number, "draw": prompt.draw,
                          "attributes": json.dumps(prompt.attributes, ensure_ascii=False)}
                         for prompt, round_number in rendered.values()]
    fields = [_fields_row(loaded, p, texts[p.request.call_id]) for p in answered]
    generations = [
        {"generation_id": p.generation_id, "recipe": p.recipe, "prompt_id": p.prompt.prompt_id,
         "call_id": p.request.call_id, "seed_id": p.seed.seed_id,
         "sample_index": p.request.sample_index, "text": texts[p.request.call_id]}
        for p in answered
    ]
    edges = [(p.prompt.prompt_id, p.seed.seed_id, "rendered_from") for p in answered]
    edges += [(p.generation_id, p.prompt.prompt_id, "answers") for p in answered]
    edges += [(p.generation_id, p.request.call_id, "produced_by") for p in answered]
    with store.writer() as writer:
        writer.insert_new("prompts", prompts)
        writer.insert_new("prompt_attributes", prompt_attributes)
        new_generations = writer.insert_new("generations", generations)
        writer.insert_new("generation_fields", fields)
        writer.link(edges)
    return new_generations


def _fields_row(loaded: LoadedSpec, planned: PlannedGeneration, text: str) -> dict:
    recipe = loaded.spec.recipes[planned.recipe]
    outcome = build_record(planned.recipe, recipe, planned.seed, planned.prompt.attributes, text)
    return {
        "generation_id": planned.generation_id,
        "parser": recipe.parser.type,
        "parse_error": outcome.parse_error,
        "fields": None if outcome.fields is None
        else json.dumps(outcome.fields, ensure_ascii=False),
    }
