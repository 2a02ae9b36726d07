"""OpenAI batch files: the input file of a batch of teacher requests (one JSON request a line,
custom_id = call_id), split to the provider's limits, and the lines of its output and error
files read back into answers and failures."""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from synth_assets.teacher.requests import TeacherRequest

ENDPOINT = "/v1/chat/completions"
MEGABYTE = 1024 * 1024


def input_line(request: TeacherRequest, provider_model: str) -> bytes:
    """One request of a batch input file; `provider_model` is the model as the provider names
    it (litellm's model string without its provider prefix)."""
    body = {"model": provider_model, "messages": request.messages, **request.params}
    return (json.dumps({"custom_id": request.call_id, "method": "POST", "url": ENDPOINT,
                        "body": body}, ensure_ascii=False) + "\n").encode("utf-8")


def split_into_files(requests: Sequence[TeacherRequest], provider_model: str,
                     max_requests: int, max_bytes: int) -> Iterator[list[TeacherRequest]]:
    """The requests in consecutive groups that each fit one input file: at most
    `max_requests` lines and `max_bytes` bytes."""
    group: list[TeacherRequest] = []
    size = 0
    for request in requests:
        line_size = len(input_line(request, provider_model))
        if line_size > max_bytes:
            raise ValueError(f"teacher request {request.call_id} alone is {line_size} bytes, "
                             f"more than a batch file may hold ({max_bytes} bytes)")
        if group and (len(group) >= max_requests or size + line_size > max_bytes):
            yield group
            group, size = [], 0
        group.append(request)
        size += line_size
    if group:
        yield group


def input_file(requests: Sequence[TeacherRequest], provider_model: str) -> bytes:
    return b"".join(input_line(request, provider_model) for request in requests)


@dataclass(frozen=True)
class BatchAnswer:
    """A request's completion as the provider returned it in the output file."""

    call_id: str
    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class BatchError:
    """A request that ended without a completion (a line of the error file, or a non-200
    response in the output file)."""

    call_id: str
    status_code: int | None
    code: str
    message: str


def read_result_lines(content: bytes) -> Iterator[BatchAnswer | BatchError]:
    """Answers and errors from an output or error file (both have the same line format)."""
    for number, raw in enumerate(content.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            yield _result(line)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise ValueError(f"batch result line {number} is not an OpenAI batch result "
                             f"({type(error).__name__}: {error}): {raw[:200]!r}") from error


def _result(line: dict) -> BatchAnswer | BatchError:
    call_id = line["custom_id"]
    response = line.get("response") or {}
    error = line.get("error")
    status = response.get("status_code")
    if error:
        return BatchError(call_id, status, str(error.get("code") or "error"),
                          str(error.get("message") or ""))
    body = response.get("body") or {}
    if status != 200:
        body_error = body.get("error") or {}
        return BatchError(call_id, status, str(body_error.get("code") or status),
                          str(body_error.get("message") or body))
    choice = body["choices"][0]
    usage = body.get("usage") or {}
    return BatchAnswer(call_id, choice["message"].get("content") or "", choice.get("finish_reason"),
                       int(usage.get("prompt_tokens") or 0),
                       int(usage.get("completion_tokens") or 0))
