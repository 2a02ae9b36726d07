"""The batch path against the online path, side by side in one run, on the same local stub
(tests/openai_batch_stub.py, in its own process so that its CPU is not the client's):

  online   teacher_generations of one partition with an online teacher: one chat completion
           per request through litellm.acompletion (concurrency 32), answers cached in DuckDB
  batch    the same partition with the teacher `mode: batch`: the generate run (input file,
           upload, create, recorded), one poll, the ingest run (download, answers into the
           same cache, generations stored); the provider's batch time itself is not counted

For each: the HTTP calls the stub received, the client's wall and CPU time (this process, all
threads), and the cost of the same answers at online prices and at batch prices, both from
litellm's cost map for openai/gpt-4o-mini (the online path's cost is litellm's own per-response
figure). Fresh store for each path.

Usage: python benchmarks/bench_teacher_batch.py [--requests N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from synth_assets.lineage.store import LineageStore  # noqa: E402
from synth_assets.stages.partitions import GenerationPartition  # noqa: E402
from synth_assets.stages.teacher_batch_stage import run_batch_stage  # noqa: E402
from synth_assets.stages.teacher_stage import run_teacher_stage  # noqa: E402
from tests.teacher_fixture import seeded, write_teacher_spec  # noqa: E402

MODEL = "openai/gpt-4o-mini"  # priced in litellm's cost map, batch prices included
PARTITION = GenerationPartition("2026-11-20", "chat")
CONCURRENCY = 32
SERVER = """
import json, sys
from tests.openai_batch_stub import OpenAIBatchStub
answer = "A short answer of about a dozen words, the same for every prompt here."
with OpenAIBatchStub(lambda request: answer) as stub:
    print(stub.base_url, flush=True)
    for line in sys.stdin:
        print(json.dumps(dict(stub.calls)), flush=True)
"""


@contextmanager
def stub_server() -> Iterator[tuple[str, Callable[[], dict[str, int]]]]:
    """The stub in its own process; yields its api_base and a function reading its call
    counts so far."""
    process = subprocess.Popen([sys.executable, "-c", SERVER], cwd=REPO, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdin is not None and process.stdout is not None
    try:
        base_url = process.stdout.readline().strip()

        def calls() -> dict[str, int]:
            process.stdin.write("counts\n")
            process.stdin.flush()
            return json.loads(process.stdout.readline())

        yield base_url, calls
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def measured(run: Callable[[], dict], calls: Callable[[], dict[str, int]]) -> dict:
    before = calls()
    started, cpu = time.perf_counter(), time.process_time()
    figures = run()
    figures.update(wall_s=time.perf_counter() - started, cpu_s=time.process_time() - cpu)
    after = calls()
    figures["http"] = {route: after.get(route, 0) - before.get(route, 0) for route in after
                       if after.get(route, 0) != before.get(route, 0)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["STUB_TEACHER_KEY"] = "sk-bench-not-a-secret"
    instructions = [f"Say something short about the number {n}." for n in range(args.requests)]
    with tempfile.TemporaryDirectory() as scratch, stub_server() as (base_url, calls):
        folder = Path(scratch)
        teacher = {"model": MODEL, "concurrency": CONCURRENCY, "max_tokens": 64}

        def online() -> dict:
            store = LineageStore(folder / "online.duckdb")
            loaded, seeds = seeded(store, write_teacher_spec(folder / "online", base_url,
                                                             instructions, teacher=teacher))
            result = run_teacher_stage(store, loaded, seeds, partition=PARTITION,
                                       log=lambda m: None)
            return {"answered": result.calls.answered, "cost_usd": result.calls.spent.cost_usd}

        def batch() -> dict:
            store = LineageStore(folder / "batch.duckdb")
            loaded, seeds = seeded(store, write_teacher_spec(
                folder / "batch", base_url, instructions, teacher={**teacher, "mode": "batch"}))
            submitted = run_batch_stage(store, loaded, seeds, PARTITION, "submit",
                                        log=lambda m: None)
            ingested = run_batch_stage(store, loaded, seeds, PARTITION, "ingest",
                                       log=lambda m: None, submit=False)
            stored = run_teacher_stage(store, loaded, seeds, partition=PARTITION,
                                       log=lambda m: None, send_calls=False)
            assert not ingested.waiting and stored.calls.cached == args.requests
            return {"answered": ingested.ingested.answered, "batches": submitted.batches_created,
                    "cost_usd": ingested.ingested.spent.cost_usd,
                    "online_cost_usd": ingested.ingested.online_cost_usd}

        # The batch path first: after an online run in the same process, litellm sent the
        # ingest's file download twice (the stub saw both; it happens with litellm's cached
        # clients from the online run's closed event loop around). A Dagster run of its own
        # process does not meet that.
        results = {"batch": measured(batch, calls), "online": measured(online, calls)}
    load = os.getloadavg()
    print(f"{args.requests} requests, {MODEL} prices from litellm's cost map; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'path':8} {'answered':>8} {'HTTP calls':>10} {'wall s':>8} {'CPU s':>8} "
          f"{'CPU ms/req':>10} {'cost USD':>10}  calls by route")
    for name, figures in results.items():
        http = sum(figures["http"].values())
        print(f"{name:8} {figures['answered']:>8} {http:>10} {figures['wall_s']:>8.1f} "
              f"{figures['cpu_s']:>8.1f} {1000 * figures['cpu_s'] / args.requests:>10.3f} "
              f"{figures['cost_usd']:>10.4f}  {json.dumps(figures['http'], sort_keys=True)}")
    batch, online = results["batch"], results["online"]
    print(f"batch path: {sum(batch['http'].values())} HTTP calls against "
          f"{sum(online['http'].values())}, {batch['cpu_s'] / online['cpu_s']:.0%} of the online "
          f"path's client CPU; the same answers cost ${batch['cost_usd']:.4f} at batch prices "
          f"against ${batch['online_cost_usd']:.4f} at online prices (online path billed "
          f"${online['cost_usd']:.4f})")


if __name__ == "__main__":
    main()
