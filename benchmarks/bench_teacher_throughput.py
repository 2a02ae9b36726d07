"""Teacher call throughput, side by side in one run, against one local OpenAI-compatible server
with a fixed latency per answer (benchmarks/openai_bench_server.py, in its own process):

  server    a raw aiohttp client at the same concurrency: what the server itself can serve
  bare      the ceiling for a litellm client: asyncio.gather over litellm.acompletion behind a
            semaphore, nothing stored
  aiohttp   the same loop on litellm's `aiohttp_openai/` provider (its own aiohttp client, no
            OpenAI SDK): how fast litellm itself can go; it reports zero tokens (shown), so
            nothing that needs usage (cost, budget, tokens per minute) can use it
  ours      synth_assets' teacher stage (limits, retries, cost, budget, progress, and every
            answer committed to DuckDB as it arrives), fresh store each time
  curator   bespokelabs-curator's LLM (openai backend) in its own venv, created by this script
            under ~/.cache/synth-assets-bench/ on first use
  cached    the teacher stage re-materialized when every answer is cached (records/s)

Besides requests/s it prints the client's CPU time per request (the benchmark process, or
curator's, during the run; the server's own CPU is not counted): on a shared machine the wall
clock swings with the other jobs, the CPU a client needs per request much less.

Usage: python benchmarks/bench_teacher_throughput.py [--requests N] [--concurrency C]
       [--latency S] [--repeat R] [--no-curator]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import aiohttp  # noqa: E402
import litellm  # noqa: E402
import litellm.main  # noqa: E402
import yaml  # noqa: E402
from litellm.llms.custom_httpx.aiohttp_handler import BaseLLMAIOHTTPHandler  # noqa: E402
from peer_venv import peer_python  # noqa: E402

from synth_assets.lineage.store import LineageStore  # noqa: E402
from synth_assets.spec import load_spec  # noqa: E402
from synth_assets.stages.seed_stage import run_seed_stage  # noqa: E402
from synth_assets.stages.teacher_stage import run_teacher_stage  # noqa: E402

HERE = Path(__file__).resolve().parent
CURATOR_PACKAGE = "bespokelabs-curator"
MODEL = "bench-model"
MAX_TOKENS = 64
API_KEY = "sk-bench-not-a-secret"


@dataclass(frozen=True)
class Timing:
    seconds: float
    cpu_s: float  # CPU time of the client process (all its threads) during the run


def timed(run: Callable[[], object]) -> Timing:
    started, cpu = time.perf_counter(), time.process_time()
    run()
    return Timing(time.perf_counter() - started, time.process_time() - cpu)


@contextmanager
def bench_server(latency_s: float, *options: str) -> Iterator[str]:
    """benchmarks/openai_bench_server.py in its own process (`options`: more of its flags);
    yields its api_base."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "openai_bench_server.py"), "--latency", str(latency_s),
         *options], stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline().split()[1])
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait()


def prompts_for(round_index: int, count: int) -> list[str]:
    """Distinct prompts per round, so no run is answered from a cache."""
    return [f"Round {round_index}, question {i}: what is {i} + {round_index}?"
            for i in range(count)]


async def _raw_client(api_base: str, prompts: list[str], concurrency: int) -> None:
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(prompt: str) -> None:
            async with semaphore:
                body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}]}
                async with session.post(f"{api_base}/chat/completions", json=body) as response:
                    await response.read()

        await asyncio.gather(*(one(p) for p in prompts))


def run_server_ceiling(api_base: str, prompts: list[str], concurrency: int) -> Timing:
    return timed(lambda: asyncio.run(_raw_client(api_base, prompts, concurrency)))


async def _bare_litellm(api_base: str, prompts: list[str], concurrency: int,
                        provider: str = "openai") -> list[litellm.ModelResponse]:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(prompt: str) -> litellm.ModelResponse:
        async with semaphore:
            return await litellm.acompletion(
                model=f"{provider}/{MODEL}", api_base=api_base, api_key=API_KEY,
                messages=[{"role": "user", "content": prompt}], temperature=0.7, top_p=1.0,
                max_tokens=MAX_TOKENS, seed=0, max_retries=0)

    return await asyncio.gather(*(one(p) for p in prompts))


def run_bare(api_base: str, prompts: list[str], concurrency: int) -> Timing:
    return timed(lambda: asyncio.run(_bare_litellm(api_base, prompts, concurrency)))


