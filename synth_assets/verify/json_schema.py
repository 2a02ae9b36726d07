"""Check a structured response: it holds one JSON document that validates against the
recipe's JSON Schema."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from synth_assets.verify.base import Candidate, Decision, Verifier

_JSON_FENCE = re.compile(r"```(?:json)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)


def extract_json(text: str) -> Any:
    """The JSON document in a response: a ```json block, the whole text, or the first JSON
    object or array in it. Raises ValueError when there is none."""
    attempts = [match.group(1) for match in _JSON_FENCE.finditer(text)] + [text]
    for attempt in attempts:
        try:
            return json.loads(attempt)
        except json.JSONDecodeError:
            continue
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", text):
        try:
            return decoder.raw_decode(text, match.start())[0]
        except json.JSONDecodeError:
            continue
    raise ValueError("no JSON document found")


@dataclass(frozen=True)
class JsonSchemaVerifier(Verifier):
    schema: dict = field(default_factory=dict)

    name = "json_schema"
    version = "1"

    def __post_init__(self) -> None:
        if not isinstance(self.schema, dict) or not self.schema:
            raise ValueError(f"json_schema needs a non-empty `schema` mapping, got {self.schema!r}")
        try:
            jsonschema.validators.validator_for(self.schema).check_schema(self.schema)
        except jsonschema.SchemaError as error:
            raise ValueError(f"json_schema schema is not a valid JSON Schema: {error.message}"
                             ) from None

    def decide(self, candidate: Candidate) -> Decision:
        try:
            document = extract_json(candidate.text)
        except ValueError:
            return Decision(False, "no JSON document found", candidate.text)
        validator = jsonschema.validators.validator_for(self.schema)(self.schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(document))
        if error is None:
            return Decision(True, "valid against the schema", "valid")
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        return Decision(False, f"schema violation at {where}: {error.message[:160]}",
                        f"{where}: {error.message}")
