"""The cheap filters: refusal/boilerplate/repetition, language and JSON schema."""

import pytest

from synth_assets.verify import Candidate, build_verifier
from synth_assets.verify.json_schema import extract_json
from synth_assets.verify.llm_judge import parse_score
from synth_assets.verify.refusal import repetition_share


def verify(kind: str, text: str, **options):
    return build_verifier(kind, options).verify(Candidate(text=text, seed={}))


@pytest.mark.parametrize("text", [
    "I'm sorry, but I can't help with that.",
    "I am sorry, I cannot provide that information.",
    "As an AI language model, I do not have personal opinions.",
    "I cannot assist with this request.",
    "Sorry! I won't write that. I can't comply with this request.",
    "Sure. Actually, I'm unable to help with generating that content.",
])
def test_refusals_and_disclaimers_fail(text: str) -> None:
    verdict = verify("refusal", text)
    assert not verdict.passed
    assert verdict.reason == "refusal or AI-disclaimer boilerplate"
    assert "matched" in verdict.evidence


@pytest.mark.parametrize("text", [
    "The sky looks blue because air scatters short wavelengths more than long ones.",
    "I can't believe how simple this is: 3 * 4 = 12. The answer is 12.",
    "def f(x):\n    return x + 1\n",
    "Here is why I cannot divide by zero in this formula: the denominator vanishes.",
])
def test_ordinary_answers_pass(text: str) -> None:
    assert verify("refusal", text).passed


def test_degenerate_repetition_fails_and_prose_does_not() -> None:
    loop = "The answer is 12. " * 20
    assert repetition_share(loop) > 0.8
    verdict = verify("refusal", loop)
    assert not verdict.passed and verdict.reason == "degenerate repetition"
    prose = ("Sunlight reaches the atmosphere and is scattered by molecules of nitrogen and "
             "oxygen; shorter wavelengths scatter more strongly, which is why a clear sky "
             "looks blue during the day and red near sunset when light travels further.")
    assert repetition_share(prose) < 0.1
    assert verify("refusal", loop, max_repetition=0.95).passed


@pytest.mark.parametrize(("text", "options", "passed"), [
    ("The sky looks blue because sunlight is scattered by the molecules of the air.", {}, True),
    ("Der Himmel ist blau, weil das Sonnenlicht an den Molekülen der Luft gestreut wird.", {},
     False),
    ("Der Himmel ist blau, weil das Sonnenlicht an den Molekülen der Luft gestreut wird.",
     {"languages": ["en", "de"]}, True),
    ("Le ciel est bleu parce que la lumière du soleil est diffusée par les molécules de l'air.",
     {}, False),
    ("Hi!", {}, True),  # too short to tell
])
def test_language(text: str, options: dict, passed: bool) -> None:
    verdict = verify("language", text, **options)
    assert verdict.passed is passed, verdict.evidence


def test_language_ignores_code_blocks() -> None:
    text = ("Voici la fonction demandée, elle additionne deux nombres entiers et renvoie le "
            "résultat.\n```python\ndef add(first_number, second_number):\n"
            "    return first_number + second_number\n```")
    verdict = verify("language", text)
    assert not verdict.passed
    assert verdict.evidence.startswith("language=fr")


SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(("text", "passed", "reason"), [
    ('{"name": "Ann", "age": 31}', True, "valid against the schema"),
    ('Sure!\n```json\n{"name": "Ann", "age": 31}\n```', True, "valid against the schema"),
    ('Here it is: {"name": "Ann", "age": 31} - done.', True, "valid against the schema"),
    ('{"name": "Ann"}', False, "schema violation at (root): 'age' is a required property"),
    ('{"name": "Ann", "age": -1}', False, "schema violation at age: -1 is less than"),
    ('{"name": "Ann", "age": 3, "x": 1}', False, "schema violation at (root): Additional"),
    ("no json here", False, "no JSON document found"),
    ('{"name": "Ann", "age": ', False, "no JSON document found"),
])
def test_json_schema(text: str, passed: bool, reason: str) -> None:
    verdict = verify("json_schema", text, schema=SCHEMA)
    assert verdict.passed is passed
    assert verdict.reason.startswith(reason), verdict.reason


def test_json_schema_rejects_an_invalid_schema() -> None:
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        build_verifier("json_schema", {"schema": {"type": "no-such-type"}})
    with pytest.raises(ValueError, match="needs a non-empty `schema`"):
        build_verifier("json_schema", {})


def test_extract_json_prefers_a_fenced_block() -> None:
    assert extract_json('{"a": 1}\n```json\n{"b": 2}\n```') == {"b": 2}


@pytest.mark.parametrize(("answer", "score"), [
    ("The response is correct and clear.\nScore: 8", 0.8),
    ("**Score:** 7/10", 0.7),
    ("Rating: [[9]]", 0.9),
    ('{"reasoning": "ok", "score": 6}', 0.6),
    ("I'd give it 4 out of 5.", 0.8),
    ("Score: 3. Actually, on reflection, Score: 5", 0.5),
    ("Final score = 10", 1.0),
    ("7", 0.7),
    ("Grade: 9.5/10", 0.95),
    ("Score: 12", None),  # above the scale
    ("Looks fine to me.", None),
])
def test_judge_score_parsing(answer: str, score: float | None) -> None:
    parsed = parse_score(answer, scale_max=10)
    assert parsed == (pytest.approx(score) if score is not None else None)
