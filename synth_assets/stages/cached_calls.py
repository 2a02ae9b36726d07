"""Teacher calls through the one response cache (the teacher_calls table): what is cached is
read back, the rest is asked through litellm and stored in small batches as answers arrive."""

import asyncio
import json
from collections.abc import Callable, Sequence

from synth_assets.lineage.store import LineageStore
from synth_assets.spec.model import TeacherSpec
from synth_assets.teacher.client import TeacherFailure, TeacherResponse, run_requests
from synth_assets.teacher.requests import TeacherRequest


def call_row(response: TeacherResponse) -> dict:
    """A teacher_calls row for one response."""
    request = response.request
    return {
        "call_id": request.call_id,
        "model": request.model,
        "params": json.dumps(request.params, sort_keys=True),
        "messages": json.dumps(request.messages, ensure_ascii=False),
        "sample_index": request.sample_index,
        "response_text": response.text,
        "finish_reason": response.finish_reason,
        "prompt_tokens": response.prompt_tokens,
        "completion_tokens": response.completion_tokens,
        "cost_usd": response.cost_usd,
        "latency_s": response.latency_s,
    }


def cached_answers(
    store: LineageStore,
    teacher: TeacherSpec,
    requests: Sequence[TeacherRequest],
    log: Callable[[str], None] = print,
) -> tuple[dict[str, str], list[TeacherFailure]]:
    """call_id -> response text for every request answered now or before, and the failures."""
    unique = {request.call_id: request for request in requests}
    cached = set(store.query_with_ids("stored_call_ids", list(unique))["call_id"])
    missing = [request for call_id, request in unique.items() if call_id not in cached]

    def save(batch: list[TeacherResponse]) -> None:
        with store.writer() as writer:
            writer.insert_new("teacher_calls", [call_row(response) for response in batch])

    failures: list[TeacherFailure] = []
    if missing:
        log(f"{len(missing)} teacher calls to make ({len(cached)} cached)")
        _, failures = asyncio.run(run_requests(teacher, missing, on_batch=save))
    frame = store.query_with_ids("call_responses", list(unique))
    return dict(zip(frame["call_id"], frame["response_text"], strict=True)), failures
