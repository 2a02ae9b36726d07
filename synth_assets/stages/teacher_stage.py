"""teacher_generations: render every recipe's prompts, answer them through the teacher (cached
in DuckDB), and record one generation per prompt and sample."""

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.render import render_messages
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.teacher.cached import (
    DEFAULT_PROGRESS_INTERVAL_S,
    CachedRunResult,
    TeacherJob,
    run_through_cache,
)
from synth_assets.teacher.client import TeacherFailure
from synth_assets.teacher.requests import TeacherRequest, build_request

STAGE = "teacher_generations"
FAILURES_LOGGED = 10


@dataclass(frozen=True)
class PlannedGeneration:
    recipe: str
    seed: SeedRecord
    prompt_id: str
    messages: list[dict[str, str]]
    request: TeacherRequest
    teacher: str

    @cached_property
    def generation_id(self) -> str:
        return content_id("gen", self.recipe, self.prompt_id, self.request.call_id)


@dataclass
class TeacherStageResult:
    snapshot_id: str
    planned: int
    calls: CachedRunResult
    new_generations: int = 0
    failed_by_recipe: dict[str, int] = field(default_factory=dict)


def plan_generations(loaded: LoadedSpec, seeds: list[SeedRecord]) -> list[PlannedGeneration]:
    spec = loaded.spec
    planned = []
    for recipe_name, recipe in spec.recipes.items():
        teacher = spec.teachers[recipe.teacher]
        for seed in (s for s in seeds if s.seed_set == recipe.seed_set):
            messages = render_messages(recipe_name, recipe, seed)
            prompt_id = content_id("prm", recipe_name, seed.seed_id, messages)
            for sample_index in range(recipe.samples_per_seed):
                planned.append(PlannedGeneration(
                    recipe=recipe_name,
                    seed=seed,
                    prompt_id=prompt_id,
                    messages=messages,
                    request=build_request(teacher, messages, sample_index,
                                          recipe.response_format),
                    teacher=recipe.teacher,
                ))
    return planned


def run_teacher_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    seeds: list[SeedRecord],
    log: Callable[[str], None] = print,
    run_id: str | None = None,
    progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S,
) -> TeacherStageResult:
    planned = plan_generations(loaded, seeds)
    jobs = [
        TeacherJob(name, loaded.spec.teachers[name],
                   [p.request for p in planned if p.teacher == name])
        for name in sorted({p.teacher for p in planned})
    ]
    log(f"{len(planned)} generations planned")
    calls = run_through_cache(store, jobs, budget=loaded.spec.budget, run_id=run_id, log=log,
                              progress_interval_s=progress_interval_s)
    _log_failures(calls.failures, log)
    answered = [p for p in planned if p.request.call_id in calls.texts]
    new_generations, snapshot_id = _store_generations(store, answered, calls.texts)
    failed_ids = {f.request.call_id for f in calls.failures}
    return TeacherStageResult(
        snapshot_id=snapshot_id,
        planned=len(planned),
        calls=calls,
        new_generations=new_generations,
        failed_by_recipe=dict(Counter(p.recipe for p in planned
                                      if p.request.call_id in failed_ids)),
    )


def _log_failures(failures: list[TeacherFailure], log: Callable[[str], None]) -> None:
    for failure in failures[:FAILURES_LOGGED]:
        log(f"teacher call {failure.request.call_id} failed after {failure.attempts} attempts "
            f"({failure.kind}): {failure.error}")
    if len(failures) > FAILURES_LOGGED:
        log(f"... and {len(failures) - FAILURES_LOGGED} more failed calls: see the "
            "teacher_failures table")


def _store_generations(
    store: LineageStore, answered: list[PlannedGeneration], texts: dict[str, str]
) -> tuple[int, str]:
    """Store prompts, generations, their edges and the snapshot in one transaction; returns
    (new generations, snapshot id)."""
    prompts = {
        p.prompt_id: {"prompt_id": p.prompt_id, "recipe": p.recipe, "seed_id": p.seed.seed_id,
                      "messages": json.dumps(p.messages, ensure_ascii=False)}
        for p in answered
    }
    generations = [
        {"generation_id": p.generation_id, "recipe": p.recipe, "prompt_id": p.prompt_id,
         "call_id": p.request.call_id, "seed_id": p.seed.seed_id,
         "sample_index": p.request.sample_index, "text": texts[p.request.call_id]}
        for p in answered
    ]
    edges = [(p.prompt_id, p.seed.seed_id, "rendered_from") for p in answered]
    edges += [(p.generation_id, p.prompt_id, "answers") for p in answered]
    edges += [(p.generation_id, p.request.call_id, "produced_by") for p in answered]
    with store.writer() as writer:
        writer.insert_new("prompts", list(prompts.values()))
        new_generations = writer.insert_new("generations", generations)
        writer.link(edges)
        snapshot_id = writer.record_snapshot(STAGE, "*", [p.generation_id for p in answered])
    return new_generations, snapshot_id
