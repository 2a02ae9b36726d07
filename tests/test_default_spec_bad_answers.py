"""The shipped default spec, run end to end against a stub teacher that answers every recipe
but math the way weak teachers fail (looping stories, stories without their required words,
meta-commentary and answers instead of evolved instructions, refusals, wrong code): none of
those answers reaches the exported mixture, only the correct math answers do."""

import json
import re
import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

from synth_assets.recipes.attributes import read_attribute_file
from synth_assets.spec.builtins import builtin_path
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import run_pipeline

DEFAULT_SPEC = Path(__file__).resolve().parents[1] / "synth_assets" / "default_spec"
MATH_ANSWERS = {json.loads(line)["question"]: json.loads(line)["answer"] for line in
                (DEFAULT_SPEC / "seeds" / "math_word_problems.jsonl").read_text().splitlines()}
# Words no required-word list holds: a story made of them misses its required words.
PLAIN_STORY = ("Once there was a little girl named Pia. She went out with her grandpa to see "
               "the world. They looked at the sky for a long time and then went back in. "
               "Pia said it was a good day.")
STORY_WORDS = {word for name in ("verbs", "nouns", "adjectives")
               for word in read_attribute_file(builtin_path(f"builtin:tinystories/{name}.txt"))}
EVOLUTION_FAILURES = [
    "The new instruction asks a question that requires a longer answer about {topic}.",
    "Sure, I can write a new response with the requested information.",
    "The answer is \"Mixed\" to the sentence about {topic}.",
]
_SETTING = re.compile(r"set in (.+?), using")
_INSTRUCTION = re.compile(r"^Instruction: (.+)$", re.MULTILINE)
KNOWN_BAD = ["Sheeple", "As an AI language model", "new instruction", "Sure, I can",
             "The answer is \"Mixed\"", PLAIN_STORY[:40], "return None"]


def bad_answer(request: dict) -> str:
    prompt = request["messages"][-1]["content"]
    if "Solve this math word problem" in prompt:
        question = next(q for q in MATH_ANSWERS if q in prompt)
        return f"Working through each step of the problem carefully.\nThe answer is " \
               f"{MATH_ANSWERS[question]}."
    if "Complete this Python function" in prompt:
        name = re.search(r"def (\w+)\(", prompt)[1]
        return f"```python\ndef {name}(*args):\n    return None\n```"
    if "Write a very short story" in prompt:
        setting = _SETTING.search(prompt)[1]
        if sum(map(ord, setting)) % 2:  # half loop, half miss their required words
            return " ".join([f"Sheeple, found the treasure in {setting}."] * 7)
        assert not STORY_WORDS & set(PLAIN_STORY.lower().replace(".", "").split())
        return PLAIN_STORY.replace("the world", setting)
    if "Rewrite an instruction" in prompt:
        original = _INSTRUCTION.search(prompt)[1]
        if "sky looks blue" in original:  # one good evolution, so round 2 has a seed
            return ("For a class of ten-year-olds, explain in three short steps why the sky "
                    "looks blue on a clear day but red at sunset.")
        failure = EVOLUTION_FAILURES[len(original) % len(EVOLUTION_FAILURES)]
        return failure.format(topic=original.lower().rstrip("."))
    # general_answers and evolved_answers: the prompt is the instruction itself
    return f"As an AI language model, I cannot answer this: {prompt}"


@pytest.fixture
def default_spec(tmp_path: Path) -> Path:
    folder = tmp_path / "spec"
    shutil.copytree(DEFAULT_SPEC, folder)
    return folder / "pipeline.yaml"


def test_no_known_bad_answer_reaches_the_default_mixture(
    dagster_home: Path, default_spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub(bad_answer) as stub:
        spec = yaml.safe_load(default_spec.read_text())
        spec["teachers"]["smollm2"] = {"model": "openai/stub", "api_base": stub.base_url,
                                       "api_key_env": "STUB_TEACHER_KEY", "concurrency": 4}
        # The stub's bad answers are repetitive on purpose: the diversity gates would stop
        # the run before verification, which is what this test is about.
        spec["quality"].update(min_distinct_2=0.0, max_duplicate_share=1.0)
        spec["contamination"]["semantic"] = {"backend": "tfidf"}
        default_spec.write_text(yaml.safe_dump(spec, sort_keys=False))
        monkeypatch.setenv("SYNTH_SPEC", str(default_spec))
        monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
        with dg.DagsterInstance.get() as instance:
            runs = run_pipeline(instance)
    assert runs.success
    asked = [r["messages"][-1]["content"] for r in stub.requests]
    assert any("Write a very short story" in p for p in asked)
    assert any("Rewrite an instruction" in p for p in asked)
    lines = (dagster_home / "exports" / "starter_mix" / "data.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    synthetic = [row for row in rows if row["source_kind"] == "synthetic"]
    assert synthetic, "the correct math answers are exported"
    for row in synthetic:
        text = json.dumps(row)
        assert not [bad for bad in KNOWN_BAD if bad in text], row
        assert "The answer is" in text and "Working through" in text, row
