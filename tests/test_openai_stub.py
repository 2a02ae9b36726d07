import asyncio

import litellm
import pytest

from tests.openai_stub import OpenAIStub, StubReply

MESSAGES = [{"role": "user", "content": "say hello"}]


def _call(stub: OpenAIStub, **kwargs: object) -> litellm.ModelResponse:
    # max_retries=0: the OpenAI SDK otherwise retries 5xx/429 twice with backoff.
    return litellm.completion(
        model="openai/anything",
        api_base=stub.base_url,
        api_key="sk-test",
        messages=MESSAGES,
        max_retries=0,
        **kwargs,
    )


def test_acompletion_returns_content_and_usage_and_records_request() -> None:
    with OpenAIStub(lambda request: "hello there friend") as stub:
        response = asyncio.run(
            litellm.acompletion(
                model="openai/anything",
                api_base=stub.base_url,
                api_key="sk-test",
                messages=MESSAGES,
                temperature=0.3,
            )
        )
    assert response.choices[0].message.content == "hello there friend"
    assert response.choices[0].finish_reason == "stop"
    assert response.usage.prompt_tokens == 2
    assert response.usage.completion_tokens == 3
    assert response.usage.total_tokens == 5
    assert len(stub.requests) == 1
    assert stub.requests[0]["messages"] == MESSAGES
    assert stub.requests[0]["model"] == "anything"
    assert stub.requests[0]["temperature"] == 0.3


def test_server_error_surfaces_as_litellm_error() -> None:
    with OpenAIStub(lambda request: StubReply(status=500)) as stub:
        with pytest.raises(litellm.InternalServerError):
            _call(stub)


def test_rate_limit_keeps_retry_after_header() -> None:
    reply = StubReply(status=429, headers={"Retry-After": "7"})
    with OpenAIStub(lambda request: reply) as stub:
        with pytest.raises(litellm.RateLimitError) as caught:
            _call(stub)
    # litellm's exception.response is synthesized without headers; the real ones are kept here.
    assert caught.value.litellm_response_headers["retry-after"] == "7"


def test_truncated_answer_reports_length() -> None:
    reply = StubReply(content="cut off mid", finish_reason="length")
    with OpenAIStub(lambda request: reply) as stub:
        response = _call(stub)
    assert response.choices[0].finish_reason == "length"


def test_malformed_body_surfaces_as_litellm_error() -> None:
    with OpenAIStub(lambda request: StubReply(body="{not json")) as stub:
        with pytest.raises(litellm.InternalServerError):
            _call(stub)


def test_delayed_reply_times_out_and_stub_still_stops() -> None:
    with OpenAIStub(lambda request: StubReply(content="late", delay_s=30)) as stub:
        with pytest.raises(litellm.Timeout):
            _call(stub, timeout=0.5)
