"""teacher_generations: render every recipe's prompts, answer them through the teacher (cached
in DuckDB), and record one generation per prompt and sample."""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.plan import plan_prompts, recipe_rounds
from synth_assets.recipes.records import build_record, reader_fingerprint
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.stages.rounds import DerivedSeed, derived_seeds
from synth_assets.stages.seed_stage import seed_row
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
    attributes: dict[str, Any]
    draw: int
    round: int
    reader: str                     # recipes.records.reader_fingerprint of the recipe

    @property
    def generation_id(self) -> str:
        return content_id("gen", self.recipe, self.prompt_id, self.request.call_id, self.reader)


@dataclass
class GenerationPlan:
    generations: list[PlannedGeneration]
    derived_seeds: dict[str, list[DerivedSeed]]     # recipe with seeds_from -> its seeds


@dataclass
class TeacherStageResult:
    snapshot_id: str
    planned: int
    cached: int
    called: int
    failures: list[TeacherFailure] = field(default_factory=list)
    new_generations: int = 0


def plan_generations(
    store: LineageStore, loaded: LoadedSpec, seeds: list[SeedRecord]
) -> GenerationPlan:
    """Every recipe's prompts and samples, round by round (see stages.rounds)."""
    spec = loaded.spec
    plan = GenerationPlan(generations=[], derived_seeds={})
    for recipe_name, round_number in recipe_rounds(spec).items():
        recipe = spec.recipes[recipe_name]
        if recipe.seeds_from is None:
            recipe_seeds = [s for s in seeds if s.seed_set == recipe.seed_set]
        else:
            parents = [(p.generation_id, p.seed) for p in plan.generations
                       if p.recipe == recipe.seeds_from.recipe]
            plan.derived_seeds[recipe_name] = derived_seeds(store, loaded, recipe_name, parents)
            recipe_seeds = [d.seed for d in plan.derived_seeds[recipe_name]]
        teacher, reader = spec.teachers[recipe.teacher], reader_fingerprint(recipe)
        for prompt in plan_prompts(loaded, recipe_name, recipe_seeds):
            for sample_index in range(recipe.samples_per_seed):
                plan.generations.append(PlannedGeneration(
                    recipe=recipe_name,
                    seed=prompt.seed,
                    prompt_id=prompt.prompt_id,
                    messages=prompt.messages,
                    request=build_request(teacher, prompt.messages, sample_index),
                    teacher=recipe.teacher,
                    attributes=prompt.attributes,
                    draw=prompt.draw,
                    round=round_number,
                    reader=reader,
                ))
    return plan


def _call_row(response: TeacherResponse) -> dict:
    request = response.request
    return {
        "call_id": request.call_id,
        "model": request.model,
        "params": json.dumps(request.params, sort_keys=True),
        "messages": json.dumps(request.messages, ensure_ascii=False),
        "sample_index": request.sample_index,
        "response_text": response.text,
        "finish_reason": response.finish_reason,
        "prompt_tokens": response.prompt_tokens,
        "completion_tokens": response.completion_tokens,
        "cost_usd": response.cost_usd,
        "latency_s": response.latency_s,
    }


def run_teacher_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    seeds: list[SeedRecord],
    log: Callable[[str], None] = print,
) -> TeacherStageResult:
    plan = plan_generations(store, loaded, seeds)
    planned = plan.generations
    for name, derived in plan.derived_seeds.items():
        log(f"recipe {name}: {len(derived)} seeds from verified records of "
            f"{loaded.spec.recipes[name].seeds_from.recipe} (records verified in this run become "
            "seeds in the next materialization)")
    unique_requests = {p.request.call_id: (p.teacher, p.request) for p in planned}
    cached_ids = set(
        store.query_with_ids("stored_call_ids", list(unique_requests))["call_id"].tolist()
    )
    to_call = {cid: pair for cid, pair in unique_requests.items() if cid not in cached_ids}
    log(f"{len(planned)} generations planned: {len(cached_ids)} teacher calls cached, "
        f"{len(to_call)} to make")

    def save(batch: list[TeacherResponse]) -> None:
        with store.writer() as writer:
            writer.insert_new("teacher_calls", [_call_row(r) for r in batch])

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
    derived = [seed for seeds in plan.derived_seeds.values() for seed in seeds]
    new_generations = _store_generations(store, loaded, answered, derived)
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


def _store_generations(
    store: LineageStore, loaded: LoadedSpec, answered: list[PlannedGeneration],
    derived: list[DerivedSeed],
) -> int:
    call_ids = sorted({p.request.call_id for p in answered})
    frame = store.query_with_ids("call_responses", call_ids)
    texts = dict(zip(frame["call_id"], frame["response_text"], strict=True))
    prompts = {
        p.prompt_id: {"prompt_id": p.prompt_id, "recipe": p.recipe, "seed_id": p.seed.seed_id,
                      "messages": json.dumps(p.messages, ensure_ascii=False)}
        for p in answered
    }
    prompt_attributes = {
        p.prompt_id: {"prompt_id": p.prompt_id, "recipe": p.recipe, "round": p.round,
                      "draw": p.draw, "attributes": json.dumps(p.attributes, ensure_ascii=False)}
        for p in answered
    }
    fields = [_fields_row(loaded, p, texts[p.request.call_id]) for p in answered]
    generations = [
        {"generation_id": p.generation_id, "recipe": p.recipe, "prompt_id": p.prompt_id,
         "call_id": p.request.call_id, "seed_id": p.seed.seed_id,
         "sample_index": p.request.sample_index, "text": texts[p.request.call_id]}
        for p in answered
    ]
    edges = [(p.prompt_id, p.seed.seed_id, "rendered_from") for p in answered]
    edges += [(p.generation_id, p.prompt_id, "answers") for p in answered]
    edges += [(p.generation_id, p.request.call_id, "produced_by") for p in answered]
    edges += [edge for d in derived for edge in d.edges()]
    with store.writer() as writer:
        writer.insert_new("seeds", [seed_row(d.seed) for d in derived])
        writer.insert_new("prompts", list(prompts.values()))
        writer.insert_new("prompt_attributes", list(prompt_attributes.values()))
        new_generations = writer.insert_new("generations", generations)
        writer.insert_new("generation_fields", fields)
        writer.link(edges)
    return new_generations


def _fields_row(loaded: LoadedSpec, planned: PlannedGeneration, text: str) -> dict:
    recipe = loaded.spec.recipes[planned.recipe]
    outcome = build_record(planned.recipe, recipe, planned.seed, planned.attributes, text)
    return {
        "generation_id": planned.generation_id,
        "parser": recipe.parser.type,
        "parse_error": outcome.parse_error,
        "fields": None if outcome.fields is None
        else json.dumps(outcome.fields, ensure_ascii=False),
    }
