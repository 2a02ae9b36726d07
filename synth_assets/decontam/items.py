"""The unit a contamination detector matches against: one item of one benchmark."""

from dataclasses import dataclass


@dataclass(frozen=True)
class BenchmarkItem:
    benchmark: str  # benchmark name from the spec, e.g. "humaneval"
    item_id: str  # stable id inside the benchmark, e.g. "HumanEval/0" or "gsm8k_test:17"
    text: str  # the text to match against: question (+ answer if configured)
