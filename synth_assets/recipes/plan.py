"""Which prompts a recipe sends: for every seed, `prompts_per_seed` draws of its attributes,
each rendered into messages; draws that render the same messages count once. A day (the
partition of a daily run) gives every draw new attributes."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from synth_assets.lineage.ids import content_id
from synth_assets.recipes.attributes import sample_attributes
from synth_assets.recipes.render import render_messages
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import PipelineSpec


@dataclass(frozen=True)
class RenderedPrompt:
    recipe: str
    seed: SeedRecord
    prompt_id: str
    messages: list[dict[str, str]]
    attributes: dict[str, Any]
    draw: int


def plan_prompts(loaded: LoadedSpec, recipe_name: str, seeds: list[SeedRecord],
                 day: str | None = None) -> Iterator[RenderedPrompt]:
    """Rendered as they are consumed: only the ids of the prompts given so far are kept."""
    recipe = loaded.spec.recipes[recipe_name]
    given: set[str] = set()
    for seed in seeds:
        for draw in range(recipe.prompts_per_seed):
            attributes = sample_attributes(loaded, recipe_name, seed, draw, day)
            messages = render_messages(recipe_name, recipe, seed, attributes)
            prompt_id = content_id("prm", recipe_name, seed.seed_id, messages)
            if prompt_id not in given:
                given.add(prompt_id)
                yield RenderedPrompt(recipe_name, seed, prompt_id, messages, attributes, draw)


def recipe_rounds(spec: PipelineSpec) -> dict[str, int]:
    """Recipe -> round: 1 for a recipe on a seed set, one more than its `seeds_from` recipe
    otherwise. Ordered so that every recipe comes after the round it reads from."""
    rounds: dict[str, int] = {}

    def round_of(name: str) -> int:
        if name not in rounds:
            source = spec.recipes[name].seeds_from
            rounds[name] = 1 if source is None else round_of(source.recipe) + 1
        return rounds[name]

    for name in spec.recipes:
        round_of(name)
    return dict(sorted(rounds.items(), key=lambda item: item[1]))


def recipe_chain(spec: PipelineSpec, name: str) -> set[str]:
    """The recipe and every earlier round it reads from through `seeds_from`."""
    chain = {name}
    while (source := spec.recipes[name].seeds_from) is not None:
        name = source.recipe
        chain.add(name)
    return chain


def first_round_recipes(spec: PipelineSpec, seed_sets: set[str] | None = None) -> list[str]:
    """Recipes reading a seed set (those of `seed_sets` only, when given)."""
    return [name for name, recipe in spec.recipes.items()
            if recipe.seeds_from is None and (seed_sets is None or recipe.seed_set in seed_sets)]


def next_round_recipes(spec: PipelineSpec, recipe: str) -> list[str]:
    """Recipes whose `seeds_from` reads `recipe`."""
    return [name for name, r in spec.recipes.items()
            if r.seeds_from is not None and r.seeds_from.recipe == recipe]
