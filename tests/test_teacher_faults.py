"""The teacher stage against a stub that injects 429s with Retry-After, 500s, hangs past the
timeout, malformed bodies, empty, truncated and non-JSON answers: every request ends answered
(cached) or recorded as failed, and the counts add up."""

import json
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from synth_assets.defs.teacher_generations.metadata import teacher_generations_metadata
from synth_assets.lineage.store import LineageStore
from synth_assets.stages.teacher_stage import run_teacher_stage
from tests.openai_stub import OpenAIStub, StubReply
from tests.teacher_fixture import FAST_RETRIES, ScriptedTeacher, seeded, write_teacher_spec

MAX_RETRIES = 3
MAX_INVALID_RETRIES = 1
TIMEOUT_S = 0.5
RETRY_AFTER_S = 1

# prompt -> (server requests it takes, how it ends)
PLAIN = {
    "ok one": (1, "answered"),
    "ok two": (1, "answered"),
    "ok three": (1, "answered"),
    "429 then ok": (2, "answered"),
    "500 then ok": (2, "answered"),
    "hang then ok": (2, "answered"),
    "malformed then ok": (2, "answered"),
    "truncated always": (1 + MAX_INVALID_RETRIES, "invalid_answer"),
    "empty always": (1 + MAX_INVALID_RETRIES, "invalid_answer"),
    "bad request": (1, "rejected"),
    "500 always": (1 + MAX_RETRIES, "server_error"),
}
STRUCTURED = {
    "json ok": (1, "answered"),
    "json bad then ok": (2, "answered"),
    "json bad always": (1 + MAX_INVALID_RETRIES, "invalid_answer"),
}
EXPECTED = {**PLAIN, **STRUCTURED}


def script(prompt: str, attempt: int) -> StubReply | str:
    first = attempt == 1
    match prompt:
        case "429 then ok" if first:
            return StubReply(status=429, headers={"Retry-After": str(RETRY_AFTER_S)})
        case "500 then ok" if first:
            return StubReply(status=500)
        case "hang then ok" if first:
            return StubReply(content="too late", delay_s=30)
        case "malformed then ok" if first:
            return StubReply(body='{"id": "chatcmpl-1", "choices": [')
        case "truncated always":
            return StubReply(content="an answer that stops mid", finish_reason="length")
        case "empty always":
            return StubReply(content="   ")
        case "bad request":
            return StubReply(status=400)
        case "500 always":
            return StubReply(status=500)
        case "json ok":
            return '{"answer": 1}'
        case "json bad then ok":
            return "Sure! here it is: {answer: 2" if first else '{"answer": 2}'
        case "json bad always":
            return "not json at all"
    return f"a fine answer to: {prompt}"


@pytest.fixture
def faulty_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test")
    teacher = ScriptedTeacher(script)
    store = LineageStore(tmp_path / "synth.duckdb")
    logs: list[str] = []
    with OpenAIStub(teacher) as stub:
        spec = write_teacher_spec(
            tmp_path / "spec", stub.base_url, list(PLAIN), list(STRUCTURED),
            teacher={**FAST_RETRIES, "timeout_s": TIMEOUT_S, "max_retries": MAX_RETRIES,
                     "max_invalid_retries": MAX_INVALID_RETRIES},
        )
        loaded, seeds = seeded(store, spec)
        result = run_teacher_stage(store, loaded, seeds, log=logs.append, run_id="run-1",
                                   progress_interval_s=0.2)
        yield teacher, stub, store, result, logs


def test_every_request_ends_answered_or_failed_and_counts_add_up(faulty_run) -> None:
    teacher, stub, store, result, logs = faulty_run
    calls = result.calls
    answered = {p for p, (_, end) in EXPECTED.items() if end == "answered"}
    failed = {p: end for p, (_, end) in EXPECTED.items() if end != "answered"}

    assert result.planned == len(EXPECTED)
    assert calls.answered == len(answered)
    assert {f.request.messages[-1]["content"]: str(f.kind) for f in calls.failures} == failed
    assert calls.cached == 0 and not calls.not_attempted and calls.budget_stop is None
    assert dict(teacher.attempts) == {p: n for p, (n, _) in EXPECTED.items()}
    assert len(stub.requests) == sum(n for n, _ in EXPECTED.values())
    assert calls.retries == len(stub.requests) - len(EXPECTED)
    assert calls.rate_limited == 1

    with duckdb.connect(str(store.path), read_only=True) as db:
        generations = db.execute("SELECT text FROM generations").fetchall()
        cached = db.execute("SELECT count(*) FROM teacher_calls").fetchone()[0]
        failures = db.execute(
            "SELECT messages, error_kind, attempts, last_answer, error FROM teacher_failures "
            "WHERE run_id = 'run-1'").fetchall()
    assert cached == len(answered)
    assert len(generations) == len(answered)
    assert all(text.strip() for (text,) in generations), "an empty record was stored"
    assert {json.loads(m)[-1]["content"]: kind for m, kind, *_ in failures} == failed
    by_prompt = {json.loads(m)[-1]["content"]: row for m, *row in failures}
    assert by_prompt["truncated always"][1:3] == [MAX_INVALID_RETRIES + 1,
                                                  "an answer that stops mid"]
    assert "cut off by max_tokens" in by_prompt["truncated always"][3]
    assert "not valid JSON" in by_prompt["json bad always"][3]
    assert by_prompt["500 always"][1] == MAX_RETRIES + 1