async def _bare_aiohttp_provider(api_base: str, prompts: list[str], concurrency: int,
                                 tokens: list[int]) -> None:
    # litellm keeps one module-level aiohttp session for this provider, bound to the event loop
    # that first used it; a later asyncio.run() fails with "Event loop is closed". Its docs'
    # way out: a handler with a session of this loop.
    async with aiohttp.ClientSession() as session:
        litellm.main.base_llm_aiohttp_handler = BaseLLMAIOHTTPHandler(client_session=session)
        responses = await _bare_litellm(api_base, prompts, concurrency, "aiohttp_openai")
    tokens.append(sum(r.usage.total_tokens for r in responses))


def run_bare_aiohttp_provider(api_base: str, prompts: list[str], concurrency: int,
                              tokens: list[int]) -> Timing:
    """The bare loop on `aiohttp_openai/`; appends the tokens its responses reported."""
    return timed(lambda: asyncio.run(
        _bare_aiohttp_provider(api_base, prompts, concurrency, tokens)))


def write_spec(folder: Path, api_base: str, prompts: list[str], concurrency: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "seeds.jsonl").write_text(
        "".join(json.dumps({"instruction": p}) + "\n" for p in prompts), encoding="utf-8")
    spec = {
        "version": 1,
        "seed_sets": {"questions": {"path": "seeds.jsonl", "kind": "instruction"}},
        "teachers": {"bench": {
            "model": f"openai/{MODEL}", "api_base": api_base, "api_key_env": "BENCH_API_KEY",
            "max_tokens": MAX_TOKENS, "concurrency": concurrency,
            "input_cost_per_token": 1e-7, "output_cost_per_token": 4e-7}},
        "recipes": {"answers": {"seed_set": "questions", "teacher": "bench",
                                "domain": "general", "template": "{{ instruction }}"}},
    }
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def run_ours(api_base: str, prompts: list[str], concurrency: int, folder: Path,
             cached: list[Timing]) -> Timing:
    """The whole stage on a fresh store; then re-materializes it fully cached and appends that
    timing to `cached`."""
    os.environ["BENCH_API_KEY"] = API_KEY
    loaded = load_spec(write_spec(folder, api_base, prompts, concurrency))
    store = LineageStore(folder / "synth.duckdb")
    seeds = run_seed_stage(store, loaded).seeds
    results = []

    def stage() -> None:
        results.append(run_teacher_stage(store, loaded, seeds, log=lambda _: None))

    fresh = timed(stage)
    assert results[-1].calls.answered == len(prompts), results[-1].calls
    cached.append(timed(stage))
    assert results[-1].calls.cached == len(prompts) and results[-1].calls.answered == 0
    return fresh


CURATOR_SCRIPT = textwrap.dedent("""
    import json, sys, time
    from bespokelabs import curator

    api_base, concurrency, prompts_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    prompts = json.load(open(prompts_file))
    llm = curator.LLM(
        model_name="{model}",
        backend="openai",
        generation_params={{"temperature": 0.7, "top_p": 1.0, "max_tokens": {max_tokens},
                           "seed": 0}},
        backend_params={{"base_url": api_base, "api_key": "{api_key}",
                        "max_concurrent_requests": concurrency,
                        "max_requests_per_minute": 10_000_000,
                        "max_tokens_per_minute": 10_000_000_000,
                        "max_retries": 0, "require_all_responses": True}},
    )
    started, cpu = time.perf_counter(), time.process_time()
    response = llm(prompts)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print("CURATOR_RESULT", json.dumps({{"seconds": seconds, "cpu_s": cpu,
                                        "rows": len(response.dataset)}}))
""").format(model=MODEL, max_tokens=MAX_TOKENS, api_key=API_KEY)


def ensure_curator() -> Path:
    return peer_python("curator-venv", "import bespokelabs.curator", [[CURATOR_PACKAGE]])


