"""Parsers read teacher answers into fields, records render from them, and an answer that
does not parse fails the format verifier."""

import pytest

from synth_assets.recipes.parsers import ParseError, build_parser
from synth_assets.recipes.records import build_record, record_fields, training_pair
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec.model import ParserSpec, RecipeSpec
from synth_assets.verify import Candidate, build_verifier


def parse(parser_type: str, text: str, **options) -> dict:
    return build_parser(ParserSpec(type=parser_type, options=options)).parse(text)


def test_sections_accept_common_label_styles_and_keep_the_first_record() -> None:
    text = ("Sure! Here is a task.\n**Instruction:** Name three rivers.\nInput: (none)\n"
            "### Output\nThe Nile,\nthe Amazon and the Danube.\n\nInstruction: second task\n"
            "Output: ignored")
    fields = parse("sections", text, sections=["Instruction", "Input", "Output"],
                   optional=["Input"])
    assert fields == {"instruction": "Name three rivers.", "input": "(none)",
                      "output": "The Nile,\nthe Amazon and the Danube."}


def test_sections_fail_on_a_missing_part_and_extract_a_final_answer() -> None:
    with pytest.raises(ParseError, match="missing section.*Solution"):
        parse("sections", "Problem: 2 + 2?", sections=["Problem", "Solution"])
    fields = parse("sections", "Problem: 2 + 3?\nSolution: 2 + 3 = 5.\nThe answer is 5.",
                   sections=["Problem", "Solution"], final_answer_from="Solution")
    assert fields["answer"] == "5"
    with pytest.raises(ParseError, match="no final answer"):
        parse("sections", "Problem: x\nSolution: no idea", sections=["Problem", "Solution"],
              final_answer_from="Solution")


def test_conversation_needs_turns_from_every_speaker() -> None:
    text = "A: Why do bridges have gaps?\nB: Steel grows\nwhen warm.\nA: Oh!\nB: Yes."
    fields = parse("conversation", text, speakers=["A", "B"], min_turns=4)
    assert [t["speaker"] for t in fields["turns"]] == ["A", "B", "A", "B"]
    assert fields["turns"][1]["text"] == "Steel grows\nwhen warm."
    with pytest.raises(ParseError, match="never talk: B"):
        parse("conversation", "A: hello\nA: anyone?", speakers=["A", "B"])


def test_python_code_must_parse_and_define_the_function() -> None:
    fields = parse("python_code", "Here:\n```python\ndef solution():\n    return 4\n```",
                   defines="solution")
    assert fields["program"] == "def solution():\n    return 4"
    with pytest.raises(ParseError, match="no top-level function 'solution'"):
        parse("python_code", "```python\nx = 4\n```", defines="solution")
    with pytest.raises(ParseError, match="not valid Python"):
        parse("python_code", "```python\ndef solution(:\n```", defines="solution")


def test_unknown_parser_option_is_named() -> None:
    with pytest.raises(ValueError, match="unknown option.*'labels'"):
        build_parser(ParserSpec(type="sections", options={"labels": ["A"]}))


def recipe(**keys) -> RecipeSpec:
    return RecipeSpec(seed_set="s", teacher="t", template="x", domain="math", **keys)


SEED = SeedRecord("seed_1", "s", "math", {"question": "2 + 3?", "answer": "5"}, "f", 1)


def test_record_renders_from_seed_attributes_and_parsed_fields() -> None:
    outcome = build_record("r", recipe(
        parser=ParserSpec(type="sections", options={"sections": ["Problem", "Solution"],
                                                    "final_answer_from": "Solution"}),
        record={"instruction": "{{ problem }}", "response": "{{ solution }}",
                "persona": "{{ persona }}"},
    ), SEED, {"persona": "a baker"}, "Problem: 4 + 4?\nSolution: 8. The answer is 8.")
    assert outcome.parse_error is None
    assert outcome.fields["instruction"] == "4 + 4?" and outcome.fields["persona"] == "a baker"
    merged = record_fields(SEED.payload, outcome.fields)
    assert merged["answer"] == "8" and merged["question"] == "2 + 3?"


def test_plain_recipe_record_is_the_seed_task_and_the_answer() -> None:
    outcome = build_record("r", recipe(), SEED, {}, " 5 \n")
    assert outcome.fields == {"instruction": "2 + 3?", "response": "5"}
    assert training_pair("math", '{"question": "q"}', None, "raw") == ("q", "raw")


def test_format_verifier_fails_an_answer_that_did_not_parse() -> None:
    outcome = build_record("r", recipe(parser=ParserSpec(
        type="conversation", options={"speakers": ["A", "B"]})), SEED, {}, "just prose")
    assert outcome.fields is None and "turn" in outcome.parse_error
    verifier = build_verifier("format", {})
    failed = verifier.verify(Candidate("just prose", SEED.payload, outcome.parse_error))
    assert not failed.passed and outcome.parse_error in failed.reason
    assert verifier.verify(Candidate("A: hi\nB: hi", SEED.payload)).passed
