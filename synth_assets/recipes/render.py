"""Renders a recipe's prompt for one seed and one draw of its attributes."""

from functools import cache
from typing import Any

import jinja2

from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec.model import RecipeSpec

_environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


class TemplateError(ValueError):
    """`reason` is Jinja's own message; `template_line` the line inside the template, when
    Jinja knows it (syntax errors)."""

    def __init__(self, where: str, reason: str, template_line: int | None = None) -> None:
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.template_line = template_line


# What a template can raise while rendering: Jinja's errors (undefined names, syntax) and the
# Python errors of expressions inside it, e.g. `{{ question + 1 }}`.
_RENDER_ERRORS = (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError)


@cache
def _compile(source: str) -> jinja2.Template:
    return _environment.from_string(source)


def compile_template(source: str, where: str) -> None:
    """Raises TemplateError for a template that does not compile."""
    try:
        _compile(source)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(where, error.message or str(error), error.lineno) from error


def render_template(source: str, context: dict[str, Any], where: str) -> str:
    """`where` says whose template it is, for the error message."""
    compile_template(source, where)
    try:
        return _compile(source).render(**context).strip()
    except _RENDER_ERRORS as error:
        raise TemplateError(where, str(error)) from error


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
