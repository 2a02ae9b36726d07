"""Build one preference set (verifier pairs plus RL prompts) from N verdicts over N/4 prompts
(4 samples a prompt, one verifier, every fourth sample failing it with an answer of its own;
generated in DuckDB) with the stage's own entry point, build_preference_set, and print wall time
per phase and the peak RSS: the samples with the admission rule's verdicts, pairing, the
contamination scan of each distinct rejected answer against HumanEval with the spec's
detectors, storing pairs, edges, snapshots and the materialization, the RL prompts, and the
dpo/, kto/ and rl_prompts/ exports. Then the ratio between consecutive sizes (linear cost: the
ratio of the sizes). Each size runs in its own process, so the peak RSS is one build's.

Then a cached rerun side by side, CPU and wall: the build and the blocking GE suite as every run
paid them before issue 21 (build, suite scanning every pair text), against a rerun with nothing
new (the stored build reused, the suite reading its stored scan). Both include loading the
detectors (build_detectors), which the stage and the suite still do to know their fingerprint.

No peer builds preference pairs from a verdict ledger, so there is no reference to run beside.

Usage: python benchmarks/bench_preference_pairs.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synth_assets.spec.default_filters import FILTERS_BY_DOMAIN

REPO = Path(__file__).resolve().parents[1]
SAMPLES_PER_PROMPT = 4

FILL_SQL = """
CREATE TEMP TABLE fixture AS
SELECT i, i // 4 AS p,
       'seed_' || left(md5('seed' || (i // 4)), 20) AS seed_id,
       'prm_' || left(md5('prm' || (i // 4)), 20) AS prompt_id,
       'gen_' || left(md5('gen' || i), 20) AS generation_id,
       'scan_' || left(md5('scan' || i), 20) AS scan_id,
       i % 4 <> 0 AS passed
FROM range($count) AS r(i);
INSERT INTO seeds BY NAME
SELECT DISTINCT seed_id, 'math' AS seed_set, 'math' AS kind,
       json_object('question', 'How much is ' || p || ' plus ' || (p % 97) || '?',
                   'answer', (p + p % 97)::VARCHAR) AS payload,
       'fixture.jsonl' AS source_file, p::INTEGER AS source_line
FROM fixture;
INSERT INTO generations BY NAME
SELECT generation_id, 'math_cot' AS recipe, prompt_id, 'call_' || generation_id AS call_id,
       seed_id, i % 4 AS sample_index,
       CASE WHEN passed THEN 'Adding: ' || repeat('step ', 3 + i % 20) || 'The answer is '
                              || (p + p % 97)::VARCHAR || '.'
            ELSE 'Problem ' || p || ': the answer is ' || (p + p % 97 + 1)::VARCHAR || '.'
       END AS text
FROM fixture;
INSERT INTO verdicts BY NAME
SELECT 'vrd_' || left(sha256('["' || generation_id || '","length","' || $version || '"]'), 20)
           AS verdict_id,
       generation_id, 'length' AS verifier, $version AS verifier_version, passed,
       CASE WHEN passed THEN 1.0 ELSE 0.0 END AS score, 'fixture' AS reason, '' AS evidence,
       0.0 AS duration_s
FROM fixture;
INSERT INTO contamination_verdicts BY NAME
SELECT scan_id, generation_id, 'fixture-index' AS index_fingerprint, false AS contaminated,
       0 AS hit_count
FROM fixture WHERE passed;
INSERT INTO snapshots VALUES ('snap_judged', 'teacher_generations', '*', 0, current_timestamp),
                             ('snap_clean', 'contamination_reports', '*', 0, current_timestamp);
INSERT INTO snapshot_members SELECT 'snap_judged', generation_id FROM fixture;
INSERT INTO snapshot_members SELECT 'snap_clean', scan_id FROM fixture WHERE passed;
DROP TABLE fixture;
"""

SPEC = {
    "version": 1,
    "seed_sets": {"math": {"path": "seeds.jsonl", "kind": "math"}},
    "teachers": {"t": {"model": "openai/fixture"}},
    "recipes": {"math_cot": {"seed_set": "math", "teacher": "t", "template": "{{ question }}",
                             "domain": "math", "samples_per_seed": SAMPLES_PER_PROMPT,
                             "verifiers": ["length"],
                             "skip_filters": FILTERS_BY_DOMAIN["math"]}},
    "verifiers": {"length": {"type": "length", "options": {"min_chars": 20}}},
    "benchmarks": {"humaneval": {"type": "humaneval"}},
    "contamination": {"semantic": {"backend": "tfidf"}},
    "dedup": {"enabled": False},
    "preference_sets": {"prefs": {"recipes": ["math_cot"], "verifier_pairs": {}, "seed": 1}},
}


def child(count: int, folder: Path) -> dict:
    import yaml
    from threadpoolctl import threadpool_info

    from benchmarks.process_memory import peak_mb, rss_mb
    from synth_assets.decontam.index import build_detectors
    from synth_assets.defs.preference_sets.suite import preference_sets_suite
    from synth_assets.lineage.store import LineageStore
    from synth_assets.mix.preferences import contamination_scanner
    from synth_assets.spec import load_spec
    from synth_assets.stages.preference_stage import build_preference_set_reusing
    from synth_assets.verdict_ledger import current_verifiers

    (folder / "seeds.jsonl").write_text('{"question": "q", "answer": "1"}\n')
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(SPEC))
    loaded = load_spec(folder / "pipeline.yaml")
    version = current_verifiers(loaded)["length"][1]
    store = LineageStore(folder / "synth.duckdb")
    with store.connection() as connection:
        for sql in filter(str.strip, FILL_SQL.split(";")):
            connection.execute(sql, {k: v for k, v in {"count": count, "version": version}.items()
                                     if f"${k}" in sql})
    detectors_wall, detectors_cpu = time.perf_counter(), time.process_time()
    scan = contamination_scanner(build_detectors(store, loaded))
    detectors = [time.perf_counter() - detectors_wall, time.process_time() - detectors_cpu]
    baseline = rss_mb()

    def stage(run_id: str) -> tuple:
        wall, cpu = time.perf_counter(), time.process_time()
        built = build_preference_set_reusing(store, loaded, "prefs", "snap_clean", "snap_judged",
                                             folder / "exports" / "prefs", run_id, scan,
                                             log=lambda _: None)
        return built, [time.perf_counter() - wall + detectors[0],
                       time.process_time() - cpu + detectors[1]]

    def suite(snapshot_id: str) -> list[float]:
        wall, cpu = time.perf_counter(), time.process_time()
        preference_sets_suite(store, loaded, {"prefs": snapshot_id})
        return [time.perf_counter() - wall, time.process_time() - cpu]

    result, build = stage("bench-1")
    phases = {phase: [t.wall_s, t.cpu_s] for phase, t in result.timings.items()}
    phases["total"] = [build[0] - detectors[0], build[1] - detectors[1]]
    rerun = {"stage (build)": build, "suite (scan)": suite(result.snapshot_id)}
    again, rerun["stage (reused)"] = stage("bench-2")
    assert again.reused and again.snapshot_id == result.snapshot_id
    rerun["suite (stored scan)"] = suite(result.snapshot_id)
    blas = "; ".join(f"{pool['internal_api']} {pool.get('architecture', '?')} "
                     f"{pool['num_threads']} threads" for pool in threadpool_info())
    return {"blas": blas or "none loaded", "verdicts": count,
            "prompts": count // SAMPLES_PER_PROMPT, "pairs": sum(result.counts.values()),
            "rl_prompts": result.rl_prompts,
            "phases": phases, "rerun": rerun, "baseline_mb": baseline, "peak_mb": peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--memory-limit", default="1GB",
                        help="DuckDB memory_limit of the store (SYNTH_DUCKDB_MEMORY_LIMIT)")
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory(prefix="bench-prefs-") as folder:
            print(json.dumps(child(args.child, Path(folder))))
        return
    load = os.getloadavg()
    print(f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; DuckDB "
          f"memory_limit {args.memory_limit}")
    results = []
    for size in args.sizes:
        child_run = subprocess.run([sys.executable, __file__, "--child", str(size)],
                                   capture_output=True, text=True, cwd=REPO,
                                   env={**os.environ, "PYTHONPATH": str(REPO),
                                        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                                        "SYNTH_DUCKDB_MEMORY_LIMIT": args.memory_limit})
        if child_run.returncode:
            sys.exit(f"{size} verdicts failed:\n{child_run.stderr[-3000:]}")
        result = json.loads(child_run.stdout.strip().splitlines()[-1])
        results.append(result)
        print(f"{result['verdicts']:>9} verdicts, {result['prompts']:>7} prompts -> "
              f"{result['pairs']:>7} pairs, {result['rl_prompts']:>7} RL prompts; peak RSS "
              f"{result['peak_mb']:.0f} MB (after setup {result['baseline_mb']:.0f} MB); "
              f"BLAS: {result['blas']}")
        for phase, (wall, cpu) in result["phases"].items():
            print(f"    {phase:<18} {wall:8.2f} s wall {cpu:8.2f} s CPU")
        before = [sum(pair) for pair in zip(result["rerun"]["stage (build)"],
                                            result["rerun"]["suite (scan)"], strict=True)]
        after = [sum(pair) for pair in zip(result["rerun"]["stage (reused)"],
                                           result["rerun"]["suite (stored scan)"], strict=True)]
        print("  cached rerun, stage + blocking GE suite (detectors loaded in each):")
        for phase, (wall, cpu) in result["rerun"].items():
            print(f"    {phase:<20} {wall:8.2f} s wall {cpu:8.2f} s CPU")
        print(f"    rebuilt (before)     {before[0]:8.2f} s wall {before[1]:8.2f} s CPU\n"
              f"    reused (after)       {after[0]:8.2f} s wall {after[1]:8.2f} s CPU "
              f"(x{before[1] / after[1]:.1f} less CPU)")
    for small, large in zip(results, results[1:], strict=False):
        print(f"x{large['verdicts'] / small['verdicts']:.0f} verdicts: peak RSS "
              f"x{large['peak_mb'] / small['peak_mb']:.2f}; time (wall / CPU):")
        for phase, (wall, cpu) in small["phases"].items():
            big_wall, big_cpu = large["phases"][phase]
            print(f"    {phase:<18} x{big_wall / wall:5.1f} / x{big_cpu / cpu:5.1f}")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
