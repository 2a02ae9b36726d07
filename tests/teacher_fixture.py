"""A spec with two instruction seed sets (plain text and JSON answers) whose teacher is a local
stub, plus a scripted stub that answers each prompt by its attempt number."""

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec, load_spec
from synth_assets.stages.seed_stage import run_seed_stage
from tests.conftest import write_jsonl
from tests.openai_stub import StubReply

FAST_RETRIES = {"retry_base_delay_s": 0.05, "retry_max_delay_s": 0.2, "timeout_s": 2.0}


def write_teacher_spec(folder: Path, api_base: str, plain: list[str], structured: list[str] = (),
                       teacher: dict[str, Any] | None = None,
                       budget: dict[str, Any] | None = None) -> Path:
    """`plain` and `structured` are the instructions of the text and the JSON recipe."""
    write_jsonl(folder / "plain.jsonl", [{"instruction": text} for text in plain])
    write_jsonl(folder / "structured.jsonl", [{"instruction": text} for text in structured])
    seed_sets = {"plain": {"path": "plain.jsonl", "kind": "instruction"}}
    recipes = {"chat": {"seed_set": "plain", "teacher": "stub", "domain": "general",
                        "template": "{{ instruction }}"}}
    if structured:
        seed_sets["structured"] = {"path": "structured.jsonl", "kind": "instruction"}
        recipes["json_chat"] = {"seed_set": "structured", "teacher": "stub", "domain": "general",
                                "template": "{{ instruction }}", "response_format": "json"}
    spec: dict[str, Any] = {
        "version": 1,
        "seed_sets": seed_sets,
        "teachers": {"stub": {"model": "openai/stub-teacher", "api_base": api_base,
                              "api_key_env": "STUB_TEACHER_KEY", "max_tokens": 16,
                              "concurrency": 4, **(teacher or {})}},
        "recipes": recipes,
    }
    if budget:
        spec["budget"] = budget
    path = folder / "pipeline.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def seeded(store: LineageStore, spec_path: Path) -> tuple[LoadedSpec, list[SeedRecord]]:
    loaded = load_spec(spec_path)
    return loaded, run_seed_stage(store, loaded).seeds


class ScriptedTeacher:
    """Stub `respond`: `script(prompt, attempt)` gives the reply to the attempt-th request
    (1-based) for that prompt. Counts requests, and answers completed (a 200 with a chat
    completion, sent at once) per prompt."""

    def __init__(self, script: Any) -> None:
        self.script = script
        self.attempts: Counter[str] = Counter()
        self.completed: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, request: dict) -> StubReply:
        prompt = request["messages"][-1]["content"]
        # One lock around script and counts: a script may decide from the counts so far.
        with self._lock:
            self.attempts[prompt] += 1
            reply = self.script(prompt, self.attempts[prompt])
            if isinstance(reply, str):
                reply = StubReply(content=reply)
            if reply.status == 200 and reply.body is None and reply.delay_s == 0:
                self.completed[prompt] += 1
        return reply
