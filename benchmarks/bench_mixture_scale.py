"""Build a mixture from N verified records (generated in DuckDB) at several sizes and print
wall time and peak memory, side by side with the reference: the previous, pandas-based mixture
stage of this repository (commit REFERENCE_COMMIT, extracted into a cache folder by this
script), run on an identical copy of the store.

Each measurement runs in its own process, so the peak RSS is that of one mixture build
(baseline after imports shown separately). The mixture: every synthetic record plus real
records at real_fraction 0.2 (N/4 real), exported as JSONL and Parquet.

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


def measure(code_root: Path, work: Path, db: Path, new_api: bool, memory_limit: str) -> dict:
    """Run one mixture build in a fresh process; its time and peak RSS."""
    program = f"""
import json, sys, time
from pathlib import Path

sys.path.insert(0, {str(code_root)!r})
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from process_memory import peak_mb
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.stages.mixture_stage import run_mixture_stage
baseline = peak_mb()
loaded = load_spec({str(work / 'pipeline.yaml')!r})
store = LineageStore({str(db)!r})
args = ("snap_fixture_clean", "snap_fixture_judged") if {new_api} else ("snap_fixture_clean",)
start = time.perf_counter()
results = run_mixture_stage(store, loaded, *args, Path({str(work / 'exports')!r}),
                            run_id="bench", log=lambda _: None)
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "records": results[0].manifest["counts"]["total"],
                  "baseline_mb": baseline, "peak_mb": peak_mb()}}))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--memory-limit", default="1GB")
    args = parser.parse_args()
    reference = None if args.no_reference else reference_tree()
    print(f"{'verified':>9} {'records':>9} | {'ours s':>7} {'peak MB':>8} {'(base)':>7} | "
          f"{'reference s':>11} {'peak MB':>8} {'(base)':>7} | {'speed-up':>8}")
    for size in args.sizes:
        work = CACHE / f"mixture-{size}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        db = build(work, size)
        reference_db = work / "reference.duckdb"
        shutil.copy(db, reference_db)
        ours = measure(REPO, work, db, new_api=True, memory_limit=args.memory_limit)
        line = (f"{size:>9,} {ours['records']:>9,} | {ours['seconds']:>7.2f} "
                f"{ours['peak_mb']:>8.0f} {ours['baseline_mb']:>7.0f} | ")
        if reference is not None:
            shutil.rmtree(work / "exports", ignore_errors=True)
            ref = measure(reference, work, reference_db, new_api=False,
                          memory_limit=args.memory_limit)
            line += (f"{ref['seconds']:>11.2f} {ref['peak_mb']:>8.0f} {ref['baseline_mb']:>7.0f}"
                     f" | {ref['seconds'] / ours['seconds']:>7.1f}x")
        print(line, flush=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
