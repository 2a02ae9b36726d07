"""Where "contaminated" starts, per benchmark, from how similar the benchmark's own distinct
items are to each other: each item's nearest other item is a text of the same domain that is a
different problem, which is exactly what a clean training text looks like to the detector.

Of those nearest-neighbour cosines (leave one out; encoder and static vectors alike):
- `confirmed`: the 99th percentile, capped at the spec's `semantic.threshold`. A window this
  close to an item is contaminated on its own: it is closer than 99 of 100 distinct items of
  the benchmark are to their nearest neighbour.
- `borderline`: the median. From here up a window is contaminated when it also states the
  item's values: their IDF-weighted agreement (`literals.LiteralWeights`) reaches
  `agreement`, and is what an LLM judge, if configured, confirms.
- `agreement`: the lowest of 0.5, 0.55, ... 1.0 at which at most MAX_ITEM_RATE of the items
  would be taken for their nearest other item by that route (cosine from `borderline` up and
  that much agreement). Benchmarks whose distinct problems share their values (HumanEval's
  doctests reuse [1, 2, 3]) get a high bar, those whose problems each state their own numbers
  (GSM8K) a lower one; if no bar is low enough the route is closed (above 1).
- `gate` / `gate_alone`: the 10th and 75th percentiles of the static vectors' cosines. A window
  reaches the encoder if its static score is at least `gate` and it either agrees with one of
  its nearest items' values or scores at least `gate_alone`.

A benchmark of fewer than MIN_ITEMS items has too few neighbours to tell: it gets the spec's
fixed threshold (no literal route) and a static gate of FIXED_GATE.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synth_assets.decontam.literals import LiteralWeights

MIN_ITEMS = 30
FIXED_GATE = 0.3
MAX_ITEM_RATE = 0.02
CLOSED = 1.01  # an agreement no pair reaches
_AGREEMENT_BARS = np.arange(0.5, 1.0001, 0.05)
_QUANTILES = {"confirmed": 0.99, "borderline": 0.5, "gate": 0.1, "gate_alone": 0.75}


@dataclass(frozen=True)
class Thresholds:
    confirmed: float
    borderline: float
    agreement: float
    gate: float
    gate_alone: float

    def as_array(self) -> np.ndarray:
        return np.array([self.confirmed, self.borderline, self.agreement, self.gate,
                         self.gate_alone])


def calibrate(item_texts: Sequence[str], embeddings: np.ndarray, static_vectors: np.ndarray,
              benchmark_starts: Sequence[int], ceiling: float) -> np.ndarray:
    """Rows of Thresholds, one per benchmark, for the items' texts, unit-length encoder
    embeddings and static vectors grouped by benchmark."""
    ends = [*benchmark_starts[1:], len(embeddings)]
    rows = []
    for start, end in zip(benchmark_starts, ends, strict=True):
        if end - start < MIN_ITEMS:
            rows.append(Thresholds(ceiling, ceiling, CLOSED, FIXED_GATE,
                                   FIXED_GATE).as_array())
            continue
        nearest, encoder = _nearest_other(embeddings[start:end])
        static = _nearest_other(static_vectors[start:end])[1]
        texts = item_texts[start:end]
        weights = LiteralWeights(texts)
        agreements = np.array([weights.agreement(texts[other], texts[own])
                               for own, other in enumerate(nearest)])
        borderline = min(float(np.quantile(encoder, _QUANTILES["borderline"])), ceiling)
        close = encoder >= borderline
        bar = next((float(bar) for bar in _AGREEMENT_BARS
                    if np.mean(close & (agreements >= bar)) <= MAX_ITEM_RATE), CLOSED)
        rows.append(Thresholds(
            confirmed=min(float(np.quantile(encoder, _QUANTILES["confirmed"])), ceiling),
            borderline=borderline,
            agreement=bar,
            gate=float(np.quantile(static, _QUANTILES["gate"])),
            gate_alone=float(np.quantile(static, _QUANTILES["gate_alone"])),
        ).as_array())
    return np.stack(rows).astype(np.float32)


def thresholds(row: np.ndarray) -> Thresholds:
    return Thresholds(*(float(value) for value in row))


def _nearest_other(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per vector, the position of its most similar other vector and their cosine."""
    similarities = vectors @ vectors.T
    np.fill_diagonal(similarities, -np.inf)
    return similarities.argmax(axis=1), similarities.max(axis=1)
