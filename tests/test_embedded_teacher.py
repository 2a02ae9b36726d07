import asyncio
import json
import time

import litellm
import pytest
from litellm import ModelResponse

from synth_assets.teacher.embedded import (
    EMBEDDED_PROVIDER,
    EmbeddedLLM,
    register_embedded_provider,
)

MODEL = "embedded/smollm2-135m-instruct"
HAIKU = [{"role": "user", "content": "Write a haiku about the sea."}]


@pytest.fixture(scope="module", autouse=True)
def _registered() -> None:
    register_embedded_provider()


def _complete(messages: list[dict] = HAIKU, **params: object) -> ModelResponse:
    return litellm.completion(model=MODEL, messages=messages, **params)


def test_registration_is_idempotent() -> None:
    register_embedded_provider()
    providers = [item["provider"] for item in litellm.custom_provider_map]
    assert providers.count(EMBEDDED_PROVIDER) == 1


def test_generates_text_with_usage() -> None:
    response = _complete(temperature=0.7, max_tokens=48, seed=1)
    assert response.choices[0].message.content.strip()
    assert response.choices[0].finish_reason in {"stop", "length"}
    assert response.usage.prompt_tokens > 0
    assert 0 < response.usage.completion_tokens <= 48
    assert response.usage.total_tokens == (
        response.usage.prompt_tokens + response.usage.completion_tokens
    )


def test_same_seed_gives_same_text() -> None:
    question = [{"role": "user", "content": "Name three colours."}]
    first = _complete(question, temperature=0.9, max_tokens=32, seed=7)
    _complete(HAIKU, temperature=0.9, max_tokens=8, seed=8)  # unrelated call in between
    second = _complete(question, temperature=0.9, max_tokens=32, seed=7)
    assert first.choices[0].message.content == second.choices[0].message.content


def test_max_tokens_cut_reports_length() -> None:
    response = _complete(temperature=0.0, max_tokens=5)
    assert response.choices[0].finish_reason == "length"
    assert response.usage.completion_tokens == 5


def test_stop_sequence_ends_the_answer() -> None:
    full = _complete(temperature=0.0, max_tokens=24).choices[0].message.content
    stop_word = full.split()[2]
    stopped = _complete(temperature=0.0, max_tokens=24, stop=[stop_word])
    assert stopped.choices[0].message.content == full[: full.index(stop_word)]
    assert stopped.choices[0].finish_reason == "stop"


def test_acompletion_keeps_the_event_loop_free() -> None:
    async def run() -> tuple[ModelResponse, int]:
        ticks = 0
        done = asyncio.Event()

        async def tick() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        response = await litellm.acompletion(
            model=MODEL, messages=HAIKU, temperature=0.0, max_tokens=32, seed=3
        )
        done.set()
        await ticker
        return response, ticks

    response, ticks = asyncio.run(run())
    assert response.choices[0].message.content
    assert response.usage.completion_tokens > 0
    assert ticks > 5


def test_concurrent_acompletions_match_sequential_ones() -> None:
    prompts = [[{"role": "user", "content": f"Count to {n}."}] for n in (3, 4)]

    async def run() -> list[ModelResponse]:
        calls = [
            litellm.acompletion(model=MODEL, messages=p, temperature=0.8, max_tokens=16, seed=5)
            for p in prompts
        ]
        return await asyncio.gather(*calls)

    concurrent = [r.choices[0].message.content for r in asyncio.run(run())]
    sequential = [
        _complete(p, temperature=0.8, max_tokens=16, seed=5).choices[0].message.content
        for p in prompts
    ]
    assert concurrent == sequential


def test_unknown_model_names_the_available_one() -> None:
    with pytest.raises(litellm.NotFoundError, match="embedded/smollm2-135m-instruct"):
        litellm.completion(model="embedded/gpt-9", messages=HAIKU)


@pytest.mark.parametrize(
    ("params", "named"),
    [({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}},
      "response_format"), ({"n": 2}, "n > 1")],
)
def test_unsupported_parameter_fails_loudly(params: dict, named: str) -> None:
    with pytest.raises(litellm.BadRequestError, match=named):
        _complete(**params)


def test_json_mode_constrains_the_answer_to_json() -> None:
    cat = [{"role": "user", "content": "Describe a cat."}]
    plain = _complete(cat, max_tokens=24, seed=1, temperature=0.0)
    as_json = _complete(cat, max_tokens=24, seed=1, temperature=0.0,
                        response_format={"type": "json_object"})
    assert not plain.choices[0].message.content.lstrip().startswith("{")
    assert as_json.choices[0].finish_reason == "stop"
    assert isinstance(json.loads(as_json.choices[0].message.content), dict)


def test_prompt_longer_than_context_is_a_context_window_error() -> None:
    # past the model's 8,192-token context
    long_prompt = [{"role": "user", "content": "word " * 9000}]
    with pytest.raises(litellm.ContextWindowExceededError):
        _complete(long_prompt, max_tokens=5)


def test_loading_and_generating_write_nothing_to_stderr(capfd: pytest.CaptureFixture) -> None:
    handler = EmbeddedLLM()  # fresh instance, so the model load happens under capture
    started = time.perf_counter()
    response = handler.completion(
        model="smollm2-135m-instruct",
        messages=HAIKU,
        model_response=ModelResponse(),
        optional_params={"max_tokens": 4},
    )
    assert time.perf_counter() - started < 10
    assert response.choices[0].message.content
    assert capfd.readouterr().err == ""
