"""Two rounds through the real pipeline: persona-rewritten math problems (round 1) are
verified, then recomputed by program-of-thought (round 2) from their verified records of the
same day, and every round-2 record links back to its round-1 parent."""

import json
import re
from pathlib import Path

import dagster as dg
import pytest
import yaml

from synth_assets.definitions import defs
from synth_assets.defs.automation import next_round_sensor
from synth_assets.defs.partitions import partition_key, register_recipes
from synth_assets.defs.resources import SynthStore
from synth_assets.lineage.history import lineage_chain
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from tests.conftest import write_jsonl
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import MATH_SEEDS, REAL_RECORDS, TEST_DAY, run_pipeline

# Round-1 answers, about whichever persona the prompt sampled: a problem with new numbers,
# a worked solution and a program that recomputes its answer (the built-in's checks).
PERSONA_ANSWERS = {
    "Ann has 3 boxes": "Problem: {persona} fills 5 crates with 4 jars each. How many jars?\n"
                       "Solution: 5 * 4 = 20 jars. The answer is 20.\n"
                       "Program:\n```python\ndef solution():\n    return 5 * 4\n```",
    "train goes 60 km": "Problem: {persona} rides 20 km per hour for 3 hours. How far?\n"
                        "Solution: 20 * 3 = 60 km. The answer is 60.\n"
                        "Program:\n```python\ndef solution():\n    return 20 * 3\n```",
    "Tom had 10 apples": "I like apples.",   # no Problem/Solution: fails the format check
}
PROGRAMS = {
    "fills 5 crates": "```python\ndef solution():\n    return 5 * 4\n```",
    "rides 20 km": "```python\ndef solution():\n    return 20 + 3\n```",  # wrong
}
_PERSONA = re.compile(r"everyday life of (.+?)\.\s*$", re.MULTILINE)


def stub_answer(request: dict) -> str:
    prompt = request["messages"][-1]["content"]
    persona = _PERSONA.search(prompt)
    for cue, answer in {**PERSONA_ANSWERS, **PROGRAMS}.items():
        if cue in prompt:
            return answer.format(persona=persona[1].capitalize()) if persona else answer
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


def generation_ids(store: LineageStore, recipe: str) -> list[str]:
    return [row["generation_id"] for row in generations(store, recipe)]


def test_round_two_reads_verified_round_one_records_and_links_to_them(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LineageStore(dagster_home / "synth.duckdb")
    with OpenAIStub(stub_answer) as stub:
        monkeypatch.setenv("SYNTH_SPEC", str(write_spec(tmp_path / "spec", stub.base_url)))
        monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test")
        with dg.DagsterInstance.get() as instance:
            runs = run_pipeline(instance)
    assert runs.success
    # Round 1's partition of the day runs first, so round 2 reads what it verified.
    assert [name for name, _ in runs.runs] == [f"{TEST_DAY} persona", f"{TEST_DAY} recomputed",
                                               "publish"]
    assert len(stub.requests) == 3 + 2   # round 1, then round 2 for its 2 verified parents
    assert len(generations(store, "persona")) == 3

    round_two = generations(store, "recomputed")
    assert len(round_two) == 2
    verified = runs.runs[1][1].asset_materializations_for_node("verified_subsets")[0].metadata
    per_recipe = verified["per_recipe"].value
    assert "| recomputed | 2 | 1 |" in per_recipe, per_recipe   # the wrong program fails
    # each rejection is named: which verifier, which record, why
    [(verifier, count)] = verified["rejected_per_verifier"].value.items()
    assert count == 1 and "python_tests" in verifier
    examples = verified["rejected_examples"].value
    wrong = next(gid for gid in generation_ids(store, "recomputed") if gid in examples)
    assert f"| {wrong} | recomputed | {verifier} |" in examples, examples
    round_one = runs.runs[0][1].asset_materializations_for_node("verified_subsets")[0].metadata
    # the answer without the recipe's format has no record, so the built-in's record checks
    # reject it too
    assert round_one["rejected_per_verifier"].value == {"format": 1, "persona": 1,
                                                        "worked_solution": 1}
    assert "does not have its recipe's format" in round_one["rejected_examples"].value

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


def test_next_round_sensor_starts_round_two_of_the_day_round_one_was_verified(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub(stub_answer) as stub:
        spec = write_spec(tmp_path / "spec", stub.base_url)
        monkeypatch.setenv("SYNTH_SPEC", str(spec))
        monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test")
        resources = {"synth": SynthStore(spec_path=str(spec))}
        with dg.DagsterInstance.get() as instance:
            def tick(cursor: str | None) -> dg.SensorResult:
                context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                                  resources=resources,
                                                  repository_def=defs.get_repository_def())
                # The daemon evaluates with the instance's partitions in reach; so does this.
                with dg.partition_loading_context(dynamic_partitions_store=instance):
                    return next_round_sensor.evaluate_tick(context)

            start = tick(None)
            assert start.run_requests == [] and "from now on" in start.skip_message
            register_recipes(instance, load_spec(spec))
            generate = defs.resolve_job_def("generate")
            assert generate.execute_in_process(
                instance=instance, partition_key=partition_key(TEST_DAY, "persona")).success
            after = tick(start.cursor)
            assert tick(after.cursor).run_requests == []  # each materialization once
    [request] = after.run_requests
    assert request.partition_key == partition_key(TEST_DAY, "recomputed")
    assert request.tags["synth/after"] == f"{TEST_DAY}|persona"
    assert next_round_sensor.job_name == "generate"
