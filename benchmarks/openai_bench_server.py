"""An OpenAI-compatible chat completions server for benchmarks: every answer takes a fixed
latency and costs the server almost nothing (asyncio, one prepared body, keep-alive).

Run in its own process so it never competes with the client for the GIL:
    python benchmarks/openai_bench_server.py --latency 0.05
With --math-answers FILE (a JSON object: GSM8K question -> final answer) it answers each
request as benchmarks/stub_answers.py says (varied, mostly right) instead of one fixed answer.
It prints `port N` once it listens on 127.0.0.1 and serves until terminated.
"""

import argparse
import asyncio
import json
import socket
from collections.abc import Callable

from aiohttp import web

ANSWER = "The answer is 42."


def completion_body(model: str, answer: str = ANSWER) -> bytes:
    return json.dumps({
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": answer}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
    }).encode()


def build_app(latency_s: float, answer: Callable[[dict], str] | None = None
              ) -> web.Application:
    """POST /v1/chat/completions answers (`answer(request body)`, else one fixed answer); GET
    /stats returns and resets the number of requests and the most that were in flight at once
    since the last /stats."""
    fixed = completion_body("bench-model")
    stats = {"requests": 0, "in_flight": 0, "max_in_flight": 0}

    async def chat_completions(request: web.Request) -> web.Response:
        raw = await request.read()
        body = fixed if answer is None else completion_body("bench-model",
                                                            answer(json.loads(raw)))
        stats["requests"] += 1
        stats["in_flight"] += 1
        stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
        try:
            await asyncio.sleep(latency_s)
        finally:
            stats["in_flight"] -= 1
        return web.Response(body=body, content_type="application/json")

    async def read_stats(request: web.Request) -> web.Response:
        seen = {"requests": stats["requests"], "max_in_flight": stats["max_in_flight"]}
        stats.update(requests=0, max_in_flight=stats["in_flight"])
        return web.json_response(seen)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_get("/stats", read_stats)
    return app


async def serve(latency_s: float, answer: Callable[[dict], str] | None) -> None:
    runner = web.AppRunner(build_app(latency_s, answer), access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock, backlog=1024)
    await site.start()
    print(f"port {sock.getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--math-answers", help="JSON file: GSM8K question -> final answer")
    args = parser.parse_args()
    answer = None
    if args.math_answers:
        from stub_answers import StubAnswers  # beside this file, on sys.path as the script's dir

        with open(args.math_answers, encoding="utf-8") as handle:
            answer = StubAnswers(json.load(handle)).answer
    try:
        import uvloop
    except ImportError:
        uvloop = None
    (uvloop.run if uvloop else asyncio.run)(serve(args.latency, answer))


if __name__ == "__main__":
    main()
