"""`synth check-spec` on a big seed file: the whole check (read and validate every line,
render every template per distinct seed shape and attribute value, the round-2 recipe on the
records it will read) against two references measured in the same run on the same file:

- the seed_sets stage's own read of it (recipes.seeds.load_seed_set): what every run pays
  anyway, so the ratio says what the check adds;
- rendering the prompt once per seed, the naive check (recipes.render.render_messages on every
  seed, one attribute draw each).

Prints seconds, seeds/s, ratios, peak memory and the load average (the machine is shared).

Usage: python benchmarks/bench_spec_check.py [--seeds 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

from benchmarks.process_memory import peak_mb
from synth_assets.recipes.attributes import sample_attributes
from synth_assets.recipes.render import render_messages
from synth_assets.recipes.seeds import load_seed_set
from synth_assets.spec import load_spec
from synth_assets.stages.spec_check import check_spec_file

SPEC = """\
version: 1
seed_sets:
  math: {path: math.jsonl, kind: math}
teachers:
  stub: {model: openai/stub, api_base: "http://127.0.0.1:9/v1"}
recipes:
  solve:
    seed_set: math
    teacher: stub
    domain: math
    attributes:
      persona: {file: personas.txt}
    template: |
      You are {{ persona }}. Solve: {{ question }}
      {% if hint is defined %}Hint: {{ hint }}{% endif %}
    record:
      instruction: "{{ question }}"
      response: "{{ generated }}"
  check:
    seeds_from: {recipe: solve}
    teacher: stub
    domain: math
    template: "Check this solution to {{ instruction }}: {{ response }}"
"""


def write_inputs(folder: Path, seeds: int) -> Path:
    rng = random.Random(0)
    with (folder / "math.jsonl").open("w", encoding="utf-8") as handle:
        for index in range(seeds):
            row = {"question": f"What is {rng.randint(1, 999)} + {rng.randint(1, 999)}? "
                               f"({index})", "answer": str(index)}
            if index % 3 == 0:
                row["hint"] = "add the units first"
            handle.write(json.dumps(row) + "\n")
    (folder / "personas.txt").write_text("a teacher\na farmer\na pilot\n", encoding="utf-8")
    path = folder / "pipeline.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def timed(action):
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        spec_path = write_inputs(Path(folder), args.seeds)
        size_mb = (Path(folder) / "math.jsonl").stat().st_size / 1e6
        check_s, (_, check) = timed(lambda: check_spec_file(spec_path))
        assert check.ok, check.report()
        loaded = load_spec(spec_path)
        read_s, seeds = timed(lambda: load_seed_set("math", Path(folder) / "math.jsonl", "math"))

        def render_each() -> None:
            recipe = loaded.spec.recipes["solve"]
            for seed in seeds:
                render_messages("solve", recipe, seed,
                                sample_attributes(loaded, "solve", seed, 0))

        naive_s, _ = timed(render_each)
    print(f"seed file: {args.seeds} lines, {size_mb:.1f} MB; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"check-spec (whole check)       {check_s:7.2f} s  {args.seeds / check_s:9.0f} seeds/s")
    print(f"seed stage read (reference)    {read_s:7.2f} s  {args.seeds / read_s:9.0f} seeds/s")
    print(f"render per seed (naive check)  {naive_s:7.2f} s  {args.seeds / naive_s:9.0f} seeds/s "
          "(template only, no records, no round 2)")
    print(f"check / seed stage read: {check_s / read_s:.2f}x; "
          f"naive render / check: {naive_s / check_s:.2f}x; peak memory {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
