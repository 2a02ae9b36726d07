"""An OpenAI-compatible chat completions server for benchmarks: every answer takes a fixed
latency and costs the server almost nothing (asyncio, one prepared body, keep-alive).

Run in its own process so it never competes with the client for the GIL:
    python benchmarks/openai_bench_server.py --latency 0.05
It prints `port N` once it listens on 127.0.0.1 and serves until terminated.
"""

import argparse
import asyncio
import json
import socket

from aiohttp import web

ANSWER = "The answer is 42."


def completion_body(model: str) -> bytes:
    return json.dumps({
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": ANSWER}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
    }).encode()


def build_app(latency_s: float) -> web.Application:
    body = completion_body("bench-model")

    async def chat_completions(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(latency_s)
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat_completions)
    return app


async def serve(latency_s: float) -> None:
    runner = web.AppRunner(build_app(latency_s), access_log=None)
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
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        uvloop = None
    (uvloop.run if uvloop else asyncio.run)(serve(args.latency))


if __name__ == "__main__":
    main()
