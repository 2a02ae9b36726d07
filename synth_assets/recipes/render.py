"""Renders a recipe's prompt for one seed."""

from functools import cache

import jinja2

from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec.model import RecipeSpec

_environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


class TemplateError(ValueError):
    pass


@cache
def _compile(source: str) -> jinja2.Template:
    return _environment.from_string(source)


def render_messages(recipe_name: str, recipe: RecipeSpec, seed: SeedRecord) -> list[dict[str, str]]:
    """Chat messages for one seed: optional system turn, then the rendered user turn."""
    try:
        user = _compile(recipe.template).render(**seed.payload).strip()
    except jinja2.TemplateError as error:
        raise TemplateError(
            f"recipe {recipe_name!r}: template failed on seed {seed.source_file}:"
            f"{seed.source_line}: {error}"
        ) from error
    messages = [{"role": "system", "content": recipe.system}] if recipe.system else []
    return messages + [{"role": "user", "content": user}]
