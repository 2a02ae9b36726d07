"""Records per second of the verify stage (verified_subsets) on N general-domain generations,
before and after the default degenerate-text filters, side by side in one run.

before: main before issue 13 (commit REFERENCE_COMMIT, extracted into the cache folder by this
        script) with the default spec's general recipe verifiers, [length, refusal].
after:  this tree, the same recipe with its default filters on: [length, refusal, language,
        preamble, truncation, repetition, gopher_quality].

Both run the real stage (`run_verify_stage`: plan, verifiers, verdict ledger writes, selection,
dedup) on identical copies of one DuckDB store, each in a fresh process (so the language
model's load is counted, as in a real run), alternating before/after --repeat times; the
medians are printed. CPU seconds (all threads of the process) are printed beside wall time:
on a machine shared with other work the wall time of one run swings with their load. The
generations: English answers of 30-150 words built from a fixed vocabulary (seeded), 10% of
them degenerate (loops, cut-off endings, chat preambles, word salad) so every filter does real
work. Also printed: each verifier's mean time per record and how many records each rejected,
and the same texts through datatrove's GopherRepetitionFilter and GopherQualityFilter (in a
venv of their own under the cache folder, installed on first use) for speed and agreement.

Usage: python benchmarks/bench_verify_filters.py [--records 20000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The child of the "before" side imports the reference commit's code instead of this tree's.
sys.path.insert(0, os.environ.get("SYNTH_BENCH_CODE", str(REPO)))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from peer_venv import peer_python, reference_tree  # noqa: E402

REFERENCE_COMMIT = "3a5379a"          # main before issue 13: no default filters
SNAPSHOT = "snap_bench_generations"
BEFORE = ["length", "refusal"]

NAMES = ["Tom", "Lily", "Ben", "Mia", "the farmer", "my teacher", "the old man", "a small girl",
         "our neighbour", "the baker", "a young pilot", "my brother", "the doctor", "Grandma",
         "the new student", "a tired cook"]
VERBS = ["found", "carried", "painted", "fixed", "watched", "cooked", "planted", "cleaned",
         "borrowed", "sold", "measured", "wrapped", "opened", "described", "followed", "lifted"]
THINGS = ["a red ball", "the garden", "an old boat", "the kitchen table", "a warm soup",
          "the broken fence", "a tall tree", "the little house", "a blue kite", "the map",
          "a heavy box", "the school bus", "a paper crane", "the village bell", "a wooden chair",
          "the secret letter"]
PLACES = ["near the river", "in the park", "at school", "before dinner", "after the rain",
          "on a sunny morning", "in the city", "by the sea", "during the storm", "at the market",
          "behind the barn", "under the bridge", "on the hill", "inside the museum",
          "at midnight", "on the first day of spring"]
REASONS = ["because it was fun", "so that everyone could see it", "while the birds sang",
           "and then everyone smiled", "although it was very late", "since nobody else would",
           "to surprise a friend", "as the teacher had asked", "without saying a word",
           "with great care", "for the first time", "before anyone woke up"]
FACTS = ["Water boils at one hundred degrees Celsius at sea level.",
         "Plants use sunlight to turn water and air into sugar.",
         "The moon reflects the light of the sun.",
         "Exercise helps the heart pump blood through the body.",
         "Bees carry pollen from one flower to another.",
         "Saving a little money every week adds up over a year.",
         "Sound travels faster in water than in air.",
         "A balanced meal has vegetables, grains and some protein.",
         "Volcanoes form where hot rock rises through the crust of the earth.",
         "Reading every day builds a larger vocabulary over time."]


def answer(rng: random.Random) -> str:
    """3 to 12 sentences, no part used twice in one answer (as in real prose)."""
    count = rng.randint(3, 12)
    parts = [f"{name} {verb} {thing} {place} {reason}.".capitalize()
             for name, verb, thing, place, reason in zip(
                 rng.sample(NAMES, count), rng.sample(VERBS, count), rng.sample(THINGS, count),
                 rng.sample(PLACES, count), rng.sample(REASONS, count) * 2, strict=False)]
    for fact in rng.sample(FACTS, rng.randint(0, 3)):
        parts.insert(rng.randrange(len(parts) + 1), fact)
    if rng.random() < 0.3:
        half = len(parts) // 2
        return " ".join(parts[:half]) + "\n\n" + " ".join(parts[half:])
    return " ".join(parts)


def sentence(rng: random.Random) -> str:
    return (f"{rng.choice(NAMES)} {rng.choice(VERBS)} {rng.choice(THINGS)} "
            f"{rng.choice(PLACES)} {rng.choice(REASONS)}.").capitalize()


def degenerate(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return " ".join([sentence(rng)] * rng.randint(4, 9))
    if kind == 1:
        return answer(rng) + " Then " + rng.choice(NAMES) + " went to the"
    if kind == 2:
        return "Sure, here is the rewritten answer: " + answer(rng)
    nouns = [thing.split()[-1] for thing in THINGS + PLACES]
    return " ".join(rng.choice(VERBS + nouns) for _ in range(20)).capitalize() + "."


def texts(count: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    return [degenerate(rng) if rng.random() < 0.1 else answer(rng) for _ in range(count)]


def write_spec(folder: Path, label: str) -> Path:
    """The general recipe with BEFORE as its own verifiers (main has no default filters)."""
    (folder / "seeds.jsonl").write_text('{"instruction": "unused"}\n', encoding="utf-8")
    spec = {"version": 1,
            "seed_sets": {"chat": {"path": "seeds.jsonl", "kind": "instruction"}},
            "teachers": {"t": {"model": "openai/bench"}},
            "recipes": {"chat": {"seed_set": "chat", "teacher": "t", "domain": "general",
                                 "template": "{{ instruction }}", "verifiers": BEFORE}},
            "verifiers": {"length": {"type": "length", "options": {"min_chars": 20,
                                                                  "max_chars": 4000}},
                          "refusal": {"type": "refusal"}}}
    path = folder / f"{label}.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def build_store(path: Path, count: int) -> None:
    import pandas as pd

    from synth_assets.lineage.store import LineageStore

    store = LineageStore(path)
    frame = pd.DataFrame({"i": range(count), "text": texts(count)})
    frame["seed_id"] = [f"seed_{i:08d}" for i in frame["i"]]
    frame["prompt_id"] = [f"prm_{i:08d}" for i in frame["i"]]
    frame["generation_id"] = [f"gen_{i:08d}" for i in frame["i"]]
    frame["payload"] = [json.dumps({"instruction": f"Tell me something, number {i}."})
                        for i in frame["i"]]
    frame["messages"] = [json.dumps([{"role": "user", "content": f"Tell me something, number "
                                      f"{i}."}]) for i in frame["i"]]
    with store.connection() as connection:
        connection.register("bench", frame)
        connection.execute("""
            INSERT INTO seeds BY NAME SELECT seed_id, 'chat' AS seed_set, 'instruction' AS kind,
                payload, 'bench.jsonl' AS source_file, i::INTEGER AS source_line FROM bench;
            INSERT INTO prompts BY NAME SELECT prompt_id, 'chat' AS recipe, seed_id, messages
                FROM bench;
            INSERT INTO generations BY NAME SELECT generation_id, 'chat' AS recipe, prompt_id,
                'call_' || seed_id AS call_id, seed_id, 0 AS sample_index, text FROM bench;
            INSERT INTO snapshots VALUES ('snap_bench_generations', 'teacher_generations', '*',
                0, current_timestamp);
            INSERT INTO snapshot_members SELECT 'snap_bench_generations', generation_id
                FROM bench;""")
        connection.unregister("bench")


def run_stage(store_path: str, spec_path: str) -> None:
    """Child: one verify stage; prints a JSON line with its timing and per-verifier table."""
    from synth_assets.lineage.store import LineageStore
    from synth_assets.spec import load_spec
    from synth_assets.stages.verify_stage import run_verify_stage

    loaded = load_spec(spec_path)
    store = LineageStore(store_path)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = run_verify_stage(store, loaded, SNAPSHOT, log=lambda _: None)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    per_verifier = result.per_verifier
    print(json.dumps({
        "seconds": seconds, "cpu_seconds": cpu_seconds, "judged": result.judged,
        "passed": result.passed,
        "verifiers": {row.verifier: {"rejected": int(row.judged - row.admitted),
                                     "mean_ms": row.mean_duration_s * 1000}
                      for row in per_verifier.itertuples()}}))


PEER_SCRIPT = """
import json, sys, time
from datatrove.data import Document
from datatrove.pipeline.filters.gopher_quality_filter import GopherQualityFilter
from datatrove.pipeline.filters.gopher_repetition_filter import GopherRepetitionFilter
texts = json.load(open(sys.argv[1]))
result = {}
for kind, peer in (("repetition", GopherRepetitionFilter()),
                   ("gopher_quality", GopherQualityFilter(min_doc_words=None))):
    peer.filter(Document(text="warm up the tokenizer", id="0"))
    started = time.perf_counter()
    verdicts = [peer.filter(Document(text=t, id=str(i))) is True for i, t in enumerate(texts)]
    result[kind] = {"seconds": time.perf_counter() - started, "passed": verdicts}