def test_retry_after_is_honoured(faulty_run) -> None:
    _, stub, *_ = faulty_run
    arrivals = [at for request, at in zip(stub.requests, stub.received_at, strict=True)
                if request["messages"][-1]["content"] == "429 then ok"]
    assert len(arrivals) == 2
    assert arrivals[1] - arrivals[0] >= RETRY_AFTER_S


def test_progress_is_logged_with_counts_and_spend(faulty_run) -> None:
    *_, logs = faulty_run
    progress = [line for line in logs if line.startswith("teacher calls:")]
    assert len(progress) >= 2, logs  # at least one periodic line during the 1 s Retry-After
    final = progress[-1]
    assert f"{len(EXPECTED)}/{len(EXPECTED)} done (100%)" in final
    assert "5 failed" in final and "spent $" in final and "(1 on 429)" in final
    assert any("concurrency 4 -> 2" in line for line in logs)


def test_rerun_retries_only_the_failed_calls(faulty_run, tmp_path: Path) -> None:
    teacher, stub, store, first, _ = faulty_run
    loaded, seeds = seeded(store, tmp_path / "spec" / "pipeline.yaml")
    seen = len(stub.requests)
    again = run_teacher_stage(store, loaded, seeds, log=lambda _: None, run_id="run-2")
    failed = {f.request.messages[-1]["content"] for f in first.calls.failures}
    assert {r["messages"][-1]["content"] for r in stub.requests[seen:]} == failed
    assert again.calls.cached == len(EXPECTED) - len(failed)
    assert again.snapshot_id == first.snapshot_id
    with duckdb.connect(str(store.path), read_only=True) as db:
        runs = db.execute("SELECT run_id, count(*) FROM teacher_failures GROUP BY run_id "
                          "ORDER BY run_id").fetchall()
    assert runs == [("run-1", len(failed)), ("run-2", len(failed))]


def test_failures_show_in_the_asset_metadata(faulty_run) -> None:
    _, _, store, result, _ = faulty_run
    metadata = teacher_generations_metadata(result, store)
    assert metadata["failed_calls"] == 5
    assert metadata["failed_by_kind"].data == {"invalid_answer": 3, "rejected": 1,
                                               "server_error": 1}
    assert metadata["generations"] == metadata["teacher_calls_made"] == 9
    assert metadata["retries"] == result.calls.retries
    failures_table = metadata["failures"].value
    assert "answer cut off by max_tokens" in failures_table
    header, _, chat, json_chat = metadata["per_recipe"].value.splitlines()
    assert header.startswith("| recipe | generations |") and header.endswith("| failed |")
    assert chat.startswith("| chat | 7 |") and chat.endswith("| 4 |")
    assert json_chat.startswith("| json_chat | 2 |") and json_chat.endswith("| 1 |")


HOLD_THE_FILE = """
import sys, time, duckdb
while True:
    try:
        held = duckdb.connect(sys.argv[1])
        break
    except duckdb.IOException:  # the run holds it for a moment while it writes
        time.sleep(0.01)
print("locked", flush=True)
time.sleep(60)
"""


def test_run_stops_calling_when_answers_cannot_be_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process takes the DuckDB file for longer than the lock timeout: the writes
    fail, and the run stops sending calls instead of paying for answers it cannot keep."""
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test")
    store = LineageStore(tmp_path / "synth.duckdb", lock_timeout_s=0.2)
    holder: list[subprocess.Popen] = []
    locked = threading.Event()
    start_holder = threading.Lock()

    def answer(request: dict) -> StubReply:
        with start_holder:
            if not holder:  # the first call arrives: another process takes the file
                holder.append(subprocess.Popen([sys.executable, "-c", HOLD_THE_FILE,
                                                str(store.path)],
                                               stdout=subprocess.PIPE, text=True))
                assert holder[0].stdout.readline().strip() == "locked"
                locked.set()
        locked.wait()  # no answer before the file is taken
        return StubReply(content="an answer", delay_s=0.05)  # at most 80 answers a second

    prompts = [f"prompt {i}" for i in range(2000)]
    try:
        with OpenAIStub(answer) as stub:
            loaded, seeds = seeded(store, write_teacher_spec(tmp_path / "spec", stub.base_url,
                                                             prompts))
            with pytest.raises(RuntimeError, match="writing teacher answers"):
                run_teacher_stage(store, loaded, seeds, log=lambda _: None)
    finally:
        for process in holder:
            process.kill()
            process.wait()
    assert len(stub.requests) < len(prompts) / 4
