"""The OpenAI stub (tests/openai_stub.py) with the batch API: /v1/files (upload, list,
content) and /v1/batches (create, retrieve, list, cancel), on 127.0.0.1.

    with OpenAIBatchStub(lambda request: "hello", polls_to_end=3) as stub: ...

A batch ends on its `polls_to_end`-th retrieve: each request line is answered by `respond`
(as a chat completion would be) unless `fail(request)` gives an error (status, message), which
goes to the error file. `expire_after` answers only that many requests of each batch and
expires the rest (error code batch_expired), as OpenAI does at the end of the completion
window. `on_call(route)` runs after a call did its work and before the reply is sent (route:
"upload", "create", "retrieve", ...): a test kills the client there, which is the worst
moment, since the provider has done the work and the client never hears of it.
`broken[route] = status` makes a route answer that error status without doing its work (a
provider down, a file gone), counted in `refused`. Listings are newest first and paged as
OpenAI pages them (`after`, `limit`, `has_more`); `page_size` makes pages that small.
"""

import email.parser
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from tests.openai_stub import OpenAIStub, StubReply, _completion_json, _error_json


@dataclass
class StubBatch:
    id: str
    input_file_id: str
    metadata: dict
    created_at: int
    polls: int = 0
    status: str = "validating"
    output_file_id: str | None = None
    error_file_id: str | None = None
    completed: int = 0
    failed: int = 0
    total: int = 0
    ended_at: dict[str, int] = field(default_factory=dict)

    def json(self) -> dict:
        return {"id": self.id, "object": "batch", "endpoint": "/v1/chat/completions",
                "errors": None, "input_file_id": self.input_file_id, "completion_window": "24h",
                "status": self.status, "output_file_id": self.output_file_id,
                "error_file_id": self.error_file_id, "created_at": self.created_at,
                "in_progress_at": None, "expires_at": self.created_at + 86400,
                "finalizing_at": None, "completed_at": self.ended_at.get("completed"),
                "failed_at": self.ended_at.get("failed"),
                "expired_at": self.ended_at.get("expired"),
                "cancelling_at": None, "cancelled_at": self.ended_at.get("cancelled"),
                "request_counts": {"total": self.total, "completed": self.completed,
                                   "failed": self.failed},
                "metadata": self.metadata}


