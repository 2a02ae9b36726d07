"""`synth verify RECIPE FILE`: a recipe's verifiers over a JSONL file of candidates give the
verdicts verified_subsets gives the same answers (parser, attributes, self-consistency across
samples, an LLM judge through the stub, min_score), write no store, and bad input names the file
and line and verifies nothing."""

import json
import re
from pathlib import Path

import pytest
import yaml

from synth_assets.cli import main
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.stages.seed_stage import run_seed_stage
from synth_assets.stages.teacher_stage import run_teacher_stage
from synth_assets.stages.verify_file import read_candidates
from synth_assets.stages.verify_stage import _plan, run_verify_stage
from tests.conftest import write_jsonl
from tests.openai_stub import OpenAIStub
from tests.test_verify_stage_ledger import teacher_answer

PERSONA_PROBLEM = ("Problem: A beekeeper has 2 hives with 5 frames each. How many frames?\n"
                   "Solution: 2 * 5 = 10. The answer is 10.")


def answer(request: dict) -> str:
    prompt = request["messages"][-1]["content"]
    if prompt.startswith("Rewrite for"):
        return PERSONA_PROBLEM if "pens" in prompt else "I like apples."  # no sections
    return teacher_answer(request)


def write_spec(folder: Path, api_base: str) -> Path:
    write_jsonl(folder / "math.jsonl", [
        {"question": "Ann has 3 boxes with 4 pens each. How many pens?"},
        {"question": "Tom had 10 apples and ate 3. How many apples are left?"},
    ])
    write_jsonl(folder / "chat.jsonl", [{"instruction": "Explain why the sky looks blue."},
                                        {"instruction": "What is the capital of Mars?"}])
    spec = {
        "seed_sets": {"math": {"path": "math.jsonl", "kind": "math"},
                      "chat": {"path": "chat.jsonl", "kind": "instruction"}},
        "teachers": {"stub": {"model": "openai/stub", "api_base": api_base,
                              "api_key_env": "STUB_TEACHER_KEY", "concurrency": 4}},
        "recipes": {
            "math": {"seed_set": "math", "teacher": "stub", "domain": "math",
                     "samples_per_seed": 3, "template": "{{ question }}",
                     "verifiers": ["math_answer", "length"]},
            "chat": {"seed_set": "chat", "teacher": "stub", "domain": "general",
                     "template": "{{ instruction }}", "verifiers": ["judge"]},
            "persona": {
                "seed_set": "math", "teacher": "stub", "domain": "math",
                "attributes": {"persona": {"values": ["a beekeeper", "a night nurse"]}},
                "template": "Rewrite for {{ persona }}: {{ question }}",
                "parser": {"type": "sections",
                           "options": {"sections": ["Problem", "Solution"],
                                       "final_answer_from": "Solution"}},
                "record": {"question": "{{ problem }}", "instruction": "{{ problem }}",
                           "response": "{{ solution }}"},
                "verifiers": ["format", "length"]},
        },
        "verifiers": {
            "math_answer": {"type": "math_answer", "min_score": 0.9},
            "length": {"type": "length", "options": {"min_chars": 20}},
            "format": {"type": "format"},
            "judge": {"type": "llm_judge", "options": {"teacher": "stub"}, "min_score": 0.85},
        },
    }
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(answer) as server:
        yield server


def stored_generations(store: LineageStore, recipe: str) -> list[dict]:
    with store.connection() as conn:
        return conn.execute(
            "SELECT g.generation_id, s.payload AS seed, a.attributes, g.text AS response "
            "FROM generations g JOIN seeds s USING (seed_id) "
            "JOIN prompt_attributes a USING (prompt_id) WHERE g.recipe = ? "
            "ORDER BY g.seed_id, g.sample_index", [recipe]).df().to_dict(orient="records")


