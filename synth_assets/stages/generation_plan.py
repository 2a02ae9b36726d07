"""The generation plan of teacher_generations: every recipe's prompts and samples, round by
round, for a partition. It is planned once per run and kept in the store (generation_plans,
planned_generations): the budget check on seed_sets, the budget gate of teacher_generations and
the teacher step of the same run read the stored plan a window at a time instead of planning
again, and a rerun whose generations are all stored decodes nothing but their ids. A partition
stored whole with unchanged inputs is not planned at all (stages.teacher_reuse)."""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import islice

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.plan import RenderedPrompt, plan_prompts, recipe_chain, recipe_rounds
from synth_assets.recipes.records import reader_fingerprint
from synth_assets.recipes.rounds import DerivedSeed, derived_seeds
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.stages.partitions import GenerationPartition, partition_label
from synth_assets.teacher.requests import TeacherRequest, build_request

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


def plan_generations(
    store: LineageStore, loaded: LoadedSpec, seeds: list[SeedRecord],
    partition: GenerationPartition | None = None,
) -> GenerationPlan:
    """Every recipe's prompts and samples, round by round (see recipes.rounds); for a partition,
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


def planned_windows(plan: Iterable[PlannedGeneration], size: int = WINDOW
                    ) -> Iterator[list[PlannedGeneration]]:
    """The plan in consecutive lists of `size` generations, planned as they are taken."""
    iterator = iter(plan)
    while window := list(islice(iterator, size)):
        yield window


@dataclass
class StoredPlan:
    """A partition's plan as stored for its run: read a window at a time (memory flat in the
    number of generations); what is already stored comes back as ids only."""

    store: LineageStore
    plan_id: str
    planned: int
    derived_seeds: dict[str, list[DerivedSeed]]
    seeds: dict[str, SeedRecord]         # seed id -> seed, for every seed a prompt may render

    def window_starts(self) -> range:
        return range(0, self.planned, WINDOW)

    def generations_at(self, first: int) -> tuple[list[str], list[PlannedGeneration]]:
        """The window from position `first`: the ids of its generations already stored, and
        its other generations."""
        rows = self.store.query_rows("plan_window_generations", plan_id=self.plan_id,
                                     first=first, size=WINDOW)
        stored = [row["generation_id"] for row in rows if row["prompt"] is None]
        return stored, self._planned([row for row in rows if row["prompt"] is not None])

    def calls_at(self, first: int) -> tuple[int, set[str], list[PlannedGeneration]]:
        """The window from position `first`: how many generations it plans, the ids of its
        calls already answered (cached), and its generations whose call is not."""
        rows = self.store.query_rows("plan_window_calls", plan_id=self.plan_id,
                                     first=first, size=WINDOW)
        cached = {row["call_id"] for row in rows if row["prompt"] is None}
        return len(rows), cached, self._planned([row for row in rows
                                                 if row["prompt"] is not None])

    def discard(self) -> None:
        """Delete the stored plan (its run has answered it)."""
        with self.store.writer() as writer:
            for statement in ("delete_planned_generations", "delete_planned_prompts",
                              "delete_generation_plan"):
                writer.execute("writes.sql", statement, plan_id=self.plan_id)

    def _planned(self, rows: list[dict]) -> list[PlannedGeneration]:
        """Rows with their prompt's body, each prompt decoded once."""
        prompts: dict[str, dict] = {}
        planned = []
        for row in rows:
            body = prompts.get(row["prompt_id"])
            if body is None:
                body = prompts[row["prompt_id"]] = json.loads(row["prompt"])
            messages = body["messages"]
            prompt = RenderedPrompt(recipe=body["recipe"], seed=self.seeds[body["seed_id"]],
                                    prompt_id=row["prompt_id"], messages=messages,
                                    attributes=body["attributes"], draw=body["draw"])
            request = TeacherRequest(call_id=row["call_id"], model=body["model"],
                                     api_base=body["api_base"], messages=messages,
                                     params={**body["params"], "seed": row["sampling_seed"]},
                                     sample_index=row["sample_index"])
            planned.append(PlannedGeneration(prompt=prompt, request=request,
                                             teacher=row["teacher"], round=body["round"],
                                             reader=body["reader"]))
        return planned


