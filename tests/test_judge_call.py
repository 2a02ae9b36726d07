"""Both LLM judges, the verifier's `llm_judge` and the contamination stage's judge, ask through
the one judge call (synth_assets.teacher.judge): greedy (temperature 0, top_p 1) whatever the
teacher generates with, cached in teacher_calls under the same key rule. Real stages on a real
DuckDB file; litellm makes real HTTP calls to the local OpenAI-compatible stub, and the test
reads the requests the stub received."""

from pathlib import Path

import pytest
import yaml

from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.spec.default_filters import DEFAULT_FILTERS
from synth_assets.stages.contamination_stage import run_contamination_stage
from synth_assets.stages.seed_stage import run_seed_stage
from synth_assets.stages.teacher_stage import run_teacher_stage
from synth_assets.stages.verify_stage import run_verify_stage
from synth_assets.teacher.judge import as_judge, ask_judge
from synth_assets.teacher.requests import build_request
from tests.conftest import write_jsonl
from tests.contamination_cases import REPHRASED, gsm8k
from tests.openai_stub import OpenAIStub

TEACHER = {"temperature": 0.7, "top_p": 0.9, "max_tokens": 64}
VERIFIER_MAX_TOKENS = 48
# A response that restates GSM8K test item 3 in new words: no n-gram detector fires, its
# semantic score sends it to the contamination judge.
REPHRASING = f"A similar problem: {REPHRASED[3]} He runs 540 meters."


def _kind(request: dict) -> str:
    if "[Response]" in request["messages"][-1]["content"]:
        return "verifier judge"
    if "benchmark item" in request["messages"][0]["content"]:
        return "contamination judge"
    return "generation"


def _answer(request: dict) -> str:
    return {"verifier judge": "Correct and clear.\nScore: 9",
            "contamination judge": "True",
            "generation": REPHRASING}[_kind(request)]


def _spec(folder: Path, api_base: str) -> Path:
    write_jsonl(folder / "bench.jsonl", [gsm8k("test")[line] for line in (0, 3, 42)])
    write_jsonl(folder / "math.jsonl", [{"question": "Sam runs 2 km a day. How far in a week?"}])
    spec = {
        "seed_sets": {"math": {"path": "math.jsonl", "kind": "math"}},
        # One teacher generates (at its own temperature) and judges twice.
        "teachers": {"stub": {"model": "openai/stub", "api_base": api_base,
                              "api_key_env": "STUB_TEACHER_KEY", **TEACHER}},
        "recipes": {"math": {"seed_set": "math", "teacher": "stub", "domain": "math",
                             "template": "{{ question }}", "verifiers": ["judge"],
                             "skip_filters": list(DEFAULT_FILTERS)}},
        "verifiers": {"judge": {"type": "llm_judge",
                                "options": {"teacher": "stub",
                                            "max_tokens": VERIFIER_MAX_TOKENS}}},
        "benchmarks": {"gsm8k_test": {"type": "file", "path": "bench.jsonl",
                                      "max_contaminated_rate": 1.0}},
        "contamination": {"semantic": {"backend": "tfidf"},
                          "llm_judge": {"enabled": True, "teacher": "stub",
                                        "min_similarity": 0.15}},
    }
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return folder / "pipeline.yaml"


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(_answer) as server:
        yield server


def _quiet(_: str) -> None:
    pass


def _run_pipeline(store: LineageStore, spec_path: Path):
    loaded = load_spec(spec_path)
    seeds = run_seed_stage(store, loaded)
    generated = run_teacher_stage(store, loaded, seeds.seeds, log=_quiet)
    verified = run_verify_stage(store, loaded, generated.snapshot_id, log=_quiet)
    contamination = run_contamination_stage(store, loaded, verified.snapshot_id, log=_quiet)
    return loaded, verified, contamination


def test_both_judges_ask_greedily_through_the_one_judge_call(stub: OpenAIStub,
                                                             tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    loaded, verified, contamination = _run_pipeline(store, _spec(tmp_path, stub.base_url))

    assert (verified.passed, contamination.judged_pairs, contamination.contaminated) == (1, 1, 1)
    sent = {_kind(request): request for request in stub.requests}
    assert len(stub.requests) == 3 and set(sent) == {
        "generation", "verifier judge", "contamination judge"}
    # Generation samples at the teacher's settings; neither judge does.
    assert (sent["generation"]["temperature"], sent["generation"]["top_p"]) == (0.7, 0.9)
    for judge in ("verifier judge", "contamination judge"):
        assert (sent[judge]["temperature"], sent[judge]["top_p"]) == (0, 1), judge
    # Each judge's answer length: the verifier's option, else the teacher's.
    assert sent["verifier judge"]["max_tokens"] == VERIFIER_MAX_TOKENS
    assert sent["contamination judge"]["max_tokens"] == TEACHER["max_tokens"]

    # Both answers are cached under the key the one judge call builds for those messages:
    # asking the same questions again sends nothing.
    teacher = loaded.spec.teachers["stub"]
    keys = {build_request(as_judge(teacher, VERIFIER_MAX_TOKENS),
                          sent["verifier judge"]["messages"], 0).call_id,
            build_request(as_judge(teacher), sent["contamination judge"]["messages"], 0).call_id}
    with store.connection() as conn:
        cached = set(conn.execute("SELECT call_id FROM teacher_calls").df()["call_id"])
    assert keys <= cached
    stub.requests.clear()
    again = ask_judge(store, loaded, "stub", [sent["verifier judge"]["messages"]],
                      VERIFIER_MAX_TOKENS, log=_quiet)
    again += ask_judge(store, loaded, "stub", [sent["contamination judge"]["messages"]],
                       log=_quiet)
    assert [answer.text for answer in again] == ["Correct and clear.\nScore: 9", "True"]
    assert {answer.call_id for answer in again} == keys
    assert stub.requests == []
