"""Each built-in recipe's default verifier set over the hand-labelled answers in
tests/data/recipe_labelled: per recipe, the share of bad answers rejected and of good answers
admitted; per verifier, how many bad and good answers it rejected and its mean time per answer (the
first answer of a process pays for loading the lemmatizer and the MiniLM model); then every
miss.

    PYTHONPATH=. python benchmarks/recipe_verifiers.py [RECIPE ...]
"""

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth_assets.spec.builtins import builtin_names  # noqa: E402
from tests.recipe_labelled import every_builtin_spec, judge, rates  # noqa: E402


def main(recipes: list[str]) -> None:
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as folder:
        loaded = every_builtin_spec(Path(folder))
        for recipe in recipes:
            judged = judge(loaded, recipe)
            rejected, admitted = rates(judged)
            bad = sum(j.label == "bad" for j in judged)
            good = len(judged) - bad
            print(f"\n{recipe}: bad rejected {rejected:.0%} of {bad}, "
                  f"good admitted {admitted:.0%} of {good}")
            for name in judged[0].verdicts:
                rejects = {label: sum(not j.verdicts[name].passed for j in judged
                                      if j.label == label) for label in ("bad", "good")}
                mean_ms = 1000 * sum(j.verdicts[name].duration_s for j in judged) / len(judged)
                print(f"  {name:<24} rejects {rejects['bad']:>2}/{bad} bad, "
                      f"{rejects['good']:>2}/{good} good, {mean_ms:7.2f} ms per answer")
            for j in judged:
                if (j.label == "bad") == j.admitted:
                    failed = [f"{name}: {v.reason}" for name, v in j.verdicts.items()
                              if not v.passed]
                    print(f"  MISS {j.label}: {j.why} -> {failed or 'admitted'}")


if __name__ == "__main__":
    main(sys.argv[1:] or builtin_names())
