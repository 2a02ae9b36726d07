"""Build a mixture from N verified records (generated in DuckDB) at several sizes and print
wall time and peak memory, side by side with the references: earlier versions of this
repository's mixture stage (REFERENCES; each extracted from git into a cache folder by this
script), each on a store it made itself with the same records. Then the time ratios between
consecutive sizes (linear cost: the ratio of the sizes) and where our time goes, phase by phase.

The references:
- 6bbd488, main before issue 17 (SQL at the repository root, a schema without versions or
  migrations): whether issue 17 made mixtures slower.
- 872fec4, main before issue 6 (pandas frames, sorted in Python): what issue 6 gained. Its spec
  model predates `skip_filters` (and the default filters it opts out of), so it reads the same
  spec without that key, which means the same to it: recipes without verifiers.

Each store is made by the code measured on it (its own schema, through its own LineageStore)
and filled by the same statements (tests/mixture_fixture.fill_statements). Each measurement
runs in its own process, so the peak RSS is that of one mixture build (baseline after imports
shown separately); with --repeats, the versions take turns (in an order reversed every
turn) and the fastest run of each counts.
The mixture: every synthetic record plus real records at real_fraction 0.2 (N/4 real),
exported as JSONL and Parquet; "same data" says whether a reference's data.jsonl has the same
bytes as ours.

Phases are timed from outside the code under test: the child wraps the store writer's
methods (one phase per named statement), the export writer, the real-source load and the
commit that ends the write transaction.

DuckDB uses memory as a cache up to its memory_limit (default 80% of RAM) before spilling to
disk, so every version runs with SYNTH_DUCKDB_MEMORY_LIMIT (--memory-limit, default 1GB); the
pandas reference (872fec4) holds its data in pandas and does not read that variable.

Usage: python benchmarks/bench_mixture_scale.py [--sizes 10000 100000 1000000]
       [--references 6bbd488 872fec4 | --no-reference] [--repeats 1] [--memory-limit 1GB]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from peer_venv import CACHE, reference_tree

REPO = Path(__file__).resolve().parents[1]


class Version(NamedTuple):
    """A version of the mixture stage: what it is and what it understands."""
    label: str
    takes_judged_snapshot: bool = True    # run_mixture_stage(store, loaded, clean, judged, ...)
    unknown_recipe_keys: tuple[str, ...] = ()  # recipe keys its spec model rejects


class Code(NamedTuple):
    """A version's source tree."""
    name: str
    root: Path
    version: Version


OURS = Version("this working tree")
REFERENCES = {
    "6bbd488": Version("main before issue 17"),
    "872fec4": Version("main before issue 6 (pandas)", takes_judged_snapshot=False,
                       unknown_recipe_keys=("skip_filters",)),
}
MIXTURE = {"recipes": ["math_cot", "chat"], "real_sources": ["human"], "real_fraction": 0.2,
           "seed": 5, "formats": ["jsonl", "parquet"]}

# Run in the child before the stage (ours only): accumulate seconds per phase in PHASES.
PHASE_TIMERS = """
import time
from collections import defaultdict
from contextlib import contextmanager
from synth_assets.lineage.store import LineageStore, StoreWriter
from synth_assets.mix import materialize
from synth_assets.stages import mixture_stage

PHASES = defaultdict(lambda: [0.0, 0.0])     # phase -> [wall s, CPU s], nested phases excluded
_open = []                                      # [wall, CPU] spent in phases nested in open ones

def _clock():
    return time.perf_counter(), time.process_time()

def _charge(label, started):
    spent = [now - then for now, then in zip(_clock(), started)]
    nested = _open.pop()
    PHASES[label][0] += spent[0] - nested[0]
    PHASES[label][1] += spent[1] - nested[1]
    if _open:
        _open[-1][0] += spent[0]
        _open[-1][1] += spent[1]

def timed(function, label):
    def run(*args, **kwargs):
        _open.append([0.0, 0.0])
        started = _clock()
        try:
            return function(*args, **kwargs)
        finally:
            _charge(label(*args, **kwargs), started)
    return run

StoreWriter.execute = timed(StoreWriter.execute, lambda self, file, name, **_: name)
StoreWriter.fetch = timed(StoreWriter.fetch, lambda self, file, name, **_: name)
StoreWriter.record_snapshot_of = timed(
    StoreWriter.record_snapshot_of, lambda self, stage, label, file, name, **_: "snapshot " + name
)
materialize.stage_export = timed(materialize.stage_export,
                                 lambda *_: "export: stream rows, write files, hash")
mixture_stage.load_real_records = timed(mixture_stage.load_real_records,
                                        lambda *_: "load real source")
opened_writer = LineageStore.writer

@contextmanager
def writer(self):
    with opened_writer(self) as open_writer:
        yield open_writer
        _open.append([0.0, 0.0])
        started = _clock()
    _charge("commit and close", started)

LineageStore.writer = writer
"""


