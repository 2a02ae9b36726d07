"""The whole pipeline at scale, as `synth run` runs it (Dagster jobs in this process, every GE
check included), against a fast local stub teacher (benchmarks/openai_bench_server.py with
benchmarks/stub_answers.py: OpenAI-compatible on 127.0.0.1, no added latency, reached through
litellm), then the same day again with everything cached, in a new process as a second
`synth run` would be (GE imported again, nothing held in memory).

The spec is the default spec's recipes, verifiers, benchmark, contamination detectors, real
data and mixture, at scale: GSM8K train questions x 4 samples (math, about half the
generations), generated `add_K` code tasks x 2 (python_tests in the sandbox, about 30%) and
generated instructions x 1 (about 20%). --detectors ngram turns the semantic detector (and the
LLM judge) off, leaving the n-gram, coverage and MinHash detectors.

Each size runs in a fresh process with a fresh DAGSTER_HOME. Per Dagster step (stage, and its
checks apart) it prints wall time from the run's event log, CPU time (this process and the
sandbox children it waited for; the stub server's own CPU is not counted) and peak RSS, both
sampled every SAMPLE_S; partitions of a stage are summed (peak: the largest). It names the
dominant stage, and prints records/s of the fully cached rerun, the load average and the BLAS
kernel numpy runs (in this parent, before synth_assets limits its threads: the stages run
SYNTH_NUM_THREADS of them, printed beside it). A stage's blocking checks run in its own step
(defs/blocking_checks.py); a reference older than that shows them as `<stage> checks` rows.

The cached rerun is measured side by side with a reference (--reference, default the commit
before the rerun work of issue 21 item 3; `none` for none): each new process runs the same
store again, ours and the reference's code taking turns (--turns each), and the fastest run of
each counts, so a load that changes during the benchmark favours neither.

GSM8K train is read from --gsm8k (default: the repository's tests/data/gsm8k/train.jsonl.gz).

Usage: python benchmarks/bench_pipeline_scale.py [--sizes 5000 50000] [--detectors ngram]
       [--reference 395f764 | none] [--turns 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from gsm8k_data import TRAIN, read_rows
from peer_venv import reference_tree

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DAY = "2026-11-20"
REFERENCE = "395f764"  # main before the cached-rerun work (check_specs, teacher reuse)
SAMPLE_S = 0.05
SHARES = {"math": 0.5, "code": 0.3, "general": 0.2}
STAGES = ["seed_sets", "teacher_generations", "verified_subsets", "contamination_reports",
          "final_mixtures", "preference_sets"]


def gsm8k_seeds(path: Path) -> list[dict]:
    rows = read_rows(path)
    return [{"question": row["question"], "answer": row["answer"].split("####")[-1].strip()}
            for row in rows]


def write_inputs(folder: Path, size: int, detectors: str, api_base: str, gsm8k: Path) -> Path:
    """Seeds, the stub's answer file and the spec for `size` generations; returns the spec."""
    import yaml

    from synth_assets.spec import DEFAULT_SPEC_PATH

    math = gsm8k_seeds(gsm8k)
    math_samples = max(4, -(-int(size * SHARES["math"]) // len(math)))
    math_seeds = min(len(math), int(size * SHARES["math"]) // math_samples)
    code_tasks = int(size * SHARES["code"]) // 2
    instructions = size - math_seeds * math_samples - code_tasks * 2
    seeds = {
        "math.jsonl": math[:math_seeds],
        "code.jsonl": [{"prompt": f'def add_{k}(x: int) -> int:\n    """Return x plus {k}."""\n',
                        "entry_point": f"add_{k}",
                        "tests": f"def check(candidate):\n    assert candidate(3) == {3 + k}\n"}
                       for k in range(code_tasks)],
        "instructions.jsonl": [{"instruction": f"Describe item number {i} of the catalogue "
                                               f"in a few plain sentences (topic {i % 97})."}
                               for i in range(instructions)],
    }
    for name, rows in seeds.items():
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "math_answers.json").write_text(json.dumps({r["question"]: r["answer"]
                                                          for r in math[:math_seeds]}))
    spec = yaml.safe_load(DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))
    spec["seed_sets"] = {"math_word_problems": {"path": "math.jsonl", "kind": "math"},
                         "python_tasks": {"path": "code.jsonl", "kind": "code"},
                         "general_instructions": {"path": "instructions.jsonl",
                                                  "kind": "instruction"}}
    spec["teachers"] = {"stub": {"model": "openai/bench-model", "api_base": api_base,
                                 "api_key_env": "BENCH_API_KEY", "max_tokens": 256,
                                 "concurrency": 64, "input_cost_per_token": 1e-7,
                                 "output_cost_per_token": 4e-7}}
    recipes = {name: spec["recipes"][name] for name in
               ("math_chain_of_thought", "python_functions", "general_answers")}
    for recipe in recipes.values():
        recipe["teacher"] = "stub"
    recipes["math_chain_of_thought"]["samples_per_seed"] = math_samples
    recipes["python_functions"]["samples_per_seed"] = 2
    spec["recipes"] = recipes
    spec["contamination"]["llm_judge"] = {"enabled": False}
    if detectors == "ngram":
        spec["contamination"]["semantic"] = {"enabled": False}
    spec["real_sources"]["human_written"]["path"] = str(
        DEFAULT_SPEC_PATH.parent / spec["real_sources"]["human_written"]["path"])
    spec["mixtures"]["starter_mix"]["recipes"] = list(recipes)
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


class Sampler:
    """Samples this process's CPU time (with waited-for children) and RSS every SAMPLE_S."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float, float]] = []  # (unix time, CPU s, RSS MB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        from process_memory import rss_mb

        while not self._stop.is_set():
            t = os.times()
            self.samples.append((time.time(), t.user + t.system + t.children_user
                                 + t.children_system, rss_mb()))
            self._stop.wait(SAMPLE_S)

    def window(self, start: float, end: float) -> tuple[float, float]:
        """(CPU s, peak RSS MB) between two unix times."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        before = [s for s in self.samples if s[0] <= start] or self.samples[:1]
        after = [s for s in self.samples if s[0] >= end] or self.samples[-1:]
        cpu = after[0][1] - before[-1][1]
        return cpu, max((s[2] for s in inside + before[-1:]), default=0.0)


@dataclass
class StepFigures:
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_mb: float = 0.0
    runs: int = 0


@dataclass
class PassFigures:
    wall_s: float
    cpu_s: float
    steps: dict[str, StepFigures] = field(default_factory=dict)


def step_name(step_key: str) -> str:
    """A step's row: the stage it materializes, or `<stage> checks` for its asset checks."""
    for stage in STAGES:
        if step_key == stage:
            return stage
        if step_key.startswith(stage):
            return f"{stage} checks"
    return step_key


def run_pass(instance, loaded, sampler: Sampler) -> PassFigures:
    from synth_assets.definitions import defs
    from synth_assets.runs.runner import run_days

    started, cpu = time.time(), time.process_time()
    runs = run_days(instance, defs, loaded, [DAY])
    figures = PassFigures(time.time() - started, time.process_time() - cpu)
    if not runs.success:
        failed = [e.check_name for e in runs.check_evaluations() if not e.passed]
        raise RuntimeError(f"the pipeline failed (failed checks: {failed})")
    steps: dict[str, StepFigures] = defaultdict(StepFigures)
    for _, result in runs.runs:
        begun: dict[str, float] = {}
        for record in instance.all_logs(result.run_id):
            event = record.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type_value == "STEP_START":
                begun[event.step_key] = record.timestamp
            elif event.event_type_value == "STEP_SUCCESS":
                start = begun.pop(event.step_key)
                cpu_s, peak = sampler.window(start, record.timestamp)
                row = steps[step_name(event.step_key)]
                row.wall_s += record.timestamp - start
                row.cpu_s += cpu_s
                row.peak_mb = max(row.peak_mb, peak)
                row.runs += 1
    figures.steps = dict(steps)
    return figures


def run_one_size(size: int, detectors: str, gsm8k: Path, reference: Path | None,
                 turns: int) -> dict:
    """In this (fresh) process: the pipeline for `size` generations; then the cached rerun in a
    new process, as a user's second `synth run` would (nothing imported or cached in memory),
    with our code and the reference's taking turns; the fastest of each."""
    import dagster as dg
    from bench_teacher_throughput import API_KEY, bench_server

    from synth_assets.lineage.store import LineageStore
    from synth_assets.runs.home import INSTANCE_YAML
    from synth_assets.spec import load_spec

    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        folder = Path(tmp)
        home = folder / "dagster_home"
        home.mkdir()
        (home / "dagster.yaml").write_text(INSTANCE_YAML.read_text())
        os.environ.update(DAGSTER_HOME=str(home), SYNTH_DB=str(home / "synth.duckdb"),
                          SYNTH_EXPORT_DIR=str(home / "exports"), BENCH_API_KEY=API_KEY)
        (folder / "inputs").mkdir()
        math_answers = folder / "inputs" / "math_answers.json"
        # The server reads the answers file once, at start: write the inputs first.
        spec_path = write_inputs(folder / "inputs", size, detectors, "http://placeholder/v1",
                                 gsm8k)
        with bench_server(0.0, "--math-answers", str(math_answers)) as api_base:
            spec_path = write_inputs(folder / "inputs", size, detectors, api_base, gsm8k)
            os.environ["SYNTH_SPEC"] = str(spec_path)
            loaded = load_spec(spec_path)
            with Sampler() as sampler, dg.DagsterInstance.get() as instance:
                fresh = run_pass(instance, loaded, sampler)
            reruns: dict[str, list[dict]] = {"ours": [], "reference": []}
            for _ in range(turns):
                reruns["ours"].append(_child_result(["--rerun"], os.environ))
                if reference is not None:
                    reruns["reference"].append(_child_result(["--rerun"], os.environ, reference))
        counts = LineageStore(home / "synth.duckdb").query_frame("table_row_counts")
    fastest = {name: min(runs, key=lambda run: run["wall_s"])
               for name, runs in reruns.items() if runs}
    return {"size": size, "detectors": detectors, "fresh": _as_dict(fresh),
            "cached": fastest["ours"], "reference": fastest.get("reference"),
            "store_rows": dict(zip(counts.iloc[:, 0], counts.iloc[:, 1], strict=True)),
            "load_after": os.getloadavg()}


def rerun() -> dict:
    """In this new process: the pipeline again on the DAGSTER_HOME and spec of the environment,
    where every teacher call, verdict and check has been made before."""
    import dagster as dg

    from synth_assets.spec import load_spec

    with Sampler() as sampler, dg.DagsterInstance.get() as instance:
        return _as_dict(run_pass(instance, load_spec(os.environ["SYNTH_SPEC"]), sampler))


def _child_result(arguments: list[str], env: os._Environ | dict, code: Path = REPO) -> dict:
    """Run this script with `arguments` in a new process, on the synth_assets of `code` (this
    repository, or a reference's tree); the JSON it prints after RESULT."""
    completed = subprocess.run(
        [sys.executable, __file__, *arguments], capture_output=True, text=True,
        env={**env, "PYTHONPATH": os.pathsep.join([str(code), str(HERE)])})
    line = next((x for x in completed.stdout.splitlines() if x.startswith("RESULT ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"{arguments}: {completed.stdout[-3000:]}\n{completed.stderr[-6000:]}")
    return json.loads(line.removeprefix("RESULT "))


def _as_dict(figures: PassFigures) -> dict:
    return {"wall_s": figures.wall_s, "cpu_s": figures.cpu_s,
            "steps": {name: vars(step) for name, step in figures.steps.items()}}


def blas_kernel() -> str:
    import numpy as np  # noqa: F401  (loads the BLAS library threadpoolctl reports)
    from threadpoolctl import threadpool_info

    return ", ".join(f"{i['internal_api']} {i.get('architecture')} x{i['num_threads']}"
                     for i in threadpool_info()) or "none loaded"


def print_size(result: dict) -> None:
    size, fresh, cached = result["size"], result["fresh"], result["cached"]
    reference = result["reference"] or {"steps": {}}
    print(f"\n{size:,} generations, detectors: {result['detectors']}; load average after: "
          + " ".join(f"{x:.1f}" for x in result["load_after"]))
    print(f"{'step':<32}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}{'cached wall s':>15}"
          f"{'cached CPU s':>14}{'reference wall s':>18}{'reference CPU s':>17}")
    names = [n for stage in STAGES for n in (stage, f"{stage} checks")
             if n in fresh["steps"] or n in reference["steps"]]
    for name in names:
        step, again = fresh["steps"].get(name, {}), cached["steps"].get(name, {})
        before = reference["steps"].get(name, {})
        print(f"{name:<32}{step.get('wall_s', 0):>9.1f}{step.get('cpu_s', 0):>9.1f}"
              f"{step.get('peak_mb', 0):>9.0f}{again.get('wall_s', 0):>15.1f}"
              f"{again.get('cpu_s', 0):>14.1f}{before.get('wall_s', 0):>18.1f}"
              f"{before.get('cpu_s', 0):>17.1f}")
    stage_wall = {stage: sum(step["wall_s"] for n, step in fresh["steps"].items()
                             if n.startswith(stage)) for stage in STAGES}
    dominant = max(stage_wall, key=stage_wall.get)
    print(f"{'whole run (Dagster included)':<32}{fresh['wall_s']:>9.1f}{fresh['cpu_s']:>9.1f}"
          f"{'':>9}{cached['wall_s']:>15.1f}{cached['cpu_s']:>14.1f}"
          f"{reference.get('wall_s', 0):>18.1f}{reference.get('cpu_s', 0):>17.1f}")
    print(f"dominant stage: {dominant} ({stage_wall[dominant]:.1f} s, "
          f"{stage_wall[dominant] / fresh['wall_s']:.0%} of the run, checks included)")
    generations = result["store_rows"].get("generations", size)
    for name, rerun in (("ours", cached), ("reference", result["reference"])):
        if rerun is not None:
            print(f"fully cached rerun (a new process), {name}: "
                  f"{generations / rerun['wall_s']:,.0f} records/s wall, "
                  f"{generations / rerun['cpu_s']:,.0f} per CPU-second ({generations:,} "
                  f"generations in {rerun['wall_s']:.1f} s, {rerun['cpu_s']:.1f} s CPU, "
                  f"{sum(step['runs'] for step in rerun['steps'].values())} Dagster steps)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--detectors", choices=["default", "ngram"], default="ngram")
    parser.add_argument("--gsm8k", type=Path, default=TRAIN)
    parser.add_argument("--reference", default=REFERENCE,
                        help="commit whose code reruns the same store beside ours, or none")
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--reference-tree", type=Path, help=argparse.SUPPRESS)  # a child's
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child's size
    parser.add_argument("--rerun", action="store_true", help=argparse.SUPPRESS)  # its rerun
    args = parser.parse_args()
    if args.rerun:
        print("RESULT " + json.dumps(rerun()))
        return
    if args.one:
        print("RESULT " + json.dumps(run_one_size(args.one, args.detectors, args.gsm8k,
                                                  args.reference_tree, args.turns)))
        return
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} "
          f"CPUs; numpy BLAS: {blas_kernel()}; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', 'unset')}; SYNTH_NUM_THREADS="
          f"{os.environ.get('SYNTH_NUM_THREADS', 'unset (1)')}")
    reference = [] if args.reference == "none" else [
        "--reference-tree", str(reference_tree(args.reference))]
    print(f"cached rerun beside: {args.reference}, {args.turns} turns each")
    for size in args.sizes:
        print_size(_child_result(["--one", str(size), "--detectors", args.detectors,
                                  "--gsm8k", str(args.gsm8k), "--turns", str(args.turns),
                                  *reference], os.environ))

if __name__ == "__main__":
    main()