print(json.dumps(result))
"""


def ensure_peer() -> Path:
    """A venv of its own with datatrove, spaCy (its English word tokenizer) and regex (which
    datatrove imports without declaring it)."""
    return peer_python("datatrove-venv", "import datatrove, spacy, regex",
                       [["datatrove", "spacy", "regex"]])


def datatrove_side(sample: list[str]) -> None:
    """datatrove's Gopher filters (table A1 as published, for web documents) on the same texts:
    their speed and how often they agree with ours."""
    from synth_assets.verify import Candidate, build_verifier

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(sample, handle)
    peer = json.loads(subprocess.run([str(ensure_peer()), "-c", PEER_SCRIPT, handle.name],
                                     capture_output=True, text=True, check=True).stdout)
    Path(handle.name).unlink()
    for kind, theirs in peer.items():
        ours = build_verifier(kind, {})
        started = time.perf_counter()
        our_verdicts = [ours.verify(Candidate(text=t, seed={})).passed for t in sample]
        our_s = time.perf_counter() - started
        agree = sum(a == b for a, b in zip(our_verdicts, theirs["passed"], strict=True))
        print(f"{kind:15} ours {len(sample) / our_s:7.0f} texts/s   datatrove "
              f"{len(sample) / theirs['seconds']:7.0f} texts/s   agreement "
              f"{agree}/{len(sample)}   rejected: ours {our_verdicts.count(False)}, "
              f"datatrove {theirs['passed'].count(False)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_stage(*args.child)
        return
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        template = folder / "template.duckdb"
        build_store(template, args.records)
        specs = {label: write_spec(folder, label) for label in ("before", "after")}
        code = {"before": str(reference_tree(REFERENCE_COMMIT)), "after": str(REPO)}
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for attempt in range(args.repeat):
            for label, spec in specs.items():
                store = folder / f"{label}_{attempt}.duckdb"
                shutil.copy(template, store)
                child = subprocess.run(
                    [sys.executable, __file__, "--child", str(store), str(spec)],
                    capture_output=True, text=True, check=True, cwd=code[label],
                    env={**os.environ, "SYNTH_BENCH_CODE": code[label]})
                runs[label].append(json.loads(child.stdout.strip().splitlines()[-1]))
                store.unlink()
        print(f"load average after: {os.getloadavg()}")
        wall, cpu = {}, {}
        for label, results in runs.items():
            wall[label] = statistics.median(r["seconds"] for r in results)
            cpu[label] = statistics.median(r["cpu_seconds"] for r in results)
            each = ", ".join(f"{r['seconds']:.1f}" for r in results)
            print(f"{label:6} {args.records / wall[label]:8.0f} records/s  (median stage "
                  f"{wall[label]:.1f} s wall, {cpu[label]:.1f} s CPU, of {len(results)}: "
                  f"{each} s; "
                  f"{results[0]['passed']} of {results[0]['judged']} admitted)")
            for name, row in results[0]["verifiers"].items():
                print(f"         {name:15} {row['mean_ms']:7.3f} ms/record  rejected "
                      f"{row['rejected']}")
        print(f"after / before: {wall['after'] / wall['before']:.2f}x wall time, "
              f"{cpu['after'] / cpu['before']:.2f}x CPU time (goal: at most 2x)")
    datatrove_side(texts(2000, seed=14))


if __name__ == "__main__":
    main()
