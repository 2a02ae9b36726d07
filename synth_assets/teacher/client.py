"""Calls the teacher through litellm with bounded concurrency."""

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import litellm

from synth_assets.spec.model import TeacherSpec
from synth_assets.teacher.embedded import register_embedded_provider
from synth_assets.teacher.requests import TeacherRequest


@dataclass(frozen=True)
class TeacherResponse:
    request: TeacherRequest
    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float


@dataclass(frozen=True)
class TeacherFailure:
    request: TeacherRequest
    error: str


def call_cost(teacher: TeacherSpec, response: litellm.ModelResponse, prompt_tokens: int,
              completion_tokens: int) -> float:
    """Spec prices win; otherwise litellm's cost map; a model it doesn't know costs 0."""
    if teacher.input_cost_per_token is not None or teacher.output_cost_per_token is not None:
        return (prompt_tokens * (teacher.input_cost_per_token or 0.0)
                + completion_tokens * (teacher.output_cost_per_token or 0.0))
    try:
        return float(litellm.completion_cost(completion_response=response))
    except Exception:  # litellm raises several types for models missing from its cost map
        return 0.0


async def _call(teacher: TeacherSpec, request: TeacherRequest) -> TeacherResponse:
    api_key = os.environ.get(teacher.api_key_env) if teacher.api_key_env else None
    started = time.perf_counter()
    response = await litellm.acompletion(
        model=request.model,
        messages=request.messages,
        api_base=request.api_base,
        api_key=api_key,
        timeout=teacher.timeout_s,
        drop_params=True,
        **request.params,
    )
    latency = time.perf_counter() - started
    choice = response.choices[0]
    text = choice.message.content or ""
    if not text.strip():
        raise ValueError("empty response")
    usage = response.usage
    prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
    return TeacherResponse(
        request=request,
        text=text,
        finish_reason=choice.finish_reason,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=call_cost(teacher, response, prompt_tokens, completion_tokens),
        latency_s=latency,
    )


async def run_requests(
    teacher: TeacherSpec,
    requests: Sequence[TeacherRequest],
    on_batch: Callable[[list[TeacherResponse]], None],
    batch_size: int = 8,
) -> tuple[list[TeacherResponse], list[TeacherFailure]]:
    """Run requests at most `teacher.concurrency` at a time; hand results over in batches as
    they arrive so a crash loses at most one unsaved batch."""
    register_embedded_provider()
    semaphore = asyncio.Semaphore(teacher.concurrency)
    responses: list[TeacherResponse] = []
    failures: list[TeacherFailure] = []
    pending: list[TeacherResponse] = []

    async def one(request: TeacherRequest) -> None:
        async with semaphore:
            try:
                result = await _call(teacher, request)
            except Exception as error:  # every failure is recorded, none is dropped
                failures.append(TeacherFailure(request, f"{type(error).__name__}: {error}"))
                return
        responses.append(result)
        pending.append(result)
        if len(pending) >= batch_size:
            on_batch(pending[:])
            pending.clear()

    await asyncio.gather(*(one(request) for request in requests))
    if pending:
        on_batch(pending[:])
    return responses, failures
