"""Near-duplicate detection: MinHash estimates of the Jaccard similarity between the sets of
word shingles (k consecutive word_tokens) of a text and of each benchmark item.

Shingle hashes are stable across processes (CRC-32 per token, combined arithmetically), so an
item's signature can be stored and reused; the permutations are multiply-shift hashes with
fixed random constants. A fired hit reports the estimate and the exact Jaccard of the sets.
"""

import zlib
from collections.abc import Sequence

import numpy as np

from synth_assets.decontam.items import BenchmarkItem, Hit
from synth_assets.text.normalize import word_tokens

DETECTOR = "minhash"
ALGORITHM = "minhash-v1"
_PERMUTATION_SEED = 20231107
_COMBINE = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.iinfo(np.uint32).max


def shingles(text: str, k: int) -> np.ndarray:
    """Distinct hashes of the k-token shingles of text; a shorter text is one shingle."""
    tokens = np.fromiter(map(zlib.crc32, word_tokens(text)), dtype=np.uint64)
    if tokens.size == 0:
        return tokens
    width = min(k, tokens.size)
    count = tokens.size - width + 1
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(width):
        combined = combined * _COMBINE + tokens[offset : offset + count]
    return np.unique(combined)


class MinHasher:
    def __init__(self, permutations: int = 128, shingle_words: int = 3) -> None:
        rng = np.random.default_rng(_PERMUTATION_SEED)
        self.shingle_words = shingle_words
        self._a = rng.integers(1, 2**63, size=permutations, dtype=np.uint64) | np.uint64(1)
        self._b = rng.integers(0, 2**63, size=permutations, dtype=np.uint64)

    def signature(self, shingle_hashes: np.ndarray) -> np.ndarray:
        if shingle_hashes.size == 0:
            return np.full(self._a.size, _EMPTY, dtype=np.uint32)
        mixed = (shingle_hashes[:, None] * self._a[None, :] + self._b[None, :]) >> np.uint64(32)
        return mixed.min(axis=0).astype(np.uint32)

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.signature(shingles(t, self.shingle_words)) for t in texts])


class MinHashIndex:
    """Item signatures (a matrix, one row per item in the given order) and the hasher."""

    def __init__(self, items: tuple[BenchmarkItem, ...], signatures: np.ndarray,
                 hasher: MinHasher) -> None:
        self.items = items
        self.signatures = signatures
        self.hasher = hasher

    def scan(self, texts: Sequence[str], threshold: float) -> list[list[Hit]]:
        results = []
        k = self.hasher.shingle_words
        for text in texts:
            text_shingles = shingles(text, k)
            if text_shingles.size == 0:
                results.append([])
                continue
            estimates = (self.signatures == self.hasher.signature(text_shingles)).mean(axis=1)
            hits = []
            for index in np.flatnonzero(estimates >= threshold):
                item = self.items[index]
                item_shingles = shingles(item.text, k)
                shared = np.intersect1d(text_shingles, item_shingles, assume_unique=True).size
                exact = shared / (text_shingles.size + item_shingles.size - shared)
                hits.append(Hit(
                    item.benchmark, item.item_id, DETECTOR, float(estimates[index]),
                    f"MinHash Jaccard ≈ {estimates[index]:.2f} over {k}-word shingles "
                    f"(exact {exact:.2f}: {shared} shared of {item_shingles.size} item and "
                    f"{text_shingles.size} text shingles)",
                ))
            hits.sort(key=lambda hit: -hit.score)
            results.append(hits)
        return results
