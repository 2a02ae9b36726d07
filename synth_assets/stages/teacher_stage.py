"""teacher_generations: render every recipe's prompts, answer them through the teacher (cached
in DuckDB), and record one generation per prompt and sample."""

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.stages import TEACHER_GENERATIONS
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.plan import RenderedPrompt, plan_prompts, recipe_chain, recipe_rounds
from synth_assets.recipes.records import build_record, reader_fingerprint
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.stages.partitions import GenerationPartition, partition_label
from synth_assets.stages.rounds import DerivedSeed, derived_seeds
from synth_assets.stages.seed_stage import seed_row
from synth_assets.teacher.cached import (
    DEFAULT_PROGRESS_INTERVAL_S,
    CachedRunResult,
    TeacherJob,
    TeacherSession,
)
from synth_assets.teacher.client import TeacherFailure
from synth_assets.teacher.requests import TeacherRequest, build_request

STAGE = TEACHER_GENERATIONS
FAILURES_LOGGED = 10
# Generations planned, answered and stored together: all that memory holds of the calls (with
# their failures). Large enough that a window's slowest call barely idles the teacher.
WINDOW = 2_000


@dataclass(frozen=True)
class PlannedGeneration:
    prompt: RenderedPrompt
    request: TeacherRequest
    teacher: str
    round: int
    reader: str                     # recipes.records.reader_fingerprint of the recipe

    @property
    def recipe(self) -> str:
        return self.prompt.recipe

    @property
    def seed(self) -> SeedRecord:
        return self.prompt.seed

    @cached_property
    def generation_id(self) -> str:
        return content_id("gen", self.recipe, self.prompt.prompt_id, self.request.call_id,
                          self.reader)


@dataclass
class GenerationPlan:
    """Iterating plans the generations as they are consumed, so a stage holds one window of
    them at a time."""

    derived_seeds: dict[str, list[DerivedSeed]]     # recipe with seeds_from -> its seeds
    planned: Callable[[], Iterator[PlannedGeneration]]

    def __iter__(self) -> Iterator[PlannedGeneration]:
        return self.planned()

    @property
    def generations(self) -> list[PlannedGeneration]:
        """Every planned generation at once (estimates; the stage streams them)."""
        return list(self)


@dataclass
class TeacherStageResult:
    snapshot_id: str
    planned: int
    calls: CachedRunResult
    new_generations: int = 0
    failed_by_recipe: dict[str, int] = field(default_factory=dict)


def plan_generations(
    store: LineageStore, loaded: LoadedSpec, seeds: list[SeedRecord],
    partition: GenerationPartition | None = None,
) -> GenerationPlan:
    """Every recipe's prompts and samples, round by round (see stages.rounds); for a partition,
    its recipe's on its day (the earlier rounds it reads from are planned, not returned)."""
    spec = loaded.spec
    day = None if partition is None else partition.day
    if partition is not None:
        partition.check_against(loaded)
    wanted = set(spec.recipes) if partition is None else recipe_chain(spec, partition.recipe)
    rounds = {name: number for name, number in recipe_rounds(spec).items() if name in wanted}
    recipe_seeds: dict[str, list[SeedRecord]] = {}
    derived: dict[str, list[DerivedSeed]] = {}

    def recipe_generations(recipe_name: str) -> Iterator[PlannedGeneration]:
        recipe = spec.recipes[recipe_name]
        teacher, reader = spec.teachers[recipe.teacher], reader_fingerprint(recipe)
        for prompt in plan_prompts(loaded, recipe_name, recipe_seeds[recipe_name], day):
            for sample_index in range(recipe.samples_per_seed):
                yield PlannedGeneration(
                    prompt=prompt,
                    request=build_request(teacher, prompt.messages, sample_index,
                                          recipe.response_format, day),
                    teacher=recipe.teacher,
                    round=rounds[recipe_name],
                    reader=reader,
                )

    for recipe_name in rounds:
        recipe = spec.recipes[recipe_name]
        if recipe.seeds_from is None:
            recipe_seeds[recipe_name] = [s for s in seeds if s.seed_set == recipe.seed_set]
        else:
            parents = [(p.generation_id, p.seed)
                       for p in recipe_generations(recipe.seeds_from.recipe)]
            derived[recipe_name] = derived_seeds(store, loaded, recipe_name, parents)
            recipe_seeds[recipe_name] = [d.seed for d in derived[recipe_name]]
    returned = [name for name in rounds if partition is None or name == partition.recipe]
    return GenerationPlan(
        derived_seeds={name: seeds for name, seeds in derived.items() if name in returned},
        planned=lambda: (p for name in returned for p in recipe_generations(name)),
    )


def run_teacher_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    seeds: list[SeedRecord],
    log: Callable[[str], None] = print,
    run_id: str | None = None,
    progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S,
    partition: GenerationPartition | None = None,
) -> TeacherStageResult:
    """Plans, answers and stores WINDOW generations at a time (memory flat in the number of
    calls); the partition's snapshot is recorded once every window is stored. A generation
    already stored (a rerun) is neither looked up in the teacher cache nor stored again."""
    plan = plan_generations(store, loaded, seeds, partition)
    for name, derived in plan.derived_seeds.items():
        log(f"recipe {name}: {len(derived)} seeds from verified records of "
            f"{loaded.spec.recipes[name].seeds_from.recipe} (records verified in this run become "
            "seeds in the next materialization)")
    derived = [seed for seeds in plan.derived_seeds.values() for seed in seeds]
    with store.writer() as writer:  # first, so that no stored generation lacks its seed
        writer.insert_new("seeds", [seed_row(d.seed) for d in derived])
        writer.link([edge for d in derived for edge in d.edges()])
    planned = new_generations = 0
    generation_ids: list[str] = []
    failed_by_recipe: Counter[str] = Counter()
    with TeacherSession(store, loaded.spec.budget, run_id, log, progress_interval_s) as session:
        for window in planned_windows(plan):
            planned += len(window)
            with session.store_lock:
                stored = set(store.query_with_ids(
                    "stored_generation_ids", [p.generation_id for p in window])["generation_id"])
            generation_ids.extend(stored)
            window = [p for p in window if p.generation_id not in stored]
            session.found_stored(len(stored))
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
    log(f"{planned} generations planned, {len(generation_ids)} answered")
    _log_failures(calls.failures, log)
    with store.writer() as writer:
        snapshot_id = writer.record_partition_snapshot(STAGE, partition_label(partition),
                                                       generation_ids)
    return TeacherStageResult(
        snapshot_id=snapshot_id,
        planned=planned,
        calls=calls,
        new_generations=new_generations,
        failed_by_recipe=dict(failed_by_recipe),
    )


def planned_windows(plan: Iterable[PlannedGeneration], size: int = WINDOW
                    ) -> Iterator[list[PlannedGeneration]]:
    """The plan in consecutive lists of `size` generations, planned as they are taken."""
    iterator = iter(plan)
    while window := list(islice(iterator, size)):
        yield window


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
