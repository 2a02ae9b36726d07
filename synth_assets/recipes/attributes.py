"""The attributes a recipe samples for each prompt, drawn reproducibly from the spec's seed.

Each draw gets its own random generator seeded from (spec seed, recipe, seed record, draw
index and, for a daily partition, the day), so a prompt does not change when other seeds or
recipes are added or reordered.
"""

import json
import random
from functools import cache
from pathlib import Path
from typing import Any

from synth_assets.lineage.ids import content_id
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import AttributeSpec


class AttributeValuesError(ValueError):
    """`reason` is the problem without the seed it was met on, so that the same problem on
    many seeds can be reported once."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


@cache
def read_attribute_file(path: Path) -> tuple[Any, ...]:
    """A .jsonl file holds one JSON value a line; any other file one text value a line.
    Blank lines and, in text files, lines starting with # are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise AttributeValuesError(f"{path}: cannot read attribute values: {error}") from error
    values = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or (path.suffix != ".jsonl" and line.lstrip().startswith("#")):
            continue
        if path.suffix == ".jsonl":
            try:
                values.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise AttributeValuesError(f"{path}:{number}: invalid JSON: {error.msg}") from None
        else:
            values.append(line.strip())
    if not values:
        raise AttributeValuesError(f"{path}: no attribute values")
    return tuple(values)


def attribute_values(
    loaded: LoadedSpec, attribute: AttributeSpec, seed: SeedRecord
) -> tuple[Any, ...]:
    if attribute.values is not None:
        return tuple(attribute.values)
    if attribute.file is not None:
        return read_attribute_file(loaded.resolve(attribute.file))
    values = seed.payload.get(attribute.from_seed)
    if not isinstance(values, list) or not values:
        reason = f"needs a non-empty list in field {attribute.from_seed!r}"
        raise AttributeValuesError(f"seed {seed.source_file}:{seed.source_line} {reason}",
                                   f"the seed {reason}")
    return tuple(values)


def draw_seed(spec_seed: int, recipe_name: str, seed_id: str, draw: int,
              day: str | None = None) -> int:
    """A day (the partition of a daily run) salts the draw, so each day samples anew."""
    salt = [] if day is None else [day]
    return int(content_id("draw", spec_seed, recipe_name, seed_id, draw, *salt)[5:], 16)


def sample_attributes(
    loaded: LoadedSpec, recipe_name: str, seed: SeedRecord, draw: int, day: str | None = None
) -> dict[str, Any]:
    """One draw of every attribute of the recipe, in name order."""
    recipe = loaded.spec.recipes[recipe_name]
    rng = random.Random(draw_seed(loaded.spec.seed, recipe_name, seed.seed_id, draw, day))
    drawn: dict[str, Any] = {}
    for name in sorted(recipe.attributes):
        pick = recipe.attributes[name].pick
        values = drawable_values(loaded, recipe_name, name, seed)
        drawn[name] = rng.choice(values) if pick == 1 else rng.sample(values, pick)
    return drawn


def drawable_values(
    loaded: LoadedSpec, recipe_name: str, name: str, seed: SeedRecord
) -> tuple[Any, ...]:
    """The values attribute `name` of the recipe draws from for this seed: at least `pick`."""
    attribute = loaded.spec.recipes[recipe_name].attributes[name]
    values = attribute_values(loaded, attribute, seed)
    if attribute.pick > len(values):
        reason = f"pick {attribute.pick} is more than the {len(values)} values it has"
        raise AttributeValuesError(f"recipe {recipe_name!r} attribute {name!r}: {reason}",
                                   f"attribute {name!r}: {reason}")
    return values
