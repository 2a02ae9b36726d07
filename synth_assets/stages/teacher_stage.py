"""teacher_generations: render every recipe's prompts, answer them through the teacher (cached
in DuckDB), and record one generation per prompt and sample."""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.render import render_messages
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.stages.cached_calls import call_row
from synth_assets.teacher.client import TeacherFailure, TeacherResponse, run_requests
from synth_assets.teacher.requests import TeacherRequest, build_request

STAGE = "teacher_generations"


@dataclass(frozen=True)
class PlannedGeneration:
    recipe: str
    seed: SeedRecord
    prompt_id: str
    messages: list[dict[str, str]]
    request: TeacherRequest
    teacher: str

    @property
    def generation_id(self) -> str:
        return content_id("gen", self.recipe, self.prompt_id, self.request.call_id)


@dataclass
class TeacherStageResult:
    snapshot_id: str
    planned: int
    cached: int
    called: int
    failures: list[TeacherFailure] = field(default_factory=list)
    new_generations: int = 0


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
                    request=build_request(teacher, messages, sample_index),
                    teacher=recipe.teacher,
                ))
    return planned


def run_teacher_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    seeds: list[SeedRecord],
    log: Callable[[str], None] = print,
) -> TeacherStageResult:
    planned = plan_generations(loaded, seeds)
    unique_requests = {p.request.call_id: (p.teacher, p.request) for p in planned}
    cached_ids = set(
        store.query_with_ids("stored_call_ids", list(unique_requests))["call_id"].tolist()
    )
    to_call = {cid: pair for cid, pair in unique_requests.items() if cid not in cached_ids}
    log(f"{len(planned)} generations planned: {len(cached_ids)} teacher calls cached, "
        f"{len(to_call)} to make")

    def save(batch: list[TeacherResponse]) -> None:
        with store.writer() as writer:
            writer.insert_new("teacher_calls", [call_row(r) for r in batch])

    failures: list[TeacherFailure] = []
    for teacher_name in sorted({teacher for teacher, _ in to_call.values()}):
        requests = [req for teacher, req in to_call.values() if teacher == teacher_name]
        _, teacher_failures = asyncio.run(
            run_requests(loaded.spec.teachers[teacher_name], requests, on_batch=save)
        )
        for failure in teacher_failures:
            log(f"teacher call {failure.request.call_id} failed: {failure.error}")
        failures.extend(teacher_failures)

    failed_ids = {f.request.call_id for f in failures}
    answered = [p for p in planned if p.request.call_id not in failed_ids]
    new_generations = _store_generations(store, answered)
    with store.writer() as writer:
        snapshot_id = writer.record_snapshot(STAGE, "*", [p.generation_id for p in answered])
    return TeacherStageResult(
        snapshot_id=snapshot_id,
        planned=len(planned),
        cached=len(cached_ids),
        called=len(to_call),
        failures=failures,
        new_generations=new_generations,
    )


def _store_generations(store: LineageStore, answered: list[PlannedGeneration]) -> int:
    call_ids = sorted({p.request.call_id for p in answered})
    frame = store.query_with_ids("call_responses", call_ids)
    texts = dict(zip(frame["call_id"], frame["response_text"], strict=True))
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
    return new_generations