def write_inputs(work: Path, size: int, codes: list[Code]) -> None:
    """The spec (one per set of recipe keys a version rejects) and a real JSONL source of
    size / 4 rows."""
    import duckdb
    import yaml

    from tests.mixture_fixture import write_mixture_spec

    write_mixture_spec(work, {"mix": MIXTURE}, real_count=size // 4)
    duckdb.sql(f"COPY (SELECT * FROM '{work / 'real.parquet'}') TO '{work / 'real.jsonl'}' "
               "(FORMAT json)")
    spec = yaml.safe_load((work / "pipeline.yaml").read_text())
    spec["real_sources"]["human"]["path"] = "real.jsonl"
    for code in codes:
        unknown = code.version.unknown_recipe_keys
        recipes = {name: {k: v for k, v in recipe.items() if k not in unknown}
                   for name, recipe in spec["recipes"].items()}
        spec_file(work, code).write_text(yaml.safe_dump({**spec, "recipes": recipes},
                                                        sort_keys=False))


def spec_file(work: Path, code: Code) -> Path:
    return work / f"pipeline-{code.name}.yaml"


def store_file(work: Path, code: Code) -> Path:
    return work / f"store-{code.name}.duckdb"


def child_env(code: Code, memory_limit: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(code.root), "SYNTH_DUCKDB_MEMORY_LIMIT": memory_limit}


def fill_store(work: Path, size: int, code: Code) -> None:
    """The version's own store (its schema, made by its LineageStore) with `size` verified
    records, from the statements of this repository's fixture."""
    from tests.mixture_fixture import fill_statements

    program = f"""
import json, sys
sys.path.insert(0, {str(code.root)!r})
from synth_assets.lineage.store import LineageStore
with LineageStore({str(store_file(work, code))!r}).connection() as connection:
    for sql, params in json.load(sys.stdin):
        connection.execute(sql, params)
"""
    done = subprocess.run([sys.executable, "-c", program], input=json.dumps(fill_statements(size)),
                          capture_output=True, text=True, env=child_env(code, "1GB"),
                          cwd=code.root, timeout=3600)
    if done.returncode:
        raise RuntimeError(f"{code.name} (filling its store): {done.stderr[-3000:]}")


def measure(code: Code, work: Path, memory_limit: str, phases: bool) -> dict:
    """Run one mixture build in a fresh process; its time, peak RSS, the sha256 of its
    data.jsonl and (with phases) where the time went."""
    exports = work / "exports"
    shutil.rmtree(exports, ignore_errors=True)
    snapshots = ("snap_fixture_clean", "snap_fixture_judged")
    if not code.version.takes_judged_snapshot:
        snapshots = snapshots[:1]
    program = f"""
import hashlib, json, sys, time
from pathlib import Path

sys.path.insert(0, {str(code.root)!r})
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from process_memory import peak_mb
{PHASE_TIMERS if phases else "PHASES = {}"}
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.stages.mixture_stage import run_mixture_stage
baseline = peak_mb()
loaded = load_spec({str(spec_file(work, code))!r})
store = LineageStore({str(store_file(work, code))!r})
start, cpu_start = time.perf_counter(), time.process_time()
results = run_mixture_stage(store, loaded, *{snapshots!r}, Path({str(exports)!r}),
                            run_id="bench", log=lambda _: None)
seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu_start
data = hashlib.sha256(Path({str(exports / 'mix' / 'data.jsonl')!r}).read_bytes()).hexdigest()
print(json.dumps({{"seconds": seconds, "cpu_seconds": cpu_seconds,
                  "records": results[0].manifest["counts"]["total"], "data_sha256": data,
                  "baseline_mb": baseline, "peak_mb": peak_mb(), "phases": dict(PHASES)}}))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          env=child_env(code, memory_limit), cwd=code.root, timeout=3600)
    if done.returncode:
        raise RuntimeError(f"{code.name}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_ratios(sizes: list[int], figures: dict[str, dict[int, dict]]) -> None:
    print("\ntime ratios between consecutive sizes (linear cost: the size ratio), wall / CPU")
    for small, large in zip(sizes, sizes[1:], strict=False):
        line = f"{large:>9,} / {small:<9,} size x{large / small:<5.1f}"
        for name, results in figures.items():
            line += (f"  {name} x{results[large]['seconds'] / results[small]['seconds']:.1f}"
                     f" / x{results[large]['cpu_seconds'] / results[small]['cpu_seconds']:.1f}")
        print(line)


def print_phases(sizes: list[int], ours: dict[int, dict]) -> None:
    """Wall and CPU seconds (CPU: all threads of the process) per phase and size, and the
    growth from the second largest size to the largest."""
    print("\nours, per phase: wall s / CPU s (other: outside the timed phases)")
    phases = sorted({p for result in ours.values() for p in result["phases"]},
                    key=lambda p: -ours[sizes[-1]]["phases"].get(p, [0, 0])[0])
    rows = {p: [ours[s]["phases"].get(p, [0.0, 0.0]) for s in sizes] for p in phases}
    rows["other"] = [[ours[s][total] - sum(spent[i] for spent in ours[s]["phases"].values())
                      for i, total in enumerate(("seconds", "cpu_seconds"))] for s in sizes]
    rows["total"] = [[ours[s]["seconds"], ours[s]["cpu_seconds"]] for s in sizes]
    width = max(len(p) for p in rows)
    growth = f"x{sizes[-1] / sizes[-2]:g} wall/CPU" if len(sizes) > 1 else ""
    print(f"{'phase':<{width}} " + " ".join(f"{s:>15,}" for s in sizes) + f"  {growth}")
    for phase, spent in rows.items():
        line = f"{phase:<{width}} " + " ".join(f"{wall:>7.2f} /{cpu:>6.2f}" for wall, cpu in spent)
        if len(sizes) > 1 and min(spent[-2]) > 0.05:
            line += f"  x{spent[-1][0] / spent[-2][0]:.1f} / x{spent[-1][1] / spent[-2][1]:.1f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--references", nargs="+", choices=list(REFERENCES),
                        default=list(REFERENCES))
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each version per size, taking turns; the fastest counts")
    parser.add_argument("--memory-limit", default="1GB")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    ours = Code("ours", REPO, OURS)
    codes = [ours] + ([] if args.no_reference else [
        Code(commit, reference_tree(commit), REFERENCES[commit]) for commit in args.references])
    figures: dict[str, dict[int, dict]] = {code.name: {} for code in codes}
    print("versions: " + ", ".join(f"{code.name} = {code.version.label}" for code in codes))
    print(f"{'verified':>9} {'records':>9} {'version':>8} | {'wall s':>7} {'CPU s':>7} "
          f"{'peak MB':>8} {'(base)':>7} | {'ours faster, wall / CPU':>23} | same data")
    for size in args.sizes:
        work = CACHE / f"mixture-{size}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, mode=0o700)   # the stores' folder: ours only
        write_inputs(work, size, codes)
        for code in codes:
            fill_store(work, size, code)
        for turn in range(args.repeats):
            # the order flips every turn, so that a load that rises or falls over the run
            # does not favour whoever goes first
            for code in codes if turn % 2 == 0 else codes[::-1]:
                result = measure(code, work, args.memory_limit, phases=code is ours)
                best = figures[code.name].get(size)
                if best is None or result["seconds"] < best["seconds"]:
                    figures[code.name][size] = result
        mine = figures["ours"][size]
        for code in codes:
            result = figures[code.name][size]
            line = (f"{size:>9,} {result['records']:>9,} {code.name:>8} | "
                    f"{result['seconds']:>7.2f} {result['cpu_seconds']:>7.2f} "
                    f"{result['peak_mb']:>8.0f} {result['baseline_mb']:>7.0f} |")
            if code is not ours:
                speed_up = (f"x{result['seconds'] / mine['seconds']:.2f} / "
                            f"x{result['cpu_seconds'] / mine['cpu_seconds']:.2f}")
                same = result["data_sha256"] == mine["data_sha256"]
                line += f" {speed_up:>23} | {'yes' if same else 'NO'}"
            print(line, flush=True)
        shutil.rmtree(work, ignore_errors=True)
    print_ratios(args.sizes, figures)
    print_phases(args.sizes, figures["ours"])


if __name__ == "__main__":
    main()
