"""Semantic similarity for rephrasings: cosine between a text and every benchmark item, with
all-MiniLM-L6-v2 embeddings when the optional model package is installed, else TF-IDF."""

from collections.abc import Sequence
from typing import Literal

from synth_assets.decontam.index_cache import ArrayCache
from synth_assets.decontam.items import BenchmarkItem
from synth_assets.decontam.minilm import MODEL_NAME, shared_encoder
from synth_assets.decontam.tfidf import TfidfIndex

Backend = Literal["auto", "minilm", "tfidf"]


class SemanticIndex:
    def __init__(self, items: tuple[BenchmarkItem, ...], backend: Backend,
                 cache: ArrayCache, fingerprint: str) -> None:
        self.items = items
        encoder = shared_encoder() if backend in ("auto", "minilm") else None
        if backend == "minilm" and encoder is None:
            raise RuntimeError(
                "contamination.semantic.backend is 'minilm' but the embedding model is not "
                "installed: pip install 'synth-assets[semantic]' (or use backend 'auto')"
            )
        self.backend = "minilm" if encoder is not None else "tfidf"
        self.detector = f"semantic-{self.backend}"
        self._encoder = encoder
        if encoder is not None:
            self._embeddings = cache.get(
                f"{fingerprint[:24]}-embeddings-{MODEL_NAME}",
                lambda: encoder.encode([item.text for item in items]),
            )
        else:
            self._tfidf = TfidfIndex(items)

    def describe(self, score: float) -> str:
        measure = f"{MODEL_NAME} embedding" if self.backend == "minilm" else "TF-IDF"
        return f"{measure} cosine {score:.3f} with the item"

    def best_matches(self, texts: Sequence[str]) -> list[tuple[int, float]]:
        """(item position, cosine) of the most similar item for each text."""
        if not texts:
            return []
        if self._encoder is None:
            return self._tfidf.best_matches(texts)
        similarities = self._encoder.encode(texts) @ self._embeddings.T
        best = similarities.argmax(axis=1)
        return [(int(i), float(similarities[row, i])) for row, i in enumerate(best)]
