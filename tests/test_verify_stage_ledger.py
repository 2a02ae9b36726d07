"""verified_subsets as a ledger: thresholds re-select without re-running, a verifier's new
version re-runs only it, an LLM judge goes through the teacher cache, duplicates are dropped and
linked. Real stages on a real DuckDB file, the teacher a local OpenAI-compatible stub."""

from pathlib import Path

import pytest
import yaml

from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.spec.default_filters import DEFAULT_FILTERS
from synth_assets.stages.seed_stage import run_seed_stage
from synth_assets.stages.teacher_stage import run_teacher_stage
from synth_assets.stages.verify_stage import VerifyStageResult, run_verify_stage
from tests.conftest import write_jsonl
from tests.openai_stub import OpenAIStub

# The ledger is tested on the verifiers each recipe names; the default filters would add theirs.
ALL_FILTERS = list(DEFAULT_FILTERS)
SKY = ("Sunlight is scattered by the molecules of the air, and blue light, with its short "
       "wavelength, is scattered the most, so the sky looks blue from every direction.")


def teacher_answer(request: dict) -> str:
    prompt = request["messages"][-1]["content"]
    sample = request.get("seed", 0)
    if "[Response]" in prompt:  # the LLM judge
        return "Clear and correct.\nScore: 9" if "scattered" in prompt else "Wrong.\nScore: 2"
    if "pens" in prompt:  # no gold answer: 12, 12, 13
        return "The answer is 13." if sample == 2 else "3 * 4 = 12. The answer is 12."
    if "apples" in prompt:  # no gold answer: all agree
        return "10 - 3 = 7. The answer is 7."
    if "sky" in prompt.lower():
        return SKY
    return "I do not know."


def write_spec(folder: Path, api_base: str, instructions: list[str], **overrides) -> Path:
    write_jsonl(folder / "math.jsonl", [
        {"question": "Ann has 3 boxes with 4 pens each. How many pens?"},
        {"question": "Tom had 10 apples and ate 3. How many apples are left?"},
    ])
    write_jsonl(folder / "chat.jsonl", [{"instruction": text} for text in instructions])
    spec = {
        "seed_sets": {"math": {"path": "math.jsonl", "kind": "math"},
                      "chat": {"path": "chat.jsonl", "kind": "instruction"}},
        "teachers": {"stub": {"model": "openai/stub", "api_base": api_base,
                              "api_key_env": "STUB_TEACHER_KEY", "concurrency": 4}},
        "recipes": {
            "math": {"seed_set": "math", "teacher": "stub", "domain": "math",
                     "samples_per_seed": 3, "template": "{{ question }}",
                     "verifiers": ["math_answer", "length"], "skip_filters": ALL_FILTERS},
            "chat": {"seed_set": "chat", "teacher": "stub", "domain": "general",
                     "samples_per_seed": 2, "template": "{{ instruction }}",
                     "verifiers": ["judge"], "skip_filters": ALL_FILTERS},
        },
        "verifiers": {
            "math_answer": {"type": "math_answer"},
            "length": {"type": "length", "options": {"min_chars": 5}},
            "judge": {"type": "llm_judge", "options": {"teacher": "stub"}},
        },
    }
    for path, value in overrides.items():  # "verifiers.length.options": {...}
        *parents, last = path.split(".")
        node = spec
        for key in parents:
            node = node[key]
        node[last] = value
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def run(store: LineageStore, spec_path: Path) -> VerifyStageResult:
    loaded = load_spec(spec_path)
    seeds = run_seed_stage(store, loaded)
    teacher = run_teacher_stage(store, loaded, seeds.seeds, log=lambda _: None)
    return run_verify_stage(store, loaded, teacher.snapshot_id, log=lambda _: None)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(teacher_answer) as server:
        yield server


def chat_ids(store: LineageStore) -> set[str]:
    with store.connection() as conn:
        return set(conn.execute(
            "SELECT generation_id FROM generations WHERE recipe = 'chat'").df()["generation_id"])


def members(store: LineageStore, snapshot_id: str) -> set[str]:
    return set(store.query_frame("snapshot_member_ids", snapshot_id=snapshot_id)["record_id"])


def test_thresholds_reselect_without_rerunning_and_versions_rerun_one_verifier(
    stub: OpenAIStub, tmp_path: Path
) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    instructions = ["Explain why the sky looks blue.", "What is the capital of Mars?"]
    first = run(store, write_spec(tmp_path, stub.base_url, instructions))
    # math: pens 12,12,13 -> 2 admitted (agreement 2/3), apples 7,7,7 -> 3 (agreement 1);
    # chat: sky x2 judged 9/10 -> admitted, Mars x2 judged 2/10 -> not. Samples with the same
    # text answer the same prompt: exact duplicates, one of each kept (1 pens, 1 apples, 1 sky).
    assert first.newly_run == {"math_answer": 6, "length": 6, "judge": 4}
    assert first.duplicates == 1 + 2 + 1
    assert first.passed == 3
    calls = len(stub.requests)

    stricter = run(store, write_spec(tmp_path, stub.base_url, instructions,
                                     **{"verifiers.math_answer.min_score": 0.9,
                                        "verifiers.judge.min_score": 0.95}))
    assert stricter.newly_run == {}
    assert len(stub.requests) == calls  # neither the teacher nor the judge was asked again
    assert stricter.passed == 1  # only the unanimous apples samples (deduplicated)

    new_length = run(store, write_spec(tmp_path, stub.base_url, instructions,
                                       **{"verifiers.length.options": {"min_chars": 6}}))
    assert new_length.newly_run == {"length": 6}
    assert new_length.snapshot_id == first.snapshot_id  # same selection as the first run
    assert len(stub.requests) == calls