def plan_of_run(store: LineageStore, loaded: LoadedSpec, seeds: list[SeedRecord],
                partition: GenerationPartition | None, run_id: str | None) -> StoredPlan:
    """The run's plan of the partition: read back when a step of the same run (same spec, same
    seeds) planned it already, else planned now and stored. Without a run id it is always
    planned anew (nothing says the store has not changed since)."""
    label = partition_label(partition)
    plan_id = content_id("plan", run_id, label, loaded.spec_hash,
                         [seed.seed_id for seed in seeds])
    seeds_by_id = {seed.seed_id: seed for seed in seeds}
    if run_id is not None:
        [header] = store.query_rows("generation_plan", plan_id=plan_id) or [None]
        if header is not None and header["generations"] is not None:
            derived = _derived_from_json(header["derived_seeds"])
            return StoredPlan(store, plan_id, header["generations"], derived,
                              seeds_by_id | _derived_by_id(derived))
    plan = plan_generations(store, loaded, seeds, partition)
    planned = _store_plan(store, plan_id, label, plan)
    return StoredPlan(store, plan_id, planned, plan.derived_seeds,
                      seeds_by_id | _derived_by_id(plan.derived_seeds))


def _store_plan(store: LineageStore, plan_id: str, label: str, plan: GenerationPlan) -> int:
    """Store the plan a window per transaction (memory flat); it counts as stored once its
    header holds the number of generations. Earlier plans of the partition (other runs, or
    one stopped midway) are deleted first: a partition keeps at most one."""
    with store.writer() as writer:
        for statement in ("delete_partition_planned_generations",
                          "delete_partition_planned_prompts", "delete_partition_plans"):
            writer.execute("writes.sql", statement, partition_key=label)
        writer.insert_new("generation_plans", [{
            "plan_id": plan_id, "partition_key": label, "generations": None,
            "derived_seeds": _derived_to_json(plan.derived_seeds)}])
    planned = 0
    prompts_written: set[str] = set()
    for window in planned_windows(plan, WINDOW):
        # A generation stored already is read back as its id only: its prompt is written only
        # for the generations still to answer, once per prompt (a prompt's samples share it).
        stored = set(store.query_with_ids("stored_generation_ids",
                                          [p.generation_id for p in window])["generation_id"])
        rows = [{"plan_id": plan_id, "position": planned + offset,
                 "generation_id": p.generation_id, "call_id": p.request.call_id,
                 "teacher": p.teacher, "prompt_id": p.prompt.prompt_id,
                 "sample_index": p.request.sample_index,
                 "sampling_seed": p.request.params["seed"]}
                for offset, p in enumerate(window)]
        prompts = {p.prompt.prompt_id: _prompt_body(p) for p in window
                   if p.generation_id not in stored and p.prompt.prompt_id not in prompts_written}
        prompts_written.update(prompts)
        with store.writer() as writer:
            writer.insert_with("writes.sql", "append_planned_generations", rows)
            writer.insert_with("writes.sql", "append_planned_prompts",
                               [{"plan_id": plan_id, "prompt_id": prompt_id, "body": body}
                                for prompt_id, body in prompts.items()])
        planned += len(window)
    with store.writer() as writer:
        writer.execute("writes.sql", "complete_generation_plan", plan_id=plan_id,
                       generations=planned)
    return planned


def _prompt_body(planned: PlannedGeneration) -> str:
    """What rebuilds the planned generations of one prompt besides their ids, teacher, sample
    index and sampling seed (the one request parameter that differs between samples)."""
    prompt, request = planned.prompt, planned.request
    return json.dumps({
        "recipe": prompt.recipe, "seed_id": prompt.seed.seed_id, "messages": prompt.messages,
        "attributes": prompt.attributes, "draw": prompt.draw, "model": request.model,
        "api_base": request.api_base,
        "params": {name: value for name, value in request.params.items() if name != "seed"},
        "round": planned.round, "reader": planned.reader,
    }, ensure_ascii=False)


def _derived_to_json(derived: dict[str, list[DerivedSeed]]) -> str:
    return json.dumps({recipe: [{"seed": vars(d.seed), "parent_ids": list(d.parent_ids)}
                                for d in seeds] for recipe, seeds in derived.items()},
                      ensure_ascii=False)


def _derived_from_json(text: str) -> dict[str, list[DerivedSeed]]:
    return {recipe: [DerivedSeed(SeedRecord(**d["seed"]), tuple(d["parent_ids"])) for d in seeds]
            for recipe, seeds in json.loads(text).items()}


def _derived_by_id(derived: dict[str, list[DerivedSeed]]) -> dict[str, SeedRecord]:
    return {d.seed.seed_id: d.seed for seeds in derived.values() for d in seeds}
