"""Build verifier pairs from N verdicts over N/4 prompts (4 samples a prompt, one verifier,
every fourth sample failing it; generated in DuckDB) and print wall time and peak memory per
phase: reading the samples with the admission rule's verdicts (load_samples), pairing
(build_pairs without the scan), and the contamination scan of the rejected answers against
HumanEval with the spec's detectors. Then the ratio between consecutive sizes (linear cost: the
ratio of the sizes). Each size runs in its own process, so the peak RSS is one build's.

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
            ELSE 'no' END AS text
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
                             "verifiers": ["length"]}},
    "verifiers": {"length": {"type": "length", "options": {"min_chars": 20}}},
    "benchmarks": {"humaneval": {"type": "humaneval"}},
    "contamination": {"semantic": {"backend": "tfidf"}},
    "dedup": {"enabled": False},
    "preference_sets": {"prefs": {"recipes": ["math_cot"], "verifier_pairs": {}, "seed": 1}},
}


def child(count: int, folder: Path) -> dict:
    import yaml

    from benchmarks.process_memory import peak_mb, rss_mb
    from synth_assets.decontam.index import build_detectors
    from synth_assets.lineage.store import LineageStore
    from synth_assets.mix.preferences import build_pairs, contamination_scanner, load_samples
    from synth_assets.spec import load_spec
    from synth_assets.stages.verify_stage import current_verifiers

    (folder / "seeds.jsonl").write_text('{"question": "q", "answer": "1"}\n')
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(SPEC))
    loaded = load_spec(folder / "pipeline.yaml")
    version = current_verifiers(loaded)["length"][1]
    store = LineageStore(folder / "synth.duckdb")
    with store.connection() as connection:
        for sql in filter(str.strip, FILL_SQL.split(";")):
            connection.execute(sql, {k: v for k, v in {"count": count, "version": version}.items()
                                     if f"${k}" in sql})
    suite = build_detectors(store, loaded)
    scanner = contamination_scanner(suite)
    baseline = rss_mb()
    spec = loaded.spec.preference_sets["prefs"]

    started = time.perf_counter()
    samples = load_samples(store, loaded, ["math_cot"], "snap_judged", "snap_clean")
    loaded_at = time.perf_counter()
    pairs = build_pairs("prefs", spec, loaded, samples, lambda texts: [False] * len(texts))
    paired_at = time.perf_counter()
    dirty = sum(scanner([pair.rejected for pair in pairs]))
    scanned_at = time.perf_counter()
    return {"verdicts": count, "prompts": count // SAMPLES_PER_PROMPT, "pairs": len(pairs),
            "rejected_contaminated": dirty, "load_s": loaded_at - started,
            "pair_s": paired_at - loaded_at, "scan_s": scanned_at - paired_at,
            "baseline_mb": baseline, "peak_mb": peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory(prefix="bench-prefs-") as folder:
            print(json.dumps(child(args.child, Path(folder))))
        return
    load = os.getloadavg()
    print(f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    results = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(size)], check=True,
                             capture_output=True, text=True, cwd=REPO,
                             env={**os.environ, "PYTHONPATH": str(REPO),
                                  "LITELLM_LOCAL_MODEL_COST_MAP": "True"}).stdout
        result = json.loads(out.strip().splitlines()[-1])
        results.append(result)
        print(f"{result['verdicts']:>9} verdicts, {result['prompts']:>7} prompts -> "
              f"{result['pairs']:>7} pairs: load {result['load_s']:.1f} s, "
              f"pair {result['pair_s']:.1f} s, scan rejected {result['scan_s']:.1f} s; "
              f"peak RSS {result['peak_mb']:.0f} MB (after setup {result['baseline_mb']:.0f} MB)")
    for small, large in zip(results, results[1:], strict=False):
        ratio = large["verdicts"] / small["verdicts"]
        for phase in ("load_s", "pair_s", "scan_s"):
            print(f"{phase[:-2]}: x{large[phase] / small[phase]:.1f} for x{ratio:.0f} verdicts")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
