"""Near-duplicate detection: our numpy MinHash + LSH against datasketch's MinHash/MinHashLSH,
same corpus, same settings (word 5-grams, 128 permutations, Jaccard 0.7, keep the earliest).

The corpus has N random documents plus planted near-duplicates (a few words changed) whose
true Jaccard similarity to their source is computed exactly. Prints time, documents/s, recall
of planted pairs at or above the threshold and false positives (flagged pairs whose exact
Jaccard is below it). datasketch runs in its own venv under ~/.cache/synth-assets-bench.

Usage: python benchmarks/bench_dedup_minhash.py [--docs 5000] [--words 150]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
from pathlib import Path

from peer_venv import peer_python

from synth_assets.verify.dedup import DedupSettings, find_duplicates

PEER_SCRIPT = r"""
import json, sys, time
from datasketch import MinHash, MinHashLSH
docs = [json.loads(line) for line in open(sys.argv[1])]
start = time.perf_counter()
lsh = MinHashLSH(threshold=0.7, num_perm=128)
kept, found = {}, {}
for doc_id, text in docs:
    words = text.split()
    m = MinHash(num_perm=128)
    m.update_batch([" ".join(words[i:i + 5]).encode() for i in range(len(words) - 4)])
    match = next((c for c in sorted(lsh.query(m), key=int) if kept[c].jaccard(m) >= 0.7), None)
    if match is not None:
        found[doc_id] = match
    else:
        lsh.insert(doc_id, m)
        kept[doc_id] = m
print(json.dumps({"seconds": time.perf_counter() - start, "found": found}))
"""


def shingles(text: str) -> set[str]:
    words = text.split()
    return {" ".join(words[i:i + 5]) for i in range(len(words) - 4)}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def corpus(docs: int, words: int) -> tuple[list[tuple[str, str]], dict[str, str]]:
    rng = random.Random(7)
    vocabulary = [f"w{i}" for i in range(20_000)]
    records, planted = [], {}
    for index in range(docs):
        if index > 10 and rng.random() < 0.2:
            source_id, source = records[rng.randrange(len(records))]
            tokens = source.split()
            for _ in range(rng.choice([1, 2, 3, 6, 10])):
                tokens[rng.randrange(len(tokens))] = rng.choice(vocabulary)
            records.append((str(index), " ".join(tokens)))
            planted[str(index)] = source_id
        else:
            records.append((str(index), " ".join(rng.choices(vocabulary, k=words))))
    return records, planted


def score(found: dict[str, str], planted: dict[str, str], texts: dict[str, str]) -> str:
    should = {d for d, s in planted.items() if jaccard(texts[d], texts[s]) >= 0.7}
    recall = len(should & set(found)) / len(should) if should else 1.0
    false = sum(jaccard(texts[d], texts[k]) < 0.7 for d, k in found.items())
    return f"{len(found):>8}{recall:>9.1%}{false:>8}"


def ensure_peer() -> Path:
    return peer_python("datasketch", "import datasketch", [["datasketch"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--words", type=int, default=150)
    args = parser.parse_args()
    records, planted = corpus(args.docs, args.words)
    texts = dict(records)
    peer = ensure_peer()

    start = time.perf_counter()
    ours = {d: dup.kept_id for d, dup in find_duplicates(records, DedupSettings()).items()}
    ours_s = time.perf_counter() - start
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        handle.writelines(json.dumps(record) + "\n" for record in records)
    result = json.loads(subprocess.run([str(peer), "-c", PEER_SCRIPT, handle.name],
                                       capture_output=True, text=True, check=True).stdout)
    Path(handle.name).unlink()

    print(f"{len(records)} documents of {args.words} words, {len(planted)} planted near-copies")
    print(f"{'implementation':<24}{'seconds':>9}{'docs/s':>9}{'flagged':>8}{'recall':>9}"
          f"{'false+':>8}")
    for label, seconds, found in (("synth_assets (numpy)", ours_s, ours),
                                  ("datasketch", result["seconds"], result["found"])):
        print(f"{label:<24}{seconds:>9.2f}{len(records) / seconds:>9.0f}"
              f"{score(found, planted, texts)}")


if __name__ == "__main__":
    main()
