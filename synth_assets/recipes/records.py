"""The record a generation yields: the parsed answer plus the fields the recipe's `record`
templates render (at least `instruction` and `response`, the training pair). Templates see the
seed's fields, the sampled attributes, the parsed fields and the raw answer as `generated`."""

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from synth_assets.lineage.ids import canonical_json, content_id
from synth_assets.recipes.parsers import ParseError, Parser, build_parser
from synth_assets.recipes.render import render_template
from synth_assets.recipes.seeds import SeedRecord, seed_task
from synth_assets.spec.model import ParserSpec, RecipeSpec

# The raw answer's name in record templates (a seed's own `text`, e.g. a document's, keeps its
# name there).
ANSWER_FIELD = "generated"


@dataclass(frozen=True)
class RecordOutcome:
    fields: dict[str, Any] | None      # None when the answer does not parse
    parse_error: str | None


def _parser(spec: ParserSpec) -> Parser:
    return _cached_parser(spec.type, canonical_json(spec.options))


@cache
def _cached_parser(parser_type: str, options: str) -> Parser:
    return build_parser(ParserSpec(type=parser_type, options=json.loads(options)))


def reader_fingerprint(recipe: RecipeSpec) -> str:
    """Everything that changes how an answer is read: a new parser or record template gives
    new records for the same (cached) teacher answers."""
    parser = _parser(recipe.parser)
    return content_id("reader", recipe.parser.type, parser.version, recipe.parser.options,
                      recipe.record)


def build_record(
    recipe_name: str, recipe: RecipeSpec, seed: SeedRecord, attributes: dict[str, Any],
    text: str,
) -> RecordOutcome:
    try:
        parsed = _parser(recipe.parser).parse(text)
    except ParseError as error:
        return RecordOutcome(fields=None, parse_error=str(error))
    context = {**seed.payload, **attributes, **parsed, ANSWER_FIELD: text.strip()}
    fields = {**parsed, "instruction": seed.task, "response": text.strip()}
    for key, template in recipe.record.items():
        fields[key] = render_template(template, context, f"recipe {recipe_name!r}: record.{key}")
    return RecordOutcome(fields=fields, parse_error=None)


def example_record(
    recipe_name: str, recipe: RecipeSpec, seed: SeedRecord, attributes: dict[str, Any]
) -> RecordOutcome:
    """The record an answer of the parser's own example would give: its fields are those every
    record of the recipe has, known before any teacher call."""
    return build_record(recipe_name, recipe, seed, attributes,
                        _parser(recipe.parser).example_answer())


def optional_text(value: Any) -> str | None:
    """A nullable text column's value as read into pandas (missing may come back as NaN)."""
    return value if isinstance(value, str) else None


def record_fields(seed_payload: str | dict, fields: str | dict | None) -> dict[str, Any]:
    """What a verifier and the next round see: the seed's fields overlaid by the record's."""
    payload = json.loads(seed_payload) if isinstance(seed_payload, str) else seed_payload
    if isinstance(fields, dict):
        return {**payload, **fields}
    own = optional_text(fields)
    return {**payload, **(json.loads(own) if own else {})}


def user_turn(seed_kind: str, seed_payload: str, fields: str | None) -> str:
    """The record's user turn, what a trained model is asked: its rendered `instruction`, else
    (a record stored before recipes had records) its seed's task. The `user_turn` macro in
    sql/records.sql is the same rule for queries (tests/test_user_turn.py checks they agree)."""
    instruction = json.loads(fields).get("instruction") if optional_text(fields) else None
    return seed_task(seed_kind, seed_payload) if instruction is None else instruction


def training_pair(seed_kind: str, seed_payload: str, fields: str | None, text: str
                  ) -> tuple[str, str]:
    """(user turn, response) a trained model sees; the response is the record's rendered
    `response`, else the raw answer."""
    response = json.loads(fields).get("response") if optional_text(fields) else None
    return (user_turn(seed_kind, seed_payload, fields),
            text if response is None else response)
