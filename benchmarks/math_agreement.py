"""Agreement of the math verifier with the hand-labelled cases in tests/data/math_labelled.jsonl,
side by side with math-verify used alone (its own extraction from the whole response, its own
`verify`), in one run: agreement, wrong accepts and wrong rejects per format, time per case.

Usage: python benchmarks/math_agreement.py
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

from synth_assets.verify import Candidate, build_verifier

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "math_labelled.jsonl"


@dataclass
class Tally:
    cases: int = 0
    agree: int = 0
    wrong_accepts: int = 0
    wrong_rejects: int = 0
    seconds: float = 0.0
    misses: list[dict] = field(default_factory=list)

    def add(self, case: dict, passed: bool, seconds: float) -> None:
        self.cases += 1
        self.seconds += seconds
        if passed == case["equivalent"]:
            self.agree += 1
            return
        self.misses.append(case)
        if passed:
            self.wrong_accepts += 1
        else:
            self.wrong_rejects += 1


def math_verify_alone(response: str, gold: str) -> bool:
    config = [LatexExtractionConfig(), ExprExtractionConfig()]
    return bool(verify(parse(f"${gold}$", extraction_config=config), parse(response)))


def main() -> None:
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines()]
    ours = build_verifier("math_answer", {})
    ours.verify(Candidate(text="\\boxed{\\sqrt{8}}", seed={"answer": "2\\sqrt{2}"}))  # warm up
    tallies: dict[str, dict[str, Tally]] = {"synth_assets": defaultdict(Tally),
                                            "math-verify alone": defaultdict(Tally)}
    for case in cases:
        seed = {"answer": case["gold"], "question": case.get("question", "")}
        start = time.perf_counter()
        passed = ours.verify(Candidate(text=case["response"], seed=seed)).passed
        tallies["synth_assets"][case["format"]].add(case, passed, time.perf_counter() - start)
        start = time.perf_counter()
        passed = math_verify_alone(case["response"], case["gold"])
        tallies["math-verify alone"][case["format"]].add(case, passed,
                                                         time.perf_counter() - start)
    print(f"{len(cases)} cases, load average {os.getloadavg()[0]:.2f} "
          f"(1 min) at the end of the run\n")
    header = f"{'format':<15}{'cases':>6}" + "".join(
        f"{who + ' agree/WA/WR':>32}" for who in tallies)
    print(header)
    for name in sorted(tallies["synth_assets"]):
        row = f"{name:<15}{tallies['synth_assets'][name].cases:>6}"
        for who in tallies:
            t = tallies[who][name]
            row += f"{f'{t.agree}/{t.wrong_accepts}/{t.wrong_rejects}':>32}"
        print(row)
    print()
    for who, per_format in tallies.items():
        total = Tally()
        for t in per_format.values():
            total.cases += t.cases
            total.agree += t.agree
            total.wrong_accepts += t.wrong_accepts
            total.wrong_rejects += t.wrong_rejects
            total.seconds += t.seconds
        print(f"{who:<18} agreement {total.agree}/{total.cases} = {total.agree / total.cases:.1%}"
              f"  wrong accepts {total.wrong_accepts}  wrong rejects {total.wrong_rejects}"
              f"  {1000 * total.seconds / total.cases:.1f} ms per case")
    print("\ndisagreements with the hand labels:")
    for who, per_format in tallies.items():
        for t in per_format.values():
            for case in t.misses:
                print(f"  {who}: {case['response']!r} gold={case['gold']!r} "
                      f"label={case['equivalent']}")


if __name__ == "__main__":
    main()
