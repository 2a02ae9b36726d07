"""Adaptive concurrency, per-minute limits, retry delays and answer checks of the teacher
client, and the per-minute limit seen from a real server."""

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import litellm
import pytest

from synth_assets.lineage.store import LineageStore
from synth_assets.stages.teacher_stage import run_teacher_stage
from synth_assets.teacher.faults import (
    FaultKind,
    answer_problem,
    backoff_delay_s,
    classify,
    retry_after_s,
)
from synth_assets.teacher.limits import AdaptiveConcurrency, TokenBucket
from tests.openai_stub import OpenAIStub, StubReply
from tests.teacher_fixture import seeded, write_teacher_spec


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_429_halves_concurrency_once_per_round_and_successes_raise_it_back() -> None:
    async def scenario() -> list[int]:
        clock = FakeClock()
        limiter = AdaptiveConcurrency(8, clock=clock)
        starts = [await limiter.acquire() for _ in range(8)]
        for _ in range(8):
            await limiter.release()
        seen = [limiter.limit]
        clock.now += 1
        for started in starts:  # one round of eight 429s lowers the limit once
            limiter.on_rate_limited(started, pause_s=0.0)
        seen.append(limiter.limit)
        later = await limiter.acquire()
        await limiter.release()
        limiter.on_rate_limited(later, pause_s=0.0)  # a call from the next round: again
        seen.append(limiter.limit)
        for _ in range(4):
            limiter.on_success()
        seen.append(limiter.limit)
        for _ in range(100):
            limiter.on_success()
        seen.append(limiter.limit)
        return seen

    assert asyncio.run(scenario()) == [8, 4, 2, 3, 8]


def test_429_pause_holds_new_calls_back() -> None:
    async def scenario() -> float:
        limiter = AdaptiveConcurrency(4)
        started = await limiter.acquire()
        await limiter.release()
        limiter.on_rate_limited(started, pause_s=0.3)
        before = asyncio.get_running_loop().time()
        await limiter.acquire()
        return asyncio.get_running_loop().time() - before

    assert asyncio.run(scenario()) >= 0.29


def test_concurrency_limit_blocks_until_a_slot_is_released() -> None:
    async def scenario() -> list[str]:
        limiter = AdaptiveConcurrency(1)
        order = []
        await limiter.acquire()

        async def second() -> None:
            await limiter.acquire()
            order.append("second acquired")

        waiter = asyncio.create_task(second())
        await asyncio.sleep(0.05)
        order.append("first releases")
        await limiter.release()
        await waiter
        return order

    assert asyncio.run(scenario()) == ["first releases", "second acquired"]


def test_token_bucket_holds_the_rate_and_lets_a_large_take_through() -> None:
    async def scenario() -> tuple[float, float]:
        bucket = TokenBucket(per_minute=1200)  # 20 per second, bursts of 20
        loop = asyncio.get_running_loop()
        start = loop.time()
        for _ in range(30):
            await bucket.take(1)
        thirty = loop.time() - start
        await bucket.take(100)  # larger than a burst: waits for a full bucket, goes into debt
        await bucket.take(1)
        return thirty, loop.time() - start

    thirty, total = asyncio.run(scenario())
    assert thirty >= 10 / 20 * 0.95  # 20 from the burst, 10 more at 20/s
    assert total >= (30 + 100 + 1 - 20) / 20 * 0.95


def test_retry_after_forms() -> None:
    def error(headers: dict) -> litellm.RateLimitError:
        raised = litellm.RateLimitError("slow down", llm_provider="openai", model="m")
        raised.litellm_response_headers = headers
        return raised

    assert retry_after_s(error({"retry-after": "7"})) == 7.0
    assert retry_after_s(error({"retry-after-ms": "250"})) == 0.25
    when = datetime.now(UTC) + timedelta(seconds=30)
    assert 28 <= retry_after_s(error({"retry-after": format_datetime(when, usegmt=True)})) <= 30
    assert retry_after_s(error({})) is None
    assert retry_after_s(ValueError("no headers")) is None


def test_fault_kinds() -> None:
    provider = {"llm_provider": "openai", "model": "m"}
    assert classify(litellm.RateLimitError("x", **provider)) is FaultKind.RATE_LIMITED
    assert classify(litellm.Timeout("x", **provider)) is FaultKind.TIMEOUT
    assert classify(litellm.APIConnectionError("x", **provider)) is FaultKind.CONNECTION
    assert classify(litellm.InternalServerError("x", **provider)) is FaultKind.SERVER_ERROR
    assert classify(litellm.ServiceUnavailableError("x", **provider)) is FaultKind.SERVER_ERROR
    assert classify(litellm.BadRequestError("x", **provider)) is FaultKind.REJECTED
    assert classify(litellm.AuthenticationError("x", **provider)) is FaultKind.REJECTED
    assert classify(ValueError("x")) is FaultKind.REJECTED
    assert FaultKind.TIMEOUT.transient and not FaultKind.REJECTED.transient


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 10.0), (20, 10.0)]:
        delays = {backoff_delay_s(retry, base_s=1.0, cap_s=10.0) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1, "no jitter"


def test_answer_problems() -> None:
    assert answer_problem("fine", "stop", wants_json=False) is None
    assert answer_problem(" \n", "stop", wants_json=False) == "empty answer"
    assert "max_tokens" in answer_problem("cut", "length", wants_json=False)
    assert answer_problem('{"a": 1}', "stop", wants_json=True) is None
    assert "not valid JSON" in answer_problem("{a: 1}", "stop", wants_json=True)


def test_requests_per_minute_limit_holds_at_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test")
    rpm = 600  # 10 per second, bursts of 10
    prompts = [f"p{i}" for i in range(25)]
    store = LineageStore(tmp_path / "synth.duckdb")
    teacher = {"concurrency": 16, "requests_per_minute": rpm}
    with OpenAIStub(lambda request: StubReply(content="ok")) as stub:
        # litellm's first call in a process sets up its client slowly; requests let through
        # meanwhile would reach the server together, whatever the limiter did.
        warm_up = write_teacher_spec(tmp_path / "warm_up", stub.base_url, ["warm up"],
                                     teacher=teacher)
        run_teacher_stage(store, *seeded(store, warm_up), log=lambda _: None)
        spec = write_teacher_spec(tmp_path / "spec", stub.base_url, prompts, teacher=teacher)
        result = run_teacher_stage(store, *seeded(store, spec), log=lambda _: None)
    assert result.calls.answered == len(prompts)
    arrivals = sorted(stub.received_at[1:])
    per_second = rpm / 60
    for index, first in enumerate(arrivals):
        in_window = sum(1 for t in arrivals[index:] if t < first + 1.0)
        assert in_window <= per_second * 2 + 1  # one burst plus one second of refill
    assert arrivals[-1] - arrivals[0] >= (len(prompts) - per_second) / per_second * 0.9