class OpenAIBatchStub(OpenAIStub):
    def __init__(self, respond: Callable[[dict], str | StubReply], polls_to_end: int = 1,
                 fail: Callable[[dict], tuple[int, str] | None] = lambda request: None,
                 expire_after: int | None = None,
                 on_call: Callable[[str], None] = lambda route: None,
                 page_size: int | None = None) -> None:
        super().__init__(respond)
        self.polls_to_end = polls_to_end
        self.fail = fail
        self.expire_after = expire_after
        self.on_call = on_call
        self.page_size = page_size
        self.broken: dict[str, int] = {}                   # route -> HTTP status it answers now
        self.refused: Counter[str] = Counter()             # route -> calls answered by `broken`
        self.files: dict[str, tuple[str, bytes]] = {}    # id -> (filename, content)
        self.batches: dict[str, StubBatch] = {}
        self.calls: Counter[str] = Counter()               # route -> HTTP calls
        self.submitted: Counter[str] = Counter()           # custom_id -> times put in a batch

    def _new_file(self, filename: str, content: bytes) -> dict:
        file_id = f"file-{uuid.uuid4().hex[:16]}"
        self.files[file_id] = (filename, content)
        return _file_json(file_id, filename, content)

    def _create(self, body: dict) -> dict:
        content = self.files[body["input_file_id"]][1]
        lines = [json.loads(line) for line in content.splitlines() if line.strip()]
        batch = StubBatch(f"batch_{uuid.uuid4().hex[:16]}", body["input_file_id"],
                          body.get("metadata") or {}, int(time.time()), total=len(lines))
        self.submitted.update(line["custom_id"] for line in lines)
        self.batches[batch.id] = batch
        return batch.json()

    def _retrieve(self, batch_id: str) -> dict:
        batch = self.batches[batch_id]
        batch.polls += 1
        if batch.status in ("validating", "in_progress") and batch.polls >= self.polls_to_end:
            self._run(batch)
        elif batch.status == "validating":
            batch.status = "in_progress"
        elif batch.status == "cancelling":
            batch.status = "cancelled"
            batch.ended_at["cancelled"] = int(time.time())
            self._write_results(batch, [], self._lines(batch), "batch_cancelled")
        return batch.json()

    def _lines(self, batch: StubBatch) -> list[dict]:
        content = self.files[batch.input_file_id][1]
        return [json.loads(line) for line in content.splitlines() if line.strip()]

    def _run(self, batch: StubBatch) -> None:
        lines = self._lines(batch)
        answered = lines if self.expire_after is None else lines[:self.expire_after]
        expired = lines[len(answered):]
        batch.status = "completed" if not expired else "expired"
        batch.ended_at[batch.status] = int(time.time())
        self._write_results(batch, answered, expired, "batch_expired")

    def _write_results(self, batch: StubBatch, answered: list[dict], unanswered: list[dict],
                       unanswered_code: str) -> None:
        outputs, errors = [], []
        for line in answered:
            failure = self.fail(line["body"])
            if failure is not None:
                status, message = failure
                errors.append({"id": f"batch_req_{uuid.uuid4().hex[:12]}",
                               "custom_id": line["custom_id"],
                               "response": {"status_code": status, "request_id": "stub",
                                            "body": {"error": {"message": message,
                                                               "type": "stub_error",
                                                               "code": str(status)}}},
                               "error": None})
                continue
            reply = self.respond(line["body"])
            reply = StubReply(content=reply) if isinstance(reply, str) else reply
            outputs.append({"id": f"batch_req_{uuid.uuid4().hex[:12]}",
                            "custom_id": line["custom_id"],
                            "response": {"status_code": 200, "request_id": "stub",
                                         "body": _completion_json(line["body"], reply)},
                            "error": None})
        for line in unanswered:
            errors.append({"id": f"batch_req_{uuid.uuid4().hex[:12]}",
                           "custom_id": line["custom_id"], "response": None,
                           "error": {"code": unanswered_code,
                                     "message": f"this request was not run ({unanswered_code})"}})
        batch.completed, batch.failed = len(outputs), len(errors)
        if outputs:
            batch.output_file_id = self._new_file(f"{batch.id}_output.jsonl",
                                                  _jsonl(outputs))["id"]
        if errors:
            batch.error_file_id = self._new_file(f"{batch.id}_error.jsonl", _jsonl(errors))["id"]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self
        chat_handler = super()._handler_class()

        class Handler(chat_handler):
            def do_POST(self) -> None:
                self._serve("POST")

            def do_GET(self) -> None:
                self._serve("GET")

            def _serve(self, method: str) -> None:
                url = urlparse(self.path)
                parts = url.path.strip("/").split("/")
                route = _route(method, parts)
                if route == "chat" and route not in stub.broken:
                    with stub._lock:
                        stub.calls["chat"] += 1
                    super().do_POST()
                    return
                body = (self.rfile.read(int(self.headers["Content-Length"]))
                        if method == "POST" else b"")
                if route in stub.broken:
                    with stub._lock:
                        stub.refused[route] += 1
                    status = stub.broken[route]
                    self._send(status, json.dumps(_error_json(status)), {})
                    return
                with stub._lock:
                    if route is None:
                        self._send(404, json.dumps({"error": {"message": url.path}}), {})
                        return
                    stub.calls[route] += 1
                    reply = stub._reply(route, parts, parse_qs(url.query),
                                        self.headers["Content-Type"], body)
                stub.on_call(route)
                if isinstance(reply, bytes):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                    return
                self._send(200, json.dumps(reply), {})

        return Handler

    def _reply(self, route: str, parts: list[str], query: dict[str, list[str]],
               content_type: str, body: bytes) -> dict | bytes:
        """Does the work of one call (under the lock) and gives its reply."""
        if route == "upload":
            return self._upload(content_type, body)
        if route == "create":
            return self._create(json.loads(body))
        if route == "cancel":
            batch = self.batches[parts[2]]
            if batch.status in ("validating", "in_progress"):
                batch.status = "cancelling"
            return batch.json()
        if route == "content":
            return self.files[parts[2]][1]
        if route == "list_files":
            newest_first = reversed(self.files.items())
            return self._page([_file_json(file_id, name, content)
                               for file_id, (name, content) in newest_first], query, 10_000)
        if route == "list_batches":
            return self._page([b.json() for b in reversed(self.batches.values())], query, 20)
        return self._retrieve(parts[2])

    def _upload(self, content_type: str, body: bytes) -> dict:
        message = email.parser.BytesParser().parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        upload = next(part for part in message.get_payload()
                      if part.get_param("name", header="content-disposition") == "file")
        filename = upload.get_param("filename", header="content-disposition")
        return self._new_file(filename, upload.get_payload(decode=True))

    def _page(self, listed: list[dict], query: dict[str, list[str]], default_limit: int) -> dict:
        """One page of a newest-first listing, as OpenAI pages it: `after` an id, `limit`
        (OpenAI's default for the route; `page_size`, when set, caps it), `has_more`."""
        if "after" in query:
            ids = [item["id"] for item in listed]
            listed = listed[ids.index(query["after"][0]) + 1:]
        limit = int(query.get("limit", [default_limit])[0])
        limit = min(limit, self.page_size or limit)
        page = listed[:limit]
        return {"object": "list", "data": page, "has_more": len(listed) > limit,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None}


def _route(method: str, parts: list[str]) -> str | None:
    """The call a request path makes, by the names `calls`, `broken` and `on_call` use."""
    if parts[:1] != ["v1"]:
        return None
    path = parts[1:]
    if method == "POST":
        routes = {("chat", "completions"): "chat", ("files",): "upload", ("batches",): "create"}
        if len(path) == 3 and path[0] == "batches" and path[2] == "cancel":
            return "cancel"
        return routes.get(tuple(path))
    if path == ["files"]:
        return "list_files"
    if path == ["batches"]:
        return "list_batches"
    if len(path) == 3 and path[0] == "files" and path[2] == "content":
        return "content"
    if len(path) == 2 and path[0] == "batches":
        return "retrieve"
    return None


def _file_json(file_id: str, filename: str, content: bytes) -> dict:
    return {"id": file_id, "object": "file", "bytes": len(content),
            "created_at": int(time.time()), "filename": filename, "purpose": "batch"}


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()
