"""The degenerate-text filters every recipe is checked by without naming them, chosen by the
recipe's domain (docs/verifiers.md, "Default filters").

Prose filters misjudge code and formulas, so a domain gets only the filters that are right for
it: general text all of them; math solutions (digits and symbols, few stop words) all but
gopher_quality, with a repetition filter fitted to worked solutions (math_repetition); code,
and JSON answers of any domain, only the language of their prose (python_tests and
json_schema judge the rest).

A recipe opts out of some with `skip_filters: [truncation, ...]`. A spec tunes one for every
recipe by defining a verifier of that name and type (`verifiers: {language: {type: language,
options: {languages: [fr]}}}`), or for one recipe by skipping it and listing its own verifier
of the same type under another name."""

from __future__ import annotations

from typing import Any

# Spec verifier name -> its definition. Options differ from the verifier's own defaults
# where a measurement says so (docs/verifiers.md): py3langid misnames equation-heavy lines
# under 80 letters (4 of 3,000 GSM8K solutions at 40), and worked solutions restate their
# quantities ("19 green and pink hard hats"), which Gopher's n-gram rules count as repetition
# (817 of the 7,473 GSM8K train solutions rejected by the full table; 3 by math_repetition).
DEFAULT_FILTERS: dict[str, dict[str, Any]] = {
    "language": {"type": "language", "options": {"min_letters": 80}},
    "preamble": {"type": "preamble"},
    "truncation": {"type": "truncation"},
    "repetition": {"type": "repetition"},
    "math_repetition": {"type": "repetition", "options": {
        "max_top_ngram_char_fraction": {},
        "max_duplicate_ngram_char_fraction": {10: 0.30}}},
    "gopher_quality": {"type": "gopher_quality"},
}
FILTERS_BY_DOMAIN: dict[str, list[str]] = {
    "general": ["language", "preamble", "truncation", "repetition", "gopher_quality"],
    "math": ["language", "preamble", "truncation", "math_repetition"],
    "code": ["language"],
}
JSON_FILTERS = ["language"]


def default_filters(recipe: dict[str, Any]) -> list[str]:
    """The default filters a recipe (raw spec mapping) gets, before its skip_filters."""
    if recipe.get("response_format") == "json":
        return JSON_FILTERS
    return FILTERS_BY_DOMAIN.get(recipe.get("domain"), [])


def with_default_filters(
    resolved: dict[str, Any], name: str, recipe: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The recipe with its domain's default filters appended to its verifiers (those it does
    not skip or already list), the definitions of the filters it uses added to the spec's
    verifiers unless the spec defines them; plus (key, problem) pairs for unknown names in
    skip_filters."""
    skip = recipe.get("skip_filters") or []
    verifiers = recipe.get("verifiers") or []
    if not isinstance(skip, list) or not isinstance(verifiers, list):
        return recipe, []  # the spec model reports the wrong type
    unknown = [filter_name for filter_name in skip if filter_name not in DEFAULT_FILTERS]
    if unknown:
        return recipe, [(f"recipes.{name}.skip_filters", f"unknown default filter(s) "
                         f"{', '.join(map(repr, unknown))} (default filters: "
                         f"{', '.join(DEFAULT_FILTERS)})")]
    added = [filter_name for filter_name in default_filters(recipe)
             if filter_name not in skip and filter_name not in verifiers]
    verifiers = [*verifiers, *added]
    # A recipe may also name a filter its domain does not get (a code recipe: truncation).
    for filter_name in DEFAULT_FILTERS.keys() & set(verifiers):
        resolved["verifiers"].setdefault(filter_name, DEFAULT_FILTERS[filter_name])
    return {**recipe, "verifiers": verifiers}, []


def redefined_filter_problems(raw_verifiers: Any) -> list[tuple[str, str]]:
    """A spec verifier named like a default filter must be of its type: every recipe gets it."""
    if not isinstance(raw_verifiers, dict):
        return []
    return [(f"verifiers.{name}.type",
             f"{name!r} is the name of a default filter, checked on every recipe: its type must "
             f"be {DEFAULT_FILTERS[name]['type']!r} (got {definition.get('type')!r}); give this "
             "verifier another name")
            for name, definition in raw_verifiers.items()
            if name in DEFAULT_FILTERS and isinstance(definition, dict)
            and definition.get("type") != DEFAULT_FILTERS[name]["type"]]
