"""What moving the lineage store to PostgreSQL costs the analytic stages, side by side in one run.

contamination_reports, final_mixtures and preference_sets run their SQL in DuckDB on either
store; on PostgreSQL they first bulk-read the store into a DuckDB working copy and at the end
write back what they added (synth_assets/lineage/copy.py). This measures that difference at a
store of N generations (with their seeds, prompts, teacher calls, verdicts, edges and a
snapshot), each step in a fresh process for its peak memory:

  write      the rows written into PostgreSQL by COPY + insert-if-absent (`synth store copy`
             from DuckDB): the bulk write path
  duckdb     entering and leaving analytic_store on the DuckDB store (the stage's own store:
             nothing to copy)
  postgres   entering and leaving analytic_store on the PostgreSQL store (read every table
             into a working copy, write back nothing new): what each analytic stage adds

Usage: python benchmarks/bench_postgres_stages.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO)]

from synth_assets.lineage.copy import analytic_store, copy_store  # noqa: E402
from synth_assets.lineage.location import open_store  # noqa: E402
from synth_assets.lineage.store import LineageStore  # noqa: E402
from tests.postgres_fixture import start_postgres, stop_postgres  # noqa: E402

SAMPLES_PER_SEED = 4
TEXT = "Three boxes of four pens: 3 x 4 = 12 pens. The answer is 12. " * 4


def build_duckdb_store(path: Path, generations: int) -> None:
    """A store shaped like a pipeline's: seeds, one prompt per seed, a teacher call, a
    generation and a verdict per sample, their edges, and a snapshot of the generations."""
    seeds = generations // SAMPLES_PER_SEED
    store = LineageStore(path)
    seed_ids = [f"seed_{i:020d}" for i in range(seeds)]
    prompt_ids = [f"prm_{i:020d}" for i in range(seeds)]
    gen_ids = [f"gen_{i:020d}" for i in range(generations)]
    call_ids = [f"call_{i:020d}" for i in range(generations)]
    of_seed = [i // SAMPLES_PER_SEED for i in range(generations)]
    with store.writer() as writer:
        writer.insert_new("seeds", pa.table({
            "seed_id": seed_ids, "seed_set": ["math"] * seeds, "kind": ["math"] * seeds,
            "payload": [f'{{"question":"q{i}","answer":"{i}"}}' for i in range(seeds)],
            "source_file": ["math.jsonl"] * seeds, "source_line": list(range(1, seeds + 1))}))
        writer.insert_new("prompts", pa.table({
            "prompt_id": prompt_ids, "recipe": ["math_cot"] * seeds, "seed_id": seed_ids,
            "messages": [f'[{{"role":"user","content":"Solve q{i}"}}]' for i in range(seeds)]}))
        writer.insert_new("teacher_calls", pa.table({
            "call_id": call_ids, "model": ["openai/stub"] * generations,
            "params": ['{"max_tokens":64}'] * generations,
            "messages": [f'[{{"role":"user","content":"Solve q{s}"}}]' for s in of_seed],
            "sample_index": [i % SAMPLES_PER_SEED for i in range(generations)],
            "response_text": [TEXT] * generations, "finish_reason": ["stop"] * generations,
            "prompt_tokens": [12] * generations, "completion_tokens": [40] * generations,
            "cost_usd": [0.0] * generations, "latency_s": [0.2] * generations}))
        writer.insert_new("generations", pa.table({
            "generation_id": gen_ids, "recipe": ["math_cot"] * generations,
            "prompt_id": [prompt_ids[s] for s in of_seed], "call_id": call_ids,
            "seed_id": [seed_ids[s] for s in of_seed],
            "sample_index": [i % SAMPLES_PER_SEED for i in range(generations)],
            "text": [TEXT] * generations}))
        writer.insert_new("verdicts", pa.table({
            "verdict_id": [f"vrd_{i:020d}" for i in range(generations)],
            "generation_id": gen_ids, "verifier": ["math_answer"] * generations,
            "verifier_version": ["1"] * generations, "passed": [True] * generations,
            "score": [1.0] * generations, "reason": ["right"] * generations,
            "evidence": ["12"] * generations, "duration_s": [0.001] * generations}))
        writer.insert_new("edges", pa.table({
            "child_id": gen_ids + [f"vrd_{i:020d}" for i in range(generations)],
            "parent_id": [prompt_ids[s] for s in of_seed] + gen_ids,
            "relation": ["answers"] * generations + ["judges"] * generations}))
        writer.record_partition_snapshot("verified_subsets", "2026-11-20|math_cot", gen_ids)


def _measure(step: str, source: str, target: str, folder: str, queue: multiprocessing.Queue
             ) -> None:
    started = time.perf_counter()
    cpu = time.process_time()
    if step == "write":
        copy_store(open_store(source), open_store(target))
    else:
        with analytic_store(open_store(source), Path(folder)):
            pass
    queue.put((time.perf_counter() - started, time.process_time() - cpu, peak_rss_mb()))


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would carry over the high-water
    mark of the process that forked it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def measure(step: str, source: str, target: str, folder: str) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one step in a fresh process."""
    queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(
        target=_measure, args=(step, source, target, folder, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    args = parser.parse_args()
    server = start_postgres()
    try:
        for size in args.sizes:
            with tempfile.TemporaryDirectory(prefix="bench-pg-stages-") as folder:
                duck = str(Path(folder) / "synth.duckdb")
                build_duckdb_store(Path(duck), size)
                postgres = server.create_database(f"bench_{size}")
                rows = sum(r["row_count"] for r in open_store(duck).query("table_row_counts"))
                print(f"{size:,} generations ({rows:,} rows in the store), load average "
                      f"{os.getloadavg()[0]:.1f}")
                for step, source, target in (("write", duck, postgres),
                                             ("duckdb", duck, ""),
                                             ("postgres", postgres, "")):
                    wall, cpu, peak = measure(step, source, target, folder)
                    print(f"  {step:9s} wall {wall:7.1f} s  CPU {cpu:7.1f} s  peak RSS "
                          f"{peak:6.0f} MB" + (f"  ({rows / wall:,.0f} rows/s)"
                                               if step != "duckdb" else ""))
    finally:
        stop_postgres(server)


if __name__ == "__main__":
    main()