def test_verdicts_keep_version_evidence_and_the_judges_raw_answer(
    stub: OpenAIStub, tmp_path: Path
) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    run(store, write_spec(tmp_path, stub.base_url, ["Explain why the sky looks blue."]))
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT verifier, verifier_version, passed, score, reason, evidence, duration_s "
            "FROM verdicts ORDER BY verifier, evidence"
        ).df()
        judged_by = conn.execute(
            "SELECT count(*) FROM edges JOIN teacher_calls ON call_id = parent_id "
            "WHERE relation = 'judged_by'").fetchone()[0]
    judge = rows[rows["verifier"] == "judge"]
    assert list(judge["evidence"]) == ["Clear and correct.\nScore: 9"] * 2
    assert list(judge["score"]) == [0.9, 0.9]
    assert list(judge["reason"]) == ["judge score 9/10"] * 2
    assert judged_by == 2
    math = rows[rows["verifier"] == "math_answer"]
    assert "extracted=13 majority=12 agreement=2/3" in set(math["evidence"])
    assert (rows["duration_s"] >= 0).all()
    assert rows["verifier_version"].str.match(r"^\d+\+[0-9a-f]{8}$").all()


def test_duplicates_of_earlier_materializations_are_dropped_and_linked(
    stub: OpenAIStub, tmp_path: Path
) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    first = run(store, write_spec(tmp_path / "a", stub.base_url,
                                  ["Explain why the sky looks blue."]))
    kept = members(store, first.snapshot_id)
    # Punctuation-only and near-identical wordings of the same question, same answer.
    later = run(store, write_spec(tmp_path / "b", stub.base_url, [
        "Explain why the sky looks blue!",
        "Please explain why the sky looks blue.",
    ]))
    chat = later.per_recipe.set_index("recipe").loc["chat"]
    assert (chat["judged"], chat["passed"], chat["duplicates"]) == (4, 0, 4)
    with store.connection() as conn:
        edges = conn.execute(
            "SELECT child_id, parent_id FROM edges WHERE relation = 'duplicate_of'").df()
    assert set(edges["parent_id"]) <= kept  # every duplicate points at the earliest record
    assert set(edges["child_id"]) >= chat_ids(store) - kept  # every later chat generation

    off = run(store, write_spec(tmp_path / "b", stub.base_url, [
        "Explain why the sky looks blue!", "Please explain why the sky looks blue."],
        **{"dedup": {"enabled": False}}))
    assert off.duplicates == 0
    assert off.per_recipe.set_index("recipe").loc["chat", "passed"] == 4


def test_a_failed_judge_call_stores_no_verdict_and_admits_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.openai_stub import StubReply

    def answer(request: dict):
        if "[Response]" in request["messages"][-1]["content"]:
            return StubReply(status=400, content="bad request")
        return teacher_answer(request)

    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    store = LineageStore(tmp_path / "synth.duckdb")
    with OpenAIStub(answer) as server:
        result = run(store, write_spec(tmp_path, server.base_url, ["Explain the blue sky."]))
    assert result.judge_failures == 2
    assert "judge" not in result.newly_run or result.newly_run["judge"] == 0
    chat = result.per_recipe.set_index("recipe").loc["chat"]
    assert chat["passed"] == 0


@pytest.mark.parametrize(("overrides", "message"), [
    ({"verifiers.length.options": {"min_chars": -1}},
     r"verifiers\.length\.options: length min_chars must be an int >= 0"),
    ({"verifiers.judge.options": {"teacher": "nobody"}},
     r"verifiers\.judge\.options\.teacher: unknown teacher 'nobody'"),
    ({"verifiers.math_answer.min_score": 1.5},
     r"verifiers\.math_answer\.min_score: Input should be less than or equal to 1"),
    ({"dedup": {"threshold": 0}}, r"dedup\.threshold: Input should be greater than 0"),
])
def test_bad_verifier_settings_fail_when_the_spec_loads(
    tmp_path: Path, overrides: dict, message: str
) -> None:
    from synth_assets.spec.load import SpecError

    path = write_spec(tmp_path, "http://127.0.0.1:9", ["hi"], **overrides)
    with pytest.raises(SpecError, match=rf"pipeline\.yaml:\d+: {message}"):
        load_spec(path)
