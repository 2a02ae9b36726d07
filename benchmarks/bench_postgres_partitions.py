"""Parallel partitions: 8 recipe-day partitions of `generate`, each against a stub teacher that
takes 200 ms an answer (benchmarks/openai_bench_server.py, its own process) with a
per-partition teacher concurrency of 4, side by side in one run:

  duckdb    the default DuckDB store: the 8 runs are started at once, and the `synth_duckdb`
            pool (one slot, dagster_home/dagster.yaml) lets one writing step run at a time
  postgres  the same on a PostgreSQL store (SYNTH_DB a URL, no pool): 4 runs at a time, as
            Dagster's run queue with max_concurrent_runs 4 starts them

Each run is `dagster job execute -j generate` for one partition in its own process (in-process
executor), as the daemon's run launcher would start it. The PostgreSQL server is started for the
run like the tests' (tests/postgres_fixture.py: initdb in a temporary folder). Prints the wall
time of each way, the CPU the runs used (the machine is shared: a CPU-bound part cannot run
faster in parallel), the load average, the speed-up (goal >= 3x) and checks that both stores
hold the same rows.

Usage: python benchmarks/bench_postgres_partitions.py [--partitions 8] [--seeds 25]
       [--samples 4] [--latency 0.2] [--parallel 4]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO), str(HERE)]

from bench_teacher_throughput import bench_server  # noqa: E402

from synth_assets.lineage.location import open_store  # noqa: E402
from tests.postgres_fixture import start_postgres, stop_postgres  # noqa: E402

DAGSTER = str(Path(sys.executable).parent / "dagster")
RECIPE = "arithmetic"
FIRST_DAY = date(2026, 11, 1)


def write_spec(folder: Path, api_base: str, seeds: int, samples: int) -> Path:
    """One recipe; its seeds are distinct questions; every answer passes (length only, no
    dedup: the stub answers the same text to every prompt)."""
    folder.mkdir(parents=True)
    (folder / "seeds.jsonl").write_text("".join(
        json.dumps({"instruction": f"Question {i}: what is {i} + {i + 1}?"}) + "\n"
        for i in range(seeds)))
    spec = {
        "version": 1,
        "seed_sets": {"questions": {"path": "seeds.jsonl", "kind": "instruction"}},
        "teachers": {"stub": {"model": "openai/bench-model", "api_base": api_base,
                              "api_key_env": "BENCH_TEACHER_KEY", "max_tokens": 64,
                              "concurrency": 4}},
        "recipes": {RECIPE: {"seed_set": "questions", "teacher": "stub", "domain": "math",
                             "samples_per_seed": samples, "template": "{{ instruction }}",
                             "verifiers": ["length"]}},
        "verifiers": {"length": {"type": "length", "options": {"min_chars": 5}}},
        "dedup": {"enabled": False},
    }
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def instance_home(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "dagster.yaml").write_text((REPO / "dagster_home" / "dagster.yaml").read_text())
    return folder


def run_partitions(env: dict[str, str], partitions: list[str], parallel: int,
                   config: Path) -> tuple[float, float]:
    """Runs `generate` for each partition, `parallel` processes at a time; (wall s, CPU s of
    the runs)."""
    subprocess.run([DAGSTER, "instance", "migrate"], env=env, check=True, capture_output=True)
    register = ("from synth_assets.defs.partitions import register_recipes; "
                "from synth_assets.spec import load_spec; import dagster as dg, os; "
                "register_recipes(dg.DagsterInstance.get(), load_spec(os.environ['SYNTH_SPEC']))")
    subprocess.run([sys.executable, "-c", register], env=env, check=True, capture_output=True)

    def run(partition: str) -> None:
        result = subprocess.run(
            [DAGSTER, "job", "execute", "-m", "synth_assets.definitions", "-j", "generate",
             "--tags", json.dumps({"dagster/partition": partition}), "-c", str(config)],
            env=env, capture_output=True, text=True)
        if result.returncode != 0 or "RUN_SUCCESS" not in result.stdout + result.stderr:
            raise RuntimeError(f"{partition} failed:\n{(result.stdout + result.stderr)[-3000:]}")

    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(run, partitions))
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return wall, cpu


def row_counts(location: str) -> dict[str, int]:
    return {row["table_name"]: row["row_count"]
            for row in open_store(location).query("table_row_counts")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=25, help="seeds per partition")
    parser.add_argument("--samples", type=int, default=4, help="samples per seed")
    parser.add_argument("--latency", type=float, default=0.2, help="teacher seconds an answer")
    parser.add_argument("--parallel", type=int, default=4, help="PostgreSQL runs at once")
    args = parser.parse_args()
    partitions = [f"{FIRST_DAY + timedelta(days=n)}|{RECIPE}" for n in range(args.partitions)]
    calls = args.seeds * args.samples
    print(f"{args.partitions} partitions x {calls} teacher calls, {args.latency * 1000:.0f} ms "
          f"each, teacher concurrency 4 (at least {calls / 4 * args.latency:.1f} s of waiting "
          "per partition)")
    server = start_postgres()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-partitions-") as folder, \
                bench_server(args.latency) as api_base:
            root = Path(folder)
            config = root / "in_process.yaml"
            config.write_text("execution:\n  config:\n    in_process: {}\n")
            spec = write_spec(root / "spec", api_base, args.seeds, args.samples)
            base = {**os.environ, "SYNTH_SPEC": str(spec), "BENCH_TEACHER_KEY": "sk-bench",
                    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                    "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
            stores = {"duckdb": str(root / "duckdb_home" / "synth.duckdb"),
                      "postgres": server.create_database("bench")}
            results = {}
            for way, parallel in (("duckdb", args.partitions), ("postgres", args.parallel)):
                home = instance_home(root / f"{way}_home")
                env = {**base, "DAGSTER_HOME": str(home), "SYNTH_DB": stores[way]}
                load_before = os.getloadavg()[0]
                results[way] = run_partitions(env, partitions, parallel, config)
                print(f"{way:9s} {parallel} run(s) started at a time: wall {results[way][0]:7.1f} s"
                      f", runs' CPU {results[way][1]:6.1f} s, load average {load_before:.1f} -> "
                      f"{os.getloadavg()[0]:.1f}")
            counts = {way: row_counts(location) for way, location in stores.items()}
            assert counts["duckdb"] == counts["postgres"], counts
            assert counts["postgres"]["generations"] == args.partitions * calls, counts
            speedup = results["duckdb"][0] / results["postgres"][0]
            print(f"both stores hold the same rows ({counts['postgres']['generations']} "
                  f"generations); PostgreSQL {speedup:.2f}x faster in wall time (goal >= 3x)")
    finally:
        stop_postgres(server)


if __name__ == "__main__":
    main()
