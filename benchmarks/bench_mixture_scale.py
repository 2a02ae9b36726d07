"""Build a mixture from N verified records (generated in DuckDB) at several sizes and print
wall time and peak memory, side by side with the reference: the previous, pandas-based mixture
stage of this repository (commit REFERENCE_COMMIT, extracted into a cache folder by this
script), run on an identical copy of the store. Then the time ratios between consecutive sizes
(linear cost: the ratio of the sizes) and where our time goes, phase by phase.

Each measurement runs in its own process, so the peak RSS is that of one mixture build
(baseline after imports shown separately). The mixture: every synthetic record plus real
records at real_fraction 0.2 (N/4 real), exported as JSONL and Parquet.

Phases are timed from outside the code under test: the child wraps the store writer's
methods (one phase per named statement), the export writer, the real-source load and the
commit that ends the write transaction.

DuckDB uses memory as a cache up to its memory_limit (default 80% of RAM) before spilling to
disk, so ours runs with SYNTH_DUCKDB_MEMORY_LIMIT (--memory-limit, default 1GB); the reference
holds its data in pandas and does not read that variable.

Usage: python benchmarks/bench_mixture_scale.py [--sizes 10000 100000 1000000] [--no-reference]
       [--memory-limit 1GB]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("SYNTH_BENCH_CACHE", Path.home() / ".cache" / "synth-assets-bench"))
REFERENCE_COMMIT = "872fec4"          # main before issue 6: pandas frames, sorted in Python
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


def build(work: Path, size: int) -> Path:
    """The store with `size` verified records and a real JSONL source of size / 4 rows."""
    sys.path.insert(0, str(REPO))
    import duckdb

    from synth_assets.lineage.store import LineageStore
    from tests.mixture_fixture import fill_verified_records, write_mixture_spec

    db = work / "store.duckdb"
    fill_verified_records(LineageStore(db), size)
    real = work / "real.parquet"
    write_mixture_spec(work, {"mix": MIXTURE}, real_count=size // 4)
    duckdb.sql(f"COPY (SELECT * FROM '{real}') TO '{work / 'real.jsonl'}' (FORMAT json)")
    spec = (work / "pipeline.yaml").read_text().replace("real.parquet", "real.jsonl")
    (work / "pipeline.yaml").write_text(spec)
    return db


def reference_store(db: Path, reference_root: Path) -> Path:
    """A copy of the store for the reference, whose (still empty) mixture_records table is
    the reference's own: its writes need the primary key this version no longer declares."""
    import duckdb

    copy = db.with_name("reference.duckdb")
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("DROP TABLE mixture_records")
        connection.execute((reference_root / "sql" / "schema.sql").read_text())
    return copy


def measure(code_root: Path, work: Path, db: Path, ours: bool, memory_limit: str) -> dict:
    """Run one mixture build in a fresh process; its time, peak RSS and (ours) phases."""
    program = f"""
import json, sys, time
from pathlib import Path

sys.path.insert(0, {str(code_root)!r})
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from process_memory import peak_mb
{PHASE_TIMERS if ours else "PHASES = {}"}
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.stages.mixture_stage import run_mixture_stage
baseline = peak_mb()
loaded = load_spec({str(work / 'pipeline.yaml')!r})
store = LineageStore({str(db)!r})
args = ("snap_fixture_clean", "snap_fixture_judged") if {ours} else ("snap_fixture_clean",)
start, cpu_start = time.perf_counter(), time.process_time()
results = run_mixture_stage(store, loaded, *args, Path({str(work / 'exports')!r}),
                            run_id="bench", log=lambda _: None)
seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu_start
print(json.dumps({{"seconds": seconds, "cpu_seconds": cpu_seconds,
                  "records": results[0].manifest["counts"]["total"],
                  "baseline_mb": baseline, "peak_mb": peak_mb(), "phases": dict(PHASES)}}))
"""
    env = {**os.environ, "PYTHONPATH": str(code_root), "SYNTH_DUCKDB_MEMORY_LIMIT": memory_limit}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          env=env, cwd=code_root, timeout=3600)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def reference_tree() -> Path:
    """This repository at REFERENCE_COMMIT, extracted once into the cache."""
    target = CACHE / f"synth-assets-{REFERENCE_COMMIT}"
    if not (target / "synth_assets").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", REFERENCE_COMMIT],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def print_ratios(sizes: list[int], ours: dict[int, dict], reference: dict[int, dict]) -> None:
    print("\ntime ratios between consecutive sizes (linear cost: the size ratio), wall / CPU")
    for small, large in zip(sizes, sizes[1:], strict=False):
        line = f"{large:>9,} / {small:<9,} size x{large / small:<5.1f}"
        for name, results in (("ours", ours), ("reference", reference)):
            if results:
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
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--memory-limit", default="1GB")
    args = parser.parse_args()
    reference_root = None if args.no_reference else reference_tree()
    ours: dict[int, dict] = {}
    reference: dict[int, dict] = {}
    print(f"{'verified':>9} {'records':>9} | {'ours s':>7} {'CPU s':>7} {'peak MB':>8} "
          f"{'(base)':>7} | {'reference s':>11} {'CPU s':>7} {'peak MB':>8} {'(base)':>7} | "
          f"{'speed-up':>8}")
    for size in args.sizes:
        work = CACHE / f"mixture-{size}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        db = build(work, size)
        reference_db = None if reference_root is None else reference_store(db, reference_root)
        result = ours[size] = measure(REPO, work, db, ours=True, memory_limit=args.memory_limit)
        line = (f"{size:>9,} {result['records']:>9,} | {result['seconds']:>7.2f} "
                f"{result['cpu_seconds']:>7.2f} {result['peak_mb']:>8.0f} "
                f"{result['baseline_mb']:>7.0f} | ")
        if reference_root is not None:
            shutil.rmtree(work / "exports", ignore_errors=True)
            ref = reference[size] = measure(reference_root, work, reference_db, ours=False,
                                            memory_limit=args.memory_limit)
            line += (f"{ref['seconds']:>11.2f} {ref['cpu_seconds']:>7.2f} {ref['peak_mb']:>8.0f} "
                     f"{ref['baseline_mb']:>7.0f} | {ref['seconds'] / result['seconds']:>7.1f}x")
        print(line, flush=True)
        shutil.rmtree(work, ignore_errors=True)
    print_ratios(args.sizes, ours, reference)
    print_phases(args.sizes, ours)


if __name__ == "__main__":
    main()
