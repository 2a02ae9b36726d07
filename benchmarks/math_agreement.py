"""Agreement of the math verifier with the hand-labelled cases in tests/data/math_labelled.jsonl,
side by side with math-verify used alone (its own extraction from the whole response).

Usage: python benchmarks/math_agreement.py
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

from synth_assets.verify import Candidate, build_verifier

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "math_labelled.jsonl"


def math_verify_alone(response: str, gold: str) -> bool:
    config = [LatexExtractionConfig(), ExprExtractionConfig()]
    return bool(verify(parse(f"${gold}$", extraction_config=config), parse(response)))


def main() -> None:
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines()]
    ours = build_verifier("math_answer", {})
    per_format: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses: list[tuple[str, dict]] = []
    for case in cases:
        label = case["equivalent"]
        verdict = ours.verify(Candidate(text=case["response"], seed={"answer": case["gold"]}))
        alone = math_verify_alone(case["response"], case["gold"])
        row = per_format[case["format"]]
        row[0] += 1
        row[1] += verdict.passed == label
        row[2] += alone == label
        if verdict.passed != label:
            misses.append(("synth_assets", case))
        if alone != label:
            misses.append(("math-verify alone", case))
    total = [sum(row[i] for row in per_format.values()) for i in range(3)]
    print(f"{'format':<14}{'cases':>7}{'synth_assets':>15}{'math-verify alone':>20}")
    for name, (count, ok_ours, ok_alone) in sorted(per_format.items()):
        print(f"{name:<14}{count:>7}{ok_ours:>15}{ok_alone:>20}")
    print(f"{'agreement':<14}{total[0]:>7}{total[1] / total[0]:>15.1%}"
          f"{total[2] / total[0]:>20.1%}")
    print("\ndisagreements with the hand labels:")
    for who, case in misses:
        print(f"  {who}: {case['response']!r} gold={case['gold']!r} label={case['equivalent']}")


if __name__ == "__main__":
    main()
