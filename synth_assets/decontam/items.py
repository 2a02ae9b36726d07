"""The unit a contamination detector matches against (one item of one benchmark), and what a
detector reports when a text matches one."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

EXCERPT_CHARS = 300


@dataclass(frozen=True)
class BenchmarkItem:
    benchmark: str  # benchmark name from the spec, e.g. "humaneval"
    item_id: str  # stable id inside the benchmark, e.g. "HumanEval/0" or "gsm8k_test:17"
    text: str  # the text to match against: question (+ answer if configured)


@dataclass(frozen=True)
class Hit:
    """One detector finding one benchmark item in one text."""

    benchmark: str
    item_id: str
    detector: str  # e.g. "ngram", "coverage", "minhash", "semantic-minilm", "llm_judge"
    score: float  # the detector's measure, compared with its threshold (higher = closer)
    evidence: str  # a sentence a person can check: what matched and how much


def sorted_unique(items: Iterable[BenchmarkItem]) -> tuple[BenchmarkItem, ...]:
    """Items in (benchmark, item_id) order, the order every detector indexes them in."""
    ordered = tuple(sorted(items, key=lambda item: (item.benchmark, item.item_id)))
    for previous, current in zip(ordered, ordered[1:], strict=False):
        if (previous.benchmark, previous.item_id) == (current.benchmark, current.item_id):
            raise ValueError(f"duplicate benchmark item {current.benchmark} {current.item_id!r}")
    return ordered


def items_fingerprint(items: tuple[BenchmarkItem, ...], *parts: Any) -> str:
    """SHA-256 of the ordered items and any extra parts (algorithm versions, parameters)."""
    content = [*parts, [[item.benchmark, item.item_id, item.text] for item in items]]
    encoded = json.dumps(content, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