def stored_verdicts(store: LineageStore) -> dict[tuple[str, str], tuple[float, str]]:
    with store.connection() as conn:
        rows = conn.execute("SELECT generation_id, verifier, score, reason FROM verdicts")
        return {(gid, verifier): (score, reason)
                for gid, verifier, score, reason in rows.fetchall()}


def test_synth_verify_gives_the_verify_stages_verdicts_and_writes_no_store(
    stub: OpenAIStub, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    spec_path = write_spec(tmp_path, stub.base_url)
    loaded = load_spec(spec_path)
    store = LineageStore(tmp_path / "synth.duckdb")
    teacher = run_teacher_stage(store, loaded, run_seed_stage(store, loaded).seeds,
                                log=lambda _: None)
    result = run_verify_stage(store, loaded, teacher.snapshot_id, log=lambda _: None)
    stage_rejections = {(row.generation_id, row.verifier): row.reason
                        for row in result.rejections.itertuples() if row.verifier != "dedup"}
    verdicts = stored_verdicts(store)
    rows_before = store.query_frame("table_row_counts")
    databases_before = sorted(tmp_path.rglob("*.duckdb*"))
    calls_before = len(stub.requests)

    # the stage's candidates carry their prompt's attributes too
    planned = _plan(loaded, store.query_frame("generations_to_verify",
                                              snapshot_id=teacher.snapshot_id))
    persona = [j.candidate for j in planned if j.candidate.prompt.startswith("Rewrite for")]
    assert persona and all(c.attributes["persona"] in ("a beekeeper", "a night nurse")
                           for c in persona)
    assert all(j.candidate.attributes == {} for j in planned if j.candidate not in persona)

    compared = 0
    for recipe in ("math", "chat", "persona"):
        generations = stored_generations(store, recipe)
        path = write_jsonl(tmp_path / "candidates" / f"{recipe}.jsonl", [
            {"seed": json.loads(g["seed"]), "attributes": json.loads(g["attributes"]),
             "response": g["response"]} for g in generations])
        capsys.readouterr()
        assert main(["verify", recipe, str(path), "--spec", str(spec_path)]) == 0
        out = capsys.readouterr()
        lines = [json.loads(line) for line in out.out.splitlines()]
        assert [line["line"] for line in lines] == list(range(1, len(generations) + 1))
        for generation, line in zip(generations, lines, strict=True):
            gid = generation["generation_id"]
            rejected = {v for (g, v) in stage_rejections if g == gid}
            assert line["passed"] == (not rejected), (recipe, line)
            for verifier, verdict in line["verifiers"].items():
                score, reason = verdicts[(gid, verifier)]
                assert verdict["score"] == pytest.approx(score)
                assert verdict["passed"] == (verifier not in rejected)
                assert verdict["reason"] == stage_rejections.get((gid, verifier), reason)
                compared += 1
        assert f"of {len(generations)} candidates admitted" in out.err
    assert compared == 6 * 2 + 2 + 2 * 2
    # the thresholds and the parser were applied: some of each recipe failed, some passed
    assert {v for (_, v) in stage_rejections} == {"math_answer", "judge", "format", "length"}
    assert store.query_frame("table_row_counts").equals(rows_before)
    assert sorted(tmp_path.rglob("*.duckdb*")) == databases_before
    assert len(stub.requests) == calls_before + 2   # the judge was asked about both chats


def test_candidates_carry_the_attributes_and_the_parsed_record(stub: OpenAIStub,
                                                               tmp_path: Path) -> None:
    loaded = load_spec(write_spec(tmp_path, stub.base_url))
    path = write_jsonl(tmp_path / "persona.jsonl", [
        {"seed": {"question": "Ann has 3 boxes with 4 pens each. How many pens?"},
         "attributes": {"persona": "a beekeeper"}, "response": PERSONA_PROBLEM},
        {"seed": {"question": "Ann has 3 boxes with 4 pens each. How many pens?"},
         "attributes": {"persona": "a beekeeper"}, "response": "Sure! Here it is."},
    ])
    good, bad = (c.candidate for c in read_candidates(loaded, "persona", path))
    assert good.attributes == {"persona": "a beekeeper"}
    assert good.prompt == "Rewrite for a beekeeper: Ann has 3 boxes with 4 pens each. How many " \
                          "pens?"
    assert good.seed["question"].startswith("A beekeeper has 2 hives")   # the record's field
    assert good.seed["answer"] == "10" and good.parse_error is None
    assert bad.parse_error == "missing section(s): Problem, Solution"
    assert good.siblings == bad.siblings == (PERSONA_PROBLEM, "Sure! Here it is.")


GOOD_MATH = {"seed": {"question": "Ann has 3 boxes with 4 pens each. How many pens?",
                      "answer": "12"}, "response": "3 * 4 = 12. The answer is 12."}


@pytest.mark.parametrize(("recipe", "second_line", "message"), [
    ("math", '{"seed": {"question": "x?"}, "response": ', r"math\.jsonl:2: invalid JSON"),
    ("math", '["seed", "response"]', r"math\.jsonl:2: each line must be a JSON object"),
    ("math", '{"seed": {"question": "x?"}}', r"math\.jsonl:2: missing field\(s\): response"),
    ("math", '{"seed": {"answer": "3"}, "response": "3"}',
     r"math\.jsonl:2: seed needs non-empty text field\(s\) question \(math seeds\)"),
    ("math", '{"seed": "What is 1+2?", "response": "3"}',
     r"math\.jsonl:2: seed must be a JSON object"),
    ("math", '{"seed": {"question": "x?"}, "response": 3}',
     r"math\.jsonl:2: response must be a string"),
    ("persona", '{"seed": {"question": "x?"}, "response": "y"}',
     r"math\.jsonl:2: missing field\(s\): attributes"),
    ("persona", '{"seed": {"question": "x?"}, "attributes": {"mood": "calm"}, "response": "y"}',
     r"math\.jsonl:2: attributes lack persona \(the recipe samples persona\)"),
    ("chat", '{"seed": {"question": "x?"}, "response": "y"}',
     r"math\.jsonl:2: seed needs non-empty text field\(s\) instruction"),
    ("nope", json.dumps(GOOD_MATH), r"unknown recipe 'nope' in .*pipeline\.yaml; recipes: "
                                    r"chat, math, persona"),
])
def test_bad_input_names_the_file_and_line_and_verifies_nothing(
    stub: OpenAIStub, tmp_path: Path, capsys: pytest.CaptureFixture, recipe: str,
    second_line: str, message: str
) -> None:
    spec_path = write_spec(tmp_path, stub.base_url)
    # the first line is fine for math and chat, and would call the judge for chat
    first = {**GOOD_MATH, "seed": {**GOOD_MATH["seed"], "instruction": "Say hi."},
             "attributes": {"persona": "a beekeeper"}}
    path = tmp_path / "math.jsonl"
    path.write_text(json.dumps(first) + "\n" + second_line + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", recipe, str(path), "--spec", str(spec_path)]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith("synth verify: ")
    assert re.search(message, out.err), out.err
    assert stub.requests == []


def test_empty_missing_and_unknown_files_fail_before_verifying(
    stub: OpenAIStub, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    spec_path = write_spec(tmp_path, stub.base_url)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    assert main(["verify", "math", str(empty), "--spec", str(spec_path)]) == 2
    assert "empty.jsonl: no candidates: the file is empty" in capsys.readouterr().err
    assert main(["verify", "math", str(tmp_path / "absent.jsonl"), "--spec",
                 str(spec_path)]) == 2
    assert "absent.jsonl: cannot read file" in capsys.readouterr().err
    assert main(["verify", "math", str(empty), "--spec", str(tmp_path / "no.yaml")]) == 2
    assert "no.yaml: cannot read spec" in capsys.readouterr().err
