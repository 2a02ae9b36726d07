"""The contamination_reports stage with the default spec's detectors (n-gram, coverage, MinHash,
semantic with all-MiniLM-L6-v2) on up to 200,000 synthetic records stored in DuckDB, against
GSM8K test plus HumanEval, side by side in one run with:
- lm-evaluation-harness's janitor (13-gram overlap; janitor_peer.py in its own venv, as
  bench_decontam_ngram.py installs it) on the same records read from the same DuckDB file;
- sentence-transformers with CPU PyTorch (st_peer.py, in its own venv under
  ~/.cache/synth-assets-bench/st-venv: `pip install torch==2.13.0 sentence-transformers`)
  embedding the same records' texts (task and response) with the same model, read from the
  same DuckDB file: what running the encoder over every text, the usual way, costs. It
  embeds the first --st-texts distinct texts and its records/s is extrapolated from them.

The records are bench_decontam_ngram.py's (GSM8K train questions as tasks, solutions or
shuffled words as responses, a GSM8K test question or HumanEval prompt planted in 1 in 250):
the hardest case for the semantic stage's gate, since every task is a GSM8K problem of the
same kind as the benchmark's.

The stage also runs with the n-gram detector alone, so the cost of the default detectors is
seen beside it.

Also measured in-process on the distinct texts of the first --detector-records records: the
CPU seconds of the n-gram detector alone, of the semantic detector alone, and of MiniLM's
tokenizer alone over the same texts (the least any detector reading word pieces pays), and how
many windows the semantic detector sent through the encoder. Each measurement runs in its own
process; the benchmark indexes (item embeddings, calibration) are built once before, as a
user's second run finds them. Prints records/s, CPU s, peak RSS, the load average and the BLAS
kernel.

Usage: python benchmarks/bench_decontam.py [--sizes 50000,200000] [--st-texts 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from bench_decontam_ngram import (
    REPO,
    build_store,
    ensure_peer,
    run_child,
    write_spec,
)
from peer_venv import CACHE, peer_python
from process_memory import peak_mb, rss_mb

INDEXES = CACHE / "decontam-indexes"  # kept across runs, as beside a user's store


def ensure_st_peer() -> Path:
    return peer_python("st-venv", "import duckdb, sentence_transformers, torch",
                       [["torch==2.13.0", "sentence-transformers", "duckdb"]])


def blas() -> str:
    from threadpoolctl import threadpool_info

    return "; ".join(f"{pool['internal_api']} {pool.get('architecture', '?')} "
                     f"{pool['num_threads']} threads" for pool in threadpool_info())


def child_stage(db: str, spec_path: str, snapshot: str, batch: int) -> None:
    from synth_assets.lineage.store import LineageStore
    from synth_assets.spec import load_spec
    from synth_assets.stages.contamination_stage import run_contamination_stage
    from synth_assets.text.minilm import shared_encoder

    store, loaded = LineageStore(db), load_spec(spec_path)
    runtime = shared_encoder().runtime
    baseline = rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    result = run_contamination_stage(store, loaded, snapshot, log=lambda _: None,
                                     batch_rows=batch)
    print(json.dumps({"records": result.scanned, "seconds": time.perf_counter() - start,
                      "cpu": time.process_time() - cpu,
                      "contaminated": result.contaminated + result.quarantined,
                      "detectors": result.detectors, "runtime": runtime,
                      "baseline_mb": baseline, "peak_mb": peak_mb(), "blas": blas()}))


def child_detectors(db: str, spec_path: str, snapshot: str, batch: int, records: int) -> None:
    """CPU seconds of the n-gram detector alone and the semantic detector alone over the
    distinct texts of the first `records` records, scanned batch by batch."""
    import duckdb
    from records_query import RECORDS_QUERY

    from synth_assets.decontam.detectors import DetectorSuite
    from synth_assets.decontam.index import index_dir, load_benchmarks
    from synth_assets.decontam.index_cache import ArrayCache
    from synth_assets.lineage.store import LineageStore
    from synth_assets.spec import load_spec
    from synth_assets.text.minilm import shared_encoder

    loaded = load_spec(spec_path)
    rows = duckdb.connect(db, read_only=True).execute(
        RECORDS_QUERY + " LIMIT ?",
        [snapshot, records]).fetchall()
    texts = list(dict.fromkeys(text for row in rows for text in row))
    items = load_benchmarks(loaded)
    cache = ArrayCache(index_dir(LineageStore(db)))
    base = loaded.spec.contamination
    off = {"enabled": False}
    timings = {}
    for name, config in (
            ("ngram", base.model_copy(update={"coverage": base.coverage.model_copy(update=off),
                                              "minhash": base.minhash.model_copy(update=off),
                                              "semantic": base.semantic.model_copy(update=off)})),
            ("semantic", base.model_copy(update={"ngram": base.ngram.model_copy(update=off),
                                                 "coverage": base.coverage.model_copy(update=off),
                                                 "minhash": base.minhash.model_copy(update=off)}))):
        suite = DetectorSuite(items, config, cache)
        cpu = time.process_time()
        for start in range(0, len(texts), batch):
            suite.scan(texts[start:start + batch])
        timings[name] = time.process_time() - cpu
        if suite.semantic is not None:
            timings["encoded_windows"] = suite.semantic.encoded
    tokenizer = shared_encoder().untruncated_tokenizer()
    cpu = time.process_time()
    for start in range(0, len(texts), batch):
        tokenizer.encode_batch(texts[start:start + batch])
    timings["tokenize"] = time.process_time() - cpu
    print(json.dumps({"records": len(rows), "texts": len(texts), **timings}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50000,200000")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--st-texts", type=int, default=1000)
    parser.add_argument("--detector-records", type=int, default=10_000)
    parser.add_argument("--memory-limit", default="256MB")
    parser.add_argument("--child", nargs=5, metavar=("MODE", "DB", "SPEC", "SNAPSHOT", "BATCH"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, db, spec_path, snapshot, batch = args.child
        if mode == "stage":
            child_stage(db, spec_path, snapshot, int(batch))
        else:
            child_detectors(db, spec_path, snapshot, int(batch), args.detector_records)
        return

    sizes = sorted(int(size) for size in args.sizes.split(","))
    work = CACHE / "decontam-default"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ["SYNTH_INDEX_DIR"] = str(INDEXES)
    janitor_python, st_python = ensure_peer(), ensure_st_peer()
    spec_path = write_spec(work, contamination={})  # the default detectors
    (work / "ngram").mkdir()
    ngram_spec_path = write_spec(work / "ngram")  # the n-gram detector alone
    base = work / "base.duckdb"
    snapshots = build_store(base, sizes)

    from synth_assets.decontam.index import build_detectors, load_benchmarks
    from synth_assets.lineage.store import LineageStore
    from synth_assets.spec import load_spec
    from synth_assets.text.minilm import model_zip_path

    start = time.perf_counter()
    build_detectors(LineageStore(base), load_spec(spec_path))
    print(f"benchmark indexes built once in {time.perf_counter() - start:.0f} s "
          f"(load average {os.getloadavg()[0]:.1f})")
    items_json = work / "items.json"
    items_json.write_text(json.dumps([item.text for item in load_benchmarks(load_spec(spec_path))]))

    print("\nrecords   who                          records/s   seconds   CPU s  contaminated"
          "  peak RSS MB (growth)  load avg", flush=True)
    for size in sizes:
        db = work / f"stage-{size}.duckdb"
        shutil.copy(base, db)
        os.sync()
        load = os.getloadavg()[0]
        s = run_child([sys.executable, __file__, "--child", "stage", str(db), str(spec_path),
                       snapshots[size], str(args.batch)], args.memory_limit)
        shutil.copy(base, db)
        n = run_child([sys.executable, __file__, "--child", "stage", str(db),
                       str(ngram_spec_path), snapshots[size], str(args.batch)],
                      args.memory_limit)
        j = run_child([str(janitor_python), str(REPO / "benchmarks" / "janitor_peer.py"),
                       str(base), snapshots[size], str(items_json), str(args.batch)],
                      args.memory_limit)
        st = run_child([str(st_python), str(REPO / "benchmarks" / "st_peer.py"), str(base),
                        snapshots[size], str(args.st_texts), str(model_zip_path())],
                       args.memory_limit)
        st_rate = st["texts"] / st["seconds"] * st["records"] / st["distinct_texts"]
        ours, janitor = s["records"] / s["seconds"], j["records"] / j["seconds"]
        print(f"{size:>7}   ours, stage, default detectors {ours:>9,.0f} "
              f"{s['seconds']:>9.1f} {s['cpu']:>7.1f} {s['contaminated']:>13} "
              f"{s['peak_mb']:>8.0f} (+{s['peak_mb'] - s['baseline_mb']:.0f})"
              f"  {load:.1f}-{os.getloadavg()[0]:.1f}")
        print(f"{'':10}ours, stage, n-gram alone     {n['records'] / n['seconds']:>10,.0f} "
              f"{n['seconds']:>9.1f} {n['cpu']:>7.1f} {n['contaminated']:>13} "
              f"{n['peak_mb']:>8.0f} (+{n['peak_mb'] - n['baseline_mb']:.0f})")
        print(f"{'':10}lm-eval janitor (13-grams)     {janitor:>9,.0f} "
              f"{j['seconds']:>9.1f} {'':>7} {j['contaminated']:>13} "
              f"{j['peak_mb']:>8.0f} (+{j['peak_mb'] - j['baseline_mb']:.0f})")
        print(f"{'':10}sentence-transformers, encode {st_rate:>10,.1f} "
              f"{'':>9} {st['cpu']:>7.1f} {'':>13} {st['peak_mb']:>8.0f}"
              f"  ({st['texts']} of {st['distinct_texts']} distinct texts embedded in "
              f"{st['seconds']:.0f} s, torch {st['torch_threads']} threads; extrapolated)")
        print(f"{'':10}ratios: stage / janitor {ours / janitor:.2f}x, "
              f"stage / sentence-transformers {ours / st_rate:.0f}x; stage per CPU second "
              f"{s['records'] / s['cpu']:,.0f} records (the wall figure depends on the load); "
              f"CPU of the stage with the default detectors / with the n-gram detector alone "
              f"{s['cpu'] / n['cpu']:.1f}x", flush=True)
        print(f"{'':10}detectors {s['detectors']}; encoder on {s['runtime']}; BLAS: "
              f"{s['blas']}", flush=True)
    detectors = run_child([sys.executable, __file__, "--detector-records",
                           str(args.detector_records), "--child", "detectors", str(base),
                           str(spec_path), snapshots[sizes[-1]], str(args.batch)],
                          args.memory_limit)
    print(f"\ndetector CPU on the distinct texts of the first {detectors['records']:,} records "
          f"({detectors['texts']:,} texts): n-gram {detectors['ngram']:.1f} s, semantic "
          f"{detectors['semantic']:.1f} s ({detectors['semantic'] / detectors['ngram']:.1f}x), "
          f"{detectors['encoded_windows']:,} windows through the encoder; MiniLM's tokenizer "
          f"alone {detectors['tokenize']:.1f} s ({detectors['tokenize'] / detectors['ngram']:.1f}x "
          f"the n-gram detector)")


if __name__ == "__main__":
    main()
