"""The semantic detector's cheap first stage: static text vectors from the MiniLM model's own
input word-piece embeddings (centred, so the direction every piece shares does not make all
texts look alike, and weighted by the pieces' IDF over the benchmark items), compared with the
items' static vectors. It reads a whole text at a cost of a table look-up per word piece, so it
can score every window of every text; the full encoder then runs only on the windows it ranks
first.

Windows: a text of up to WHOLE_PIECES word pieces is one window. A longer one (a response that
buries a question among other sentences) is cut into sentences (at . ! ? ; : followed by a
space, and at line breaks; a sentence longer than MAX_SENTENCE_PIECES is cut there too), and
every run of consecutive sentences of MIN_WINDOW_PIECES to MAX_WINDOW_PIECES pieces is a
window. A window's vector is a difference of running sums over the text's pieces, so all of a
text's windows cost one pass over it.
"""

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synth_assets.text.minilm import MiniLMEncoder

WHOLE_PIECES = 96
MIN_WINDOW_PIECES = 12
MAX_WINDOW_PIECES = 128
MAX_SENTENCE_PIECES = 64
STATIC_DIMENSIONS = 128
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;:])\s+|\n+")


@dataclass(frozen=True)
class Window:
    """The best window of a text for one benchmark by static score, and that benchmark's items
    closest to it (positions into the index's items, best first)."""

    text: str
    score: float
    nearest: tuple[int, ...]


def vocabulary_directions(encoder: MiniLMEncoder) -> np.ndarray:
    """The STATIC_DIMENSIONS principal directions of the model's centred word-piece table: they
    keep what tells texts apart at a fraction of the arithmetic per window. Depends on the
    model alone (an SVD of 30,522 x 384: seconds), so the index cache keeps it."""
    table = encoder.word_embeddings
    centred = table - table.mean(axis=0)
    return np.linalg.svd(centred, full_matrices=False)[2][:STATIC_DIMENSIONS]


class StaticStage:
    def __init__(self, encoder: MiniLMEncoder, item_texts: Sequence[str],
                 benchmark_starts: Sequence[int], directions: np.ndarray,
                 nearest: int = 8) -> None:
        """benchmark_starts: the position of each benchmark's first item (items are grouped by
        benchmark); directions: vocabulary_directions(encoder)."""
        self._tokenizer = encoder.untruncated_tokenizer()
        table = encoder.word_embeddings
        self._starts = np.asarray(benchmark_starts)
        self._ends = np.append(self._starts[1:], len(item_texts))
        self._nearest = nearest
        encodings = self._tokenizer.encode_batch(list(item_texts))
        frequency: Counter[int] = Counter()
        for encoding in encodings:
            frequency.update(set(encoding.ids[1:-1]))
        total = len(item_texts)
        idf = np.full(len(table), math.log(1 + total) + 1, dtype=np.float32)
        for piece, count in frequency.items():
            idf[piece] = math.log((1 + total) / (1 + count)) + 1
        centred = table - table.mean(axis=0)
        self._table = ((centred @ directions.T) * idf[:, None]).astype(np.float32)
        self.item_vectors = _unit(np.stack([self._table[e.ids[1:-1]].sum(axis=0)
                                            for e in encodings]))

    def best_windows(self, texts: Sequence[str]) -> list[list[Window]]:
        """Per text, per benchmark (in index order): its best window."""
        encodings = self._tokenizer.encode_batch(list(texts))
        results = []
        for text, encoding in zip(texts, encodings, strict=True):
            ids = np.asarray(encoding.ids[1:-1], dtype=np.int64)
            offsets = encoding.offsets[1:-1]
            if len(ids) == 0:
                results.append([Window(text, 0.0, (int(start),)) for start in self._starts])
                continue
            spans, bounds = _window_spans(text, offsets)
            # Windows are runs of sentences: score each sentence's sum once, then a window's
            # dot products are differences of running sums over its sentences.
            running = np.vstack([np.zeros((1, self._table.shape[1]), np.float32),
                                 np.cumsum(self._table[ids], axis=0)])
            sentence_sums = running[bounds]
            products = np.vstack([np.zeros((1, self.item_vectors.shape[0]), np.float32),
                                  np.cumsum(np.diff(sentence_sums, axis=0)
                                            @ self.item_vectors.T, axis=0)])
            norms = np.linalg.norm(sentence_sums[spans[:, 1]] - sentence_sums[spans[:, 0]],
                                   axis=1)
            scores = ((products[spans[:, 1]] - products[spans[:, 0]])
                      / np.where(norms == 0, 1, norms)[:, None])
            windows = []
            for start, end in zip(self._starts, self._ends, strict=True):
                block = scores[:, start:end]
                row = int(block.max(axis=1).argmax())
                count = min(self._nearest, end - start)
                closest = np.argpartition(-block[row], count - 1)[:count]
                closest = closest[np.argsort(-block[row, closest])]
                first, last = bounds[spans[row, 0]], bounds[spans[row, 1]]
                windows.append(Window(text[offsets[first][0]:offsets[last - 1][1]],
                                      float(block[row, closest[0]]),
                                      tuple(int(start + c) for c in closest)))
            results.append(windows)
        return results


def _window_spans(text: str, offsets: Sequence[tuple[int, int]]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The text's sentence bounds (piece positions, first 0, last the piece count) and its
    windows as (first bound, end bound) index pairs into them."""
    count = len(offsets)
    if count <= WHOLE_PIECES:
        return np.array([[0, 1]]), np.array([0, count])
    piece_starts = np.fromiter((start for start, _ in offsets), dtype=np.int64, count=count)
    breaks = np.searchsorted(piece_starts, [m.end() for m in _SENTENCE_BREAK.finditer(text)])
    cut = [0]
    for bound in sorted({count, *breaks.tolist()} - {0}):
        while bound - cut[-1] > MAX_SENTENCE_PIECES:  # cut overlong sentences
            cut.append(cut[-1] + MAX_SENTENCE_PIECES)
        cut.append(bound)
    spans = [(i, j) for i in range(len(cut)) for j in range(i + 1, len(cut))
             if MIN_WINDOW_PIECES <= cut[j] - cut[i] <= MAX_WINDOW_PIECES]
    if not spans:  # every sentence shorter than MIN_WINDOW_PIECES and no run fits: take one
        spans = [(0, 1)]
    return np.array(spans), np.array(cut)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)
