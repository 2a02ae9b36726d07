"""Check a structured response: it holds one JSON document that validates against the
recipe's JSON Schema."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from synth_assets.verify.base import Candidate, Verdict, clip_evidence

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
class JsonSchemaVerifier:
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

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        try:
            document = extract_json(candidate.text)
        except ValueError:
            return Verdict(False, 0.0, "no JSON document found", clip_evidence(candidate.text),
                           time.perf_counter() - start)
        validator = jsonschema.validators.validator_for(self.schema)(self.schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(document))
        if error is None:
            passed, reason, evidence = True, "valid against the schema", "valid"
        else:
            where = "/".join(str(part) for part in error.absolute_path) or "(root)"
            passed, reason = False, f"schema violation at {where}: {error.message[:160]}"
            evidence = f"{where}: {error.message}"
        return Verdict(passed, 1.0 if passed else 0.0, reason, clip_evidence(evidence),
                       time.perf_counter() - start)
