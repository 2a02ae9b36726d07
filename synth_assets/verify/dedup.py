"""Exact and near-duplicate detection: normalized-text hashes, and MinHash signatures over word
n-grams with locality-sensitive hashing (banding) to find candidate pairs, each then checked
with the exact Jaccard similarity of the two n-gram (hash) sets.

Records are given earliest first; the earliest of a group of duplicates is kept and every
later one points at it (never at another duplicate).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from synth_assets.text.normalize import normalize_tokens

_MERSENNE_61 = np.uint64((1 << 61) - 1)
_LOW_32 = np.uint64(0xFFFFFFFF)
_SHINGLE_BASE = np.uint64(1_000_003)


@dataclass(frozen=True)
class DedupSettings:
    threshold: float = 0.7  # Jaccard similarity of word n-gram sets at which records are duplicates
    ngram: int = 5
    num_perm: int = 128
    seed: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError(f"dedup threshold must be in (0, 1], got {self.threshold}")
        if self.ngram < 1 or self.num_perm < 2:
            raise ValueError(f"dedup needs ngram >= 1 and num_perm >= 2, got {self}")


@dataclass(frozen=True)
class Duplicate:
    kept_id: str
    kind: str  # "exact" or "near"
    similarity: float  # Jaccard similarity of the word n-gram sets (1.0 for exact)


def exact_key(text: str) -> str:
    """Hash of the text lowercased, without punctuation, whitespace collapsed."""
    return hashlib.sha256(" ".join(normalize_tokens(text)).encode()).hexdigest()


class MinHasher:
    """MinHash signatures of word n-gram sets: the share of equal positions in two signatures
    estimates the Jaccard similarity of the two sets (standard error ~ 1/sqrt(num_perm))."""

    def __init__(self, settings: DedupSettings) -> None:
        self.settings = settings
        rng = np.random.default_rng(settings.seed)
        # a, b < 2^32 and shingle hashes < 2^32 keep a*h + b below 2^64: no overflow.
        self._a = rng.integers(1, 1 << 32, settings.num_perm, dtype=np.uint64)[:, None]
        self._b = rng.integers(0, 1 << 32, settings.num_perm, dtype=np.uint64)[:, None]
        self._word_hashes: dict[str, int] = {}

    def signature(self, text: str) -> np.ndarray:
        return self.signature_of(self.shingle_hashes(text))

    def signature_of(self, shingles: np.ndarray) -> np.ndarray:
        permuted = ((self._a * shingles[None, :] + self._b) % _MERSENNE_61) & _LOW_32
        return permuted.min(axis=1)

    def shingle_hashes(self, text: str) -> np.ndarray:
        """The sorted, distinct 32-bit hashes of the text's word n-grams."""
        words = normalize_tokens(text) or [""]
        hashes = np.fromiter((self._word_hash(word) for word in words), np.uint64, len(words))
        n = min(self.settings.ngram, len(hashes))
        # Polynomial hash of each window of n word hashes (wrapping mod 2^64), then the top 32
        # bits, which mix all words of the window.
        combined = np.zeros(len(hashes) - n + 1, dtype=np.uint64)
        for offset in range(n):
            combined = combined * _SHINGLE_BASE + hashes[offset : len(hashes) - n + 1 + offset]
        return np.unique(combined >> np.uint64(32)).astype(np.uint32)

    def _word_hash(self, word: str) -> int:
        value = self._word_hashes.get(word)
        if value is None:
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            value = self._word_hashes[word] = int.from_bytes(digest, "little")
        return value


def lsh_bands(threshold: float, num_perm: int, false_negative_weight: float = 0.9
              ) -> tuple[int, int]:
    """(bands, rows) for banding `num_perm` signature positions: minimizes the weighted area of
    false positives below the threshold and false negatives above it under the S-curve
    1 - (1 - s^rows)^bands (as datasketch does). Recall is weighted up because every candidate
    pair is then checked against the threshold: a false positive costs one comparison, a
    false negative a missed duplicate (at 0.7, 128 positions: 21 bands of 6 rows, 93% of pairs
    at exactly the threshold become candidates)."""
    similarities = np.linspace(0, 1, 201)
    below = similarities < threshold
    best, best_error = (1, num_perm), float("inf")
    for bands in range(1, num_perm + 1):
        rows = num_perm // bands
        candidate = 1 - (1 - similarities**rows) ** bands
        false_positives = np.trapezoid(np.where(below, candidate, 0), similarities)
        false_negatives = np.trapezoid(np.where(below, 0, 1 - candidate), similarities)
        error = ((1 - false_negative_weight) * false_positives
                 + false_negative_weight * false_negatives)
        if error < best_error:
            best, best_error = (bands, rows), error
    return best


def find_duplicates(
    records: Iterable[tuple[str, str]], settings: DedupSettings = DedupSettings()
) -> dict[str, Duplicate]:
    """duplicate id -> the record it duplicates, for (id, text) records given earliest first."""
    hasher = MinHasher(settings)
    bands, rows = lsh_bands(settings.threshold, settings.num_perm)
    exact: dict[str, str] = {}
    buckets: list[dict[bytes, list[int]]] = [defaultdict(list) for _ in range(bands)]
    kept_ids: list[str] = []
    kept_shingles: list[np.ndarray] = []
    duplicates: dict[str, Duplicate] = {}
    for record_id, text in records:
        key = exact_key(text)
        if key in exact:
            duplicates[record_id] = Duplicate(exact[key], "exact", 1.0)
            continue
        shingles = hasher.shingle_hashes(text)
        signature = hasher.signature_of(shingles)
        keys = [signature[band * rows : (band + 1) * rows].tobytes() for band in range(bands)]
        candidates = sorted({index for band, k in enumerate(keys) for index in buckets[band][k]})
        match = next(
            ((index, similarity) for index in candidates
             if (similarity := _jaccard(kept_shingles[index], shingles)) >= settings.threshold),
            None,
        )
        if match is not None:
            duplicates[record_id] = Duplicate(kept_ids[match[0]], "near", match[1])
            continue
        exact[key] = record_id
        for band, k in enumerate(keys):
            buckets[band][k].append(len(kept_ids))
        kept_ids.append(record_id)
        kept_shingles.append(shingles)
    return duplicates


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)
