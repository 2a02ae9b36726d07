"""The semantic contamination scan's cost (the MiniLM encoder's NumPy forward pass) at 1 and 2
BLAS threads, in one process, alternating rounds over different texts of the same kind (GSM8K
train solutions): texts/s of wall and ms of CPU per text. What SYNTH_NUM_THREADS
(synth_assets/threads.py) decides; on a loaded machine extra BLAS threads mostly spin.

Usage: python benchmarks/bench_numeric_threads.py [--gsm8k PATH] [--rounds 3] [--texts 64]
"""

import argparse
import os
import random
import time
from pathlib import Path

from gsm8k_data import TRAIN, read_rows
from threadpoolctl import threadpool_info, threadpool_limits

from synth_assets.text.minilm import shared_encoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gsm8k", type=Path, default=TRAIN)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--texts", type=int, default=64, help="texts per round and setting")
    args = parser.parse_args()
    encoder = shared_encoder()
    if encoder is None:
        raise SystemExit("the MiniLM weights are not installed (the [semantic] extra)")
    solutions = [row["answer"] for row in read_rows(args.gsm8k)]
    texts = random.Random(0).sample(solutions, args.texts * 2 * args.rounds)
    encoder.encode(texts[:32])  # warm up
    timings: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    chunks = iter(texts[i:i + args.texts] for i in range(0, len(texts), args.texts))
    for round_index in range(args.rounds):
        for threads in (1, 2) if round_index % 2 == 0 else (2, 1):  # neither always first
            chunk = next(chunks)
            with threadpool_limits(limits=threads, user_api="blas"):
                started, cpu = time.perf_counter(), time.process_time()
                encoder.encode(chunk)
                timings[threads].append((time.perf_counter() - started,
                                         time.process_time() - cpu))
    blas = sorted({f"{i['internal_api']} {i.get('architecture')}" for i in threadpool_info()})
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} "
          f"CPUs; BLAS: {', '.join(blas)}")
    for threads, values in timings.items():
        count = args.texts * len(values)
        wall, cpu = sum(v[0] for v in values), sum(v[1] for v in values)
        print(f"{threads} BLAS thread(s): {count / wall:.2f} texts/s, "
              f"{1000 * cpu / count:.0f} ms CPU per text")


if __name__ == "__main__":
    main()