def run_curator(python: Path, api_base: str, prompts: list[str], concurrency: int,
                folder: Path) -> Timing:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prompts.json").write_text(json.dumps(prompts))
    (folder / "run_curator.py").write_text(CURATOR_SCRIPT)
    # Offline: tiktoken reads cl100k_base from the copy litellm ships (in curator's venv).
    tokenizers = subprocess.run(
        [str(python), "-c", "import litellm, os; print(os.path.join(os.path.dirname("
         "litellm.__file__), 'litellm_core_utils', 'tokenizers'))"],
        capture_output=True, text=True, check=True).stdout.strip()
    env = {**os.environ, "CURATOR_CACHE_DIR": str(folder / "curator-cache"),
           "CURATOR_DISABLE_RICH_DISPLAY": "1", "HF_DATASETS_OFFLINE": "1",
           "TELEMETRY_ENABLED": "False", "TIKTOKEN_CACHE_DIR": tokenizers}
    completed = subprocess.run(
        [str(python), str(folder / "run_curator.py"), api_base, str(concurrency),
         str(folder / "prompts.json")], capture_output=True, text=True, env=env, cwd=folder)
    line = next((line for line in completed.stdout.splitlines()
                 if line.startswith("CURATOR_RESULT")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"curator failed:\n{completed.stdout[-2000:]}\n"
                           f"{completed.stderr[-4000:]}")
    result = json.loads(line.split(" ", 1)[1])
    if result["rows"] != len(prompts):
        raise RuntimeError(f"curator answered {result['rows']} of {len(prompts)} prompts")
    return Timing(result["seconds"], result["cpu_s"])


def server_stats(api_base: str) -> dict:
    """Requests the server saw and the most in flight at once, since the last call."""
    with urllib.request.urlopen(api_base.removesuffix("/v1") + "/stats") as response:
        return json.load(response)


LABELS = {
    "server": "server ceiling (raw aiohttp client)",
    "bare": "bare litellm.acompletion loop (openai/)",
    "ours": "synth_assets teacher stage (DuckDB cache)",
    "aiohttp": "bare litellm loop, aiohttp_openai/ provider",
    "curator": f"{CURATOR_PACKAGE} (openai backend)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-curator", action="store_true")
    args = parser.parse_args()
    litellm.suppress_debug_info = True
    curator_python = None if args.no_curator else ensure_curator()

    n, c = args.requests, args.concurrency
    timings: dict[str, list[Timing]] = {name: [] for name in [*LABELS, "cached"]}
    in_flight: dict[str, int] = {}
    requests_seen: dict[str, int] = {}
    aiohttp_tokens: list[int] = []
    print(f"{n} requests per run, concurrency {c}, server latency {args.latency * 1000:.0f} ms"
          f" (ideal {c / args.latency:.0f} req/s), {args.repeat} rounds, median shown; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with bench_server(args.latency) as api_base, tempfile.TemporaryDirectory() as tmp:

        def measure(name: str, run: Callable[[], Timing]) -> None:
            timings[name].append(run())
            seen = server_stats(api_base)
            if seen["requests"] < n:
                raise RuntimeError(f"{name}: the server saw {seen['requests']} requests, not {n}")
            in_flight[name] = max(in_flight.get(name, 0), seen["max_in_flight"])
            requests_seen[name] = seen["requests"]

        run_bare(api_base, prompts_for(-1, 2 * c), c)  # warm litellm up (imports, clients)
        server_stats(api_base)
        for index in range(args.repeat):
            prompts = prompts_for(index, n)
            runs = {
                "server": partial(run_server_ceiling, api_base, prompts, c),
                "bare": partial(run_bare, api_base, prompts, c),
                "ours": partial(run_ours, api_base, prompts, c, Path(tmp) / f"ours-{index}",
                                timings["cached"]),
                "aiohttp": partial(run_bare_aiohttp_provider, api_base, prompts, c,
                                   aiohttp_tokens),
            }
            if curator_python:
                runs["curator"] = partial(run_curator, curator_python, api_base, prompts, c,
                                          Path(tmp) / f"curator-{index}")
            order = list(runs) if index % 2 == 0 else list(reversed(runs))  # no client always
            for name in order:                                              # runs first
                measure(name, runs[name])
            print(f"  round {index + 1}: " + ", ".join(
                f"{name} {values[-1].seconds:.2f} s" for name, values in timings.items()
                if values))

    rate = {name: n / statistics.median(t.seconds for t in values)
            for name, values in timings.items() if values}
    cpu_ms = {name: 1000 * statistics.median(t.cpu_s for t in values) / n
              for name, values in timings.items() if values}
    print(f"\n{'client':<46}{'req/s':>8}{'vs bare':>9}{'CPU ms/req':>12}{'max in flight':>15}"
          f"{'server saw':>12}")
    for name, label in LABELS.items():
        if name in rate:
            print(f"{label:<46}{rate[name]:>8.1f}{rate[name] / rate['bare']:>9.0%}"
                  f"{cpu_ms[name]:>12.2f}{in_flight[name]:>15}{requests_seen[name]:>12}")
    print(f"\nours / bare litellm: {rate['ours'] / rate['bare']:.0%} of its requests/s, "
          f"{cpu_ms['ours'] / cpu_ms['bare']:.0%} of its CPU per request")
    if "curator" in rate:
        print(f"ours / curator: {rate['ours'] / rate['curator']:.2f}x")
    print(f"aiohttp_openai/ responses reported {max(aiohttp_tokens)} tokens in all (the server "
          f"sends usage: {n} x 17 = {n * 17})")
    print(f"fully cached re-materialization: {rate['cached']:.0f} records/s "
          f"({statistics.median(t.seconds for t in timings['cached']):.2f} s for {n} records)")


if __name__ == "__main__":
    main()
