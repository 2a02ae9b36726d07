"""A small pipeline spec whose teacher is a local OpenAI-compatible stub with chosen answers:
some right, some wrong, some code that fails its tests, one answer copying a GSM8K test item."""

import json
import os
import random
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import yaml

from synth_assets.definitions import defs
from synth_assets.runs.runner import PipelineRuns, run_days
from synth_assets.spec import load_spec
from synth_assets.teacher.requests import sampling_seed
from tests.conftest import GSM8K_TEST, write_jsonl

TEST_DAY = "2026-11-20"  # the day partition the pipeline tests generate
# The sampling seed of a prompt's first sample, unpartitioned and on TEST_DAY.
FIRST_SAMPLE_SEEDS = {sampling_seed(0), sampling_seed(0, TEST_DAY)}

MATH_SEEDS = [
    {"question": "Ann has 3 boxes with 4 pens each. How many pens does she have?", "answer": "12"},
    {"question": "A train goes 60 km per hour for 2 hours. How far does it go in km?",
     "answer": "120"},
    {"question": "Tom had 10 apples and ate 3. How many apples are left?", "answer": "7"},
]
CODE_SEEDS = [
    {"prompt": "def add(a: int, b: int) -> int:\n    \"\"\"Return a + b.\"\"\"\n",
     "entry_point": "add",
     "tests": ("def check(candidate):\n    assert candidate(2, 3) == 5\n"
               "    assert candidate(-1, 1) == 0\n")},
    {"prompt": "def double(x: int) -> int:\n    \"\"\"Return twice x.\"\"\"\n",
     "entry_point": "double",
     "tests": "def check(candidate):\n    assert candidate(4) == 8\n"},
]
INSTRUCTION_SEEDS = [
    {"instruction": "Explain why the sky looks blue."},
    {"instruction": "Say hi."},
]
REAL_RECORDS = [
    {"instruction": f"Real question number {i}?", "response": f"A real, human-written answer {i}.",
     "domain": ["math", "code", "general"][i % 3], "license": "CC0-1.0"}
    for i in range(10)
]


def first_gsm8k_test_question() -> str:
    with (GSM8K_TEST).open() as handle:
        return json.loads(handle.readline())["question"]


def stub_answer(request: dict) -> str:
    """The stub teacher: right, wrong or contaminated depending on the prompt and sample seed."""
    prompt = request["messages"][-1]["content"]
    first_sample = request.get("seed", 0) in FIRST_SAMPLE_SEEDS
    if "Ann has 3 boxes" in prompt:
        if first_sample:
            return f"Similar to: {first_gsm8k_test_question()} Anyway, 3*4=12. The answer is 12."
        return "Three boxes of four pens: 3 x 4 = 12 pens. The answer is 12."
    if "train goes 60 km" in prompt:
        return "60 + 2 = 62. The answer is 62."
    if "Tom had 10 apples" in prompt:
        return "10 - 3 = 7. The answer is 7." if first_sample else "The answer is 13."
    if "def add" in prompt:
        return "```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```"
    if "def double" in prompt:
        return "```python\ndef double(x: int) -> int:\n    return x + 2\n```"
    if "sky" in prompt:
        return ("Sunlight scatters off air molecules; blue light scatters most because of its "
                "short wavelength, so the sky looks blue.")
    return "Hi"


def varied_answer(request: dict) -> str:
    """stub_answer after a sentence drawn from the sampling seed, so that the samples of
    different days differ as a real teacher's do (and survive deduplication)."""
    words = random.Random(request.get("seed", 0)).choices(VOCABULARY, k=12)
    return f"{' '.join(words).capitalize()}.\n\n{stub_answer(request)}"


VOCABULARY = ("apple river quiet number basket orange travel window seven garden candle "
              "market silver pencil morning ladder forest bright yellow engine").split()


# Stage by stage, what the stub answers above must produce.
EXPECTED = {
    "seeds": 7,
    "generations": 10,          # 3 math x 2 samples + 2 code + 2 instructions
    "verified": 5,              # Ann x2, Tom sample 0, add, sky
    "contaminated": 1,          # Ann sample 0 quotes a GSM8K test item
    "clean": 4,
    "mixture_synthetic": 4,
    "mixture_real": 4,          # real_fraction 0.5
}


def write_pipeline_spec(folder: Path, api_base: str, **quality: float) -> Path:
    write_jsonl(folder / "seeds" / "math.jsonl", MATH_SEEDS)
    write_jsonl(folder / "seeds" / "code.jsonl", CODE_SEEDS)
    write_jsonl(folder / "seeds" / "instructions.jsonl", INSTRUCTION_SEEDS)
    write_jsonl(folder / "real" / "real.jsonl", REAL_RECORDS)
    spec = {
        "version": 1,
        "seed_sets": {
            "math": {"path": "seeds/math.jsonl", "kind": "math"},
            "code": {"path": "seeds/code.jsonl", "kind": "code"},
            "chat": {"path": "seeds/instructions.jsonl", "kind": "instruction"},
        },
        "teachers": {
            "stub": {"model": "openai/stub-teacher", "api_base": api_base,
                     "api_key_env": "STUB_TEACHER_KEY", "max_tokens": 64, "concurrency": 4},
        },
        "recipes": {
            "math_cot": {"seed_set": "math", "teacher": "stub", "domain": "math",
                         "samples_per_seed": 2, "template": "Solve: {{ question }}",
                         "verifiers": ["math_answer"]},
            "code": {"seed_set": "code", "teacher": "stub", "domain": "code",
                     "template": "Complete:\n{{ prompt }}", "verifiers": ["python_tests"]},
            "chat": {"seed_set": "chat", "teacher": "stub", "domain": "general",
                     "template": "{{ instruction }}", "verifiers": ["length"]},
        },
        "verifiers": {
            "math_answer": {"type": "math_answer"},
            "python_tests": {"type": "python_tests", "options": {"timeout_s": 10}},
            "length": {"type": "length", "options": {"min_chars": 20, "max_chars": 2000}},
        },
        "benchmarks": {
            "humaneval": {"type": "humaneval"},
            "gsm8k_test": {"type": "file", "path": str(GSM8K_TEST),
                           "question_field": "question"},
        },
        # TF-IDF, not the MiniLM model: embedding GSM8K test is the accuracy tests' job.
        "contamination": {"ngram_n": 13, "max_contaminated_rate": 0.5,
                          "semantic": {"backend": "tfidf"}},
        "real_sources": {"human": {"path": "real/real.jsonl"}},
        "mixtures": {
            "mix": {"recipes": ["math_cot", "code", "chat"], "real_sources": ["human"],
                    "real_fraction": 0.5, "seed": 7},
        },
        "quality": {"min_pass_rate": 0.2, **quality},
    }
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def run_pipeline(instance: dg.DagsterInstance, days: Sequence[str] = (TEST_DAY,)
                 ) -> PipelineRuns:
    """What `synth run` does, for the spec SYNTH_SPEC names."""
    return run_days(instance, defs, load_spec(os.environ["SYNTH_SPEC"]), days)
