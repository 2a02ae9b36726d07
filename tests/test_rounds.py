"""Two rounds through the real pipeline: persona-rewritten math problems (round 1) are
verified, then recomputed by program-of-thought (round 2) from their verified records, and
every round-2 record links back to its round-1 parent."""

import json
from pathlib import Path

import dagster as dg
import pytest
import yaml

from synth_assets.definitions import defs
from synth_assets.lineage.history import lineage_chain
from synth_assets.lineage.store import LineageStore
from tests.conftest import write_jsonl
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import MATH_SEEDS, REAL_RECORDS

PERSONA_ANSWERS = {
    "Ann has 3 boxes": "Problem: A beekeeper fills 3 crates with 4 jars each. How many jars?\n"
                       "Solution: 3 * 4 = 12 jars. The answer is 12.",
    "train goes 60 km": "Problem: A courier rides 20 km per hour for 3 hours. How far?\n"
                        "Solution: 20 * 3 = 60 km. The answer is 60.",
    "Tom had 10 apples": "I like apples.",   # no Problem/Solution: fails the format check
}
PROGRAMS = {
    "beekeeper fills 3 crates": "```python\ndef solution():\n    return 3 * 4\n```",
    "courier rides 20 km": "```python\ndef solution():\n    return 20 + 3\n```",  # wrong
}


def stub_answer(request: dict) -> str:
    prompt = request["messages"][-1]["content"]
    for cue, answer in {**PERSONA_ANSWERS, **PROGRAMS}.items():
        if cue in prompt:
            return answer
    raise AssertionError(f"unexpected prompt: {prompt}")


def write_spec(folder: Path, api_base: str) -> Path:
    write_jsonl(folder / "math.jsonl", MATH_SEEDS)
    write_jsonl(folder / "real.jsonl", REAL_RECORDS)
    spec = {
        "version": 1,
        "seed_sets": {"math": {"path": "math.jsonl", "kind": "math"}},
        "teachers": {"stub": {"model": "openai/stub", "api_base": api_base,
                              "api_key_env": "STUB_TEACHER_KEY"}},
        "recipes": {
            "persona": {"builtin": "persona_math", "seed_set": "math", "teacher": "stub"},
            "recomputed": {"builtin": "program_of_thought", "teacher": "stub",
                           "seeds_from": {"recipe": "persona"}},
        },
        "benchmarks": {"humaneval": {"type": "humaneval"}},
        "real_sources": {"human": {"path": "real.jsonl"}},
        "mixtures": {"mix": {"recipes": ["persona", "recomputed"], "real_sources": ["human"],
                             "real_fraction": 0.5}},
    }
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def generations(store: LineageStore, recipe: str) -> list[dict]:
    with store.connection() as conn:
        return conn.execute(
            "SELECT generation_id, prompt_id, seed_id FROM generations WHERE recipe = ? "
            "ORDER BY generation_id", [recipe]).df().to_dict(orient="records")


def test_round_two_reads_verified_round_one_records_and_links_to_them(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LineageStore(dagster_home / "synth.duckdb")
    with OpenAIStub(stub_answer) as stub:
        monkeypatch.setenv("SYNTH_SPEC", str(write_spec(tmp_path / "spec", stub.base_url)))
        monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test")
        job = defs.resolve_job_def("full_pipeline")
        with dg.DagsterInstance.get() as instance:
            first = job.execute_in_process(instance=instance, raise_on_error=False)
            assert first.success
            # Nothing was verified before this run, so round 2 had no seeds yet.
            assert len(generations(store, "persona")) == 3
            assert generations(store, "recomputed") == []
            second = job.execute_in_process(instance=instance, raise_on_error=False)
    assert second.success
    assert len(stub.requests) == 3 + 2   # round 1 once (cached after), round 2 for 2 parents

    round_two = generations(store, "recomputed")
    assert len(round_two) == 2
    verified = second.asset_materializations_for_node("verified_subsets")[0].metadata
    per_recipe = verified["per_recipe"].value
    assert "| recomputed | 2 | 1 |" in per_recipe, per_recipe   # the wrong program fails

    persona_ids = {row["generation_id"] for row in generations(store, "persona")}
    for row in round_two:
        chain = lineage_chain(store, row["generation_id"])
        prompt = next(node for node in chain if node["record_id"] == row["prompt_id"])
        assert json.loads(prompt["details"])["round"] == 2
        parents = [node for node in chain
                   if node["kind"] == "generation" and node["record_id"] in persona_ids]
        assert len(parents) == 1, "each round-2 record links to one round-1 generation"
        assert "derived_from" in next(
            node["reached_by"] for node in chain if node["record_id"] == parents[0]["record_id"])
        round_one_prompt = [node for node in chain if node["kind"] == "prompt"
                            and json.loads(node["details"])["round"] == 1]
        assert "persona" in json.loads(round_one_prompt[0]["details"])["attributes"]
        original = [node for node in chain if node["kind"] == "seed"
                    and json.loads(node["details"])["seed_set"] == "math"]
        assert len(original) == 1, "the chain reaches the seed set's own seed"
