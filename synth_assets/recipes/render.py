"""Renders a recipe's prompt for one seed and one draw of its attributes."""

from functools import cache
from typing import Any

import jinja2

from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec.model import RecipeSpec

_environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


class TemplateError(ValueError):
    pass


@cache
def _compile(source: str) -> jinja2.Template:
    return _environment.from_string(source)


def render_template(source: str, context: dict[str, Any], where: str) -> str:
    """`where` says whose template it is, for the error message."""
    try:
        return _compile(source).render(**context).strip()
    except jinja2.TemplateError as error:
        raise TemplateError(f"{where}: {error}") from error


def render_messages(
    recipe_name: str, recipe: RecipeSpec, seed: SeedRecord, attributes: dict[str, Any]
) -> list[dict[str, str]]:
    """Chat messages for one seed: optional system turn, then the rendered user turn. The
    template sees the seed's fields and the sampled attributes."""
    user = render_template(
        recipe.template, {**seed.payload, **attributes},
        f"recipe {recipe_name!r}: template failed on seed {seed.source_file}:{seed.source_line}",
    )
    messages = [{"role": "system", "content": recipe.system}] if recipe.system else []
    return messages + [{"role": "user", "content": user}]
