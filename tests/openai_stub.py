"""An OpenAI-compatible chat completions server for tests, with optional fault injection.

    with OpenAIStub(lambda request: "hello") as stub:
        litellm.completion(model="openai/any", api_base=stub.base_url, api_key="sk-test", ...)

`respond` gets the request JSON and returns the assistant text, or a StubReply to control
the status, raw body, headers, delay or finish_reason of the answer.
"""

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


@dataclass(frozen=True)
class StubReply:
    """One scripted answer. With `body` set, it is sent verbatim (e.g. malformed JSON);
    otherwise a 200 is a chat.completion holding `content` and any other status is an
    OpenAI-style error object."""

    content: str = ""
    status: int = 200
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    finish_reason: str = "stop"


def _count_tokens(text: str) -> int:
    return len(text.split())


def _completion_json(request: dict, reply: StubReply) -> dict:
    prompt_tokens = sum(
        _count_tokens(message["content"])
        for message in request.get("messages", [])
        if isinstance(message.get("content"), str)
    )
    completion_tokens = _count_tokens(reply.content)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "stub"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _error_json(status: int) -> dict:
    return {"error": {"message": f"stub error {status}", "type": "stub_error", "code": status}}


class OpenAIStub:
    """Serves POST /v1/chat/completions on 127.0.0.1 (free port) from a background thread."""

    def __init__(self, respond: Callable[[dict], str | StubReply]) -> None:
        self.respond = respond
        self.requests: list[dict] = []
        self.received_at: list[float] = []  # time.monotonic() of each request, same order
        self.base_url = ""
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/v1"
        # A short poll interval keeps shutdown() (which waits for the next poll) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None and self._thread is not None
        self._stopping.set()  # wakes handlers sleeping on delay_s
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _record(self, request: dict) -> None:
        with self._lock:
            self.requests.append(request)
            self.received_at.append(time.monotonic())

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path != "/v1/chat/completions":
                    self._send(404, json.dumps(_error_json(404)), {})
                    return
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub._record(request)
                reply = stub.respond(request)
                if isinstance(reply, str):
                    reply = StubReply(content=reply)
                if reply.delay_s and stub._stopping.wait(reply.delay_s):
                    return
                if reply.body is not None:
                    body = reply.body
                elif reply.status == 200:
                    body = json.dumps(_completion_json(request, reply))
                else:
                    body = json.dumps(_error_json(reply.status))
                self._send(reply.status, body, reply.headers)

            def _send(self, status: int, body: str, headers: dict[str, str]) -> None:
                data = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (e.g. timed out on a delayed reply)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
