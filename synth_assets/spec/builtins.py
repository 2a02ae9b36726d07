"""Built-in recipes: YAML files shipped in synth_assets/recipes/builtin/, merged under the
spec's own keys when a recipe says `builtin: NAME`.

A built-in file holds `recipe` (recipe keys without a teacher), optionally `seed_set` (the
seeds used when the spec names none: `name`, `path`, `kind`) and `verifiers` (definitions used
for the names its recipe lists when the spec does not define them), plus `about` and `paper`
for the docs. Paths starting with `builtin:` point into that folder.
"""

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from synth_assets.spec.default_filters import redefined_filter_problems, with_default_filters

BUILTIN_DIR = Path(__file__).resolve().parents[1] / "recipes" / "builtin"
BUILTIN_PREFIX = "builtin:"
# Recipes with a parser are always checked by this verifier: an answer that does not parse
# fails it, so a malformed record never reaches a mixture.
FORMAT_VERIFIER = "format"


def builtin_names() -> list[str]:
    return sorted(path.stem for path in BUILTIN_DIR.glob("*.yaml"))


@cache
def load_builtin(name: str) -> dict[str, Any]:
    return yaml.safe_load((BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def builtin_path(path: str) -> Path:
    """The file a `builtin:` path names."""
    return BUILTIN_DIR / path.removeprefix(BUILTIN_PREFIX)


def resolve_recipes(raw: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The raw spec with built-ins merged in, the format verifier added where a recipe parses
    its answers and the default filters of each recipe's domain added, plus (key, problem)
    pairs for unknown built-in or filter names."""
    recipes = raw.get("recipes")
    if not isinstance(recipes, dict):
        return raw, []
    resolved = {**raw, "recipes": dict(recipes),
                "seed_sets": dict(raw.get("seed_sets") or {}),
                "verifiers": dict(raw.get("verifiers") or {})}
    problems = redefined_filter_problems(raw.get("verifiers"))
    for name, recipe in recipes.items():
        if not isinstance(recipe, dict):
            continue
        builtin = recipe.get("builtin")
        if builtin is not None:
            if builtin not in builtin_names():
                problems.append((f"recipes.{name}.builtin", f"unknown built-in recipe "
                                 f"{builtin!r} (known: {', '.join(builtin_names())})"))
                continue
            recipe = _merge_builtin(resolved, load_builtin(builtin), recipe)
        recipe, filter_problems = with_default_filters(
            resolved, name, _with_format_verifier(resolved, recipe))
        resolved["recipes"][name] = recipe
        problems += filter_problems
    return resolved, problems


def _merge_builtin(
    resolved: dict[str, Any], builtin: dict[str, Any], overrides: dict[str, Any]
) -> dict[str, Any]:
    recipe = {**builtin["recipe"], **overrides}
    # Attributes merge one by one, so a spec can swap a single list.
    recipe["attributes"] = {**builtin["recipe"].get("attributes", {}),
                            **(overrides.get("attributes") or {})}
    if "seed_set" not in recipe and "seeds_from" not in recipe:
        default = dict(builtin["seed_set"])
        recipe["seed_set"] = default.pop("name")
        resolved["seed_sets"].setdefault(recipe["seed_set"], default)
    for verifier, definition in builtin.get("verifiers", {}).items():
        resolved["verifiers"].setdefault(verifier, definition)
    return recipe


def _with_format_verifier(resolved: dict[str, Any], recipe: dict[str, Any]) -> dict[str, Any]:
    parser = recipe.get("parser")
    parses = isinstance(parser, dict) and parser.get("type", "text") != "text"
    verifiers = recipe.get("verifiers") or []
    if not parses or not isinstance(verifiers, list) or FORMAT_VERIFIER in verifiers:
        return recipe
    resolved["verifiers"].setdefault(FORMAT_VERIFIER, {"type": FORMAT_VERIFIER})
    return {**recipe, "verifiers": [FORMAT_VERIFIER, *verifiers]}
