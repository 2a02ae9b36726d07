"""How varied a set of texts is, cheaply enough to run on every materialization.

- distinct-1 / distinct-2: unique word unigrams / bigrams over all of them (Li et al., 2016);
- compression ratio: raw bytes / gzip bytes of the texts joined (higher = more repetitive;
  Shaib et al., 2024);
- mean pairwise similarity: cosine of word-count vectors over a fixed sample of pairs;
- exact duplicate share: texts equal to an earlier one after lowercasing and collapsing spaces;
- near duplicate share: other texts whose word 5-gram Jaccard with an earlier one is at least
  NEAR_DUPLICATE_JACCARD, found with MinHash LSH and confirmed exactly.
"""

import gzip
import math
import random
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np

NEAR_DUPLICATE_JACCARD = 0.7
SHINGLE_WORDS = 5
SIMILARITY_PAIRS = 500
_PERMUTATIONS = 64
_BANDS = 16  # 16 bands of 4 rows: pairs from about Jaccard 0.5 up become candidates
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class DiversityReport:
    records: int
    distinct_1: float
    distinct_2: float
    compression_ratio: float
    mean_pairwise_similarity: float
    exact_duplicate_share: float
    near_duplicate_share: float

    @property
    def duplicate_share(self) -> float:
        return self.exact_duplicate_share + self.near_duplicate_share

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "duplicate_share": self.duplicate_share}


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def distinct_n(tokenized: Sequence[list[str]], n: int) -> float:
    grams = [tuple(tokens[i:i + n]) for tokens in tokenized for i in range(len(tokens) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def compression_ratio(texts: Sequence[str]) -> float:
    raw = "\n".join(texts).encode("utf-8")
    return len(raw) / len(gzip.compress(raw, compresslevel=6, mtime=0)) if raw else 0.0


def mean_pairwise_similarity(tokenized: Sequence[list[str]], pairs: int = SIMILARITY_PAIRS,
                             seed: int = 0) -> float:
    """Mean cosine similarity of word counts over up to `pairs` pairs drawn with `seed`."""
    if len(tokenized) < 2:
        return 0.0
    total = len(tokenized) * (len(tokenized) - 1) // 2
    if total <= pairs:
        chosen = list(combinations(range(len(tokenized)), 2))
    else:
        rng = random.Random(seed)
        chosen = [tuple(rng.sample(range(len(tokenized)), 2)) for _ in range(pairs)]
    counts = [Counter(tokens) for tokens in tokenized]
    return sum(_cosine(counts[a], counts[b]) for a, b in chosen) / len(chosen)


def _cosine(a: Counter, b: Counter) -> float:
    dot = sum(count * b[word] for word, count in a.items() if word in b)
    norm = math.sqrt(sum(c * c for c in a.values())) * math.sqrt(sum(c * c for c in b.values()))
    return dot / norm if norm else 0.0


def duplicate_shares(tokenized: Sequence[list[str]],
                     threshold: float = NEAR_DUPLICATE_JACCARD) -> tuple[float, float]:
    """(exact, near) duplicate shares: each text counts once, as exact if it equals an
    earlier text, else as near if it is a near duplicate of an earlier one."""
    if not tokenized:
        return 0.0, 0.0
    first_seen: dict[tuple[str, ...], int] = {}
    exact = 0
    unique: list[int] = []
    for index, tokens in enumerate(tokenized):
        if tuple(tokens) in first_seen:
            exact += 1
        else:
            first_seen[tuple(tokens)] = index
            unique.append(index)
    shingles = [_shingles(tokenized[i]) for i in unique]
    near = _near_duplicates(shingles, threshold)
    return exact / len(tokenized), near / len(tokenized)


def _shingles(tokens: list[str]) -> set[int]:
    width = min(SHINGLE_WORDS, len(tokens)) or 1
    return {zlib.crc32(" ".join(tokens[i:i + width]).encode())
            for i in range(max(len(tokens) - width + 1, 1))}


def _near_duplicates(shingles: list[set[int]], threshold: float) -> int:
    """How many sets have an earlier set with Jaccard >= threshold."""
    rng = np.random.default_rng(0)
    a = rng.integers(1, 2**32, _PERMUTATIONS, dtype=np.uint64)
    b = rng.integers(0, 2**32, _PERMUTATIONS, dtype=np.uint64)
    rows = _PERMUTATIONS // _BANDS
    buckets: dict[tuple[int, bytes], list[int]] = {}
    near = 0
    for index, shingle_set in enumerate(shingles):
        values = np.fromiter(shingle_set, dtype=np.uint64, count=len(shingle_set))
        signature = ((np.outer(values, a) + b) & np.uint64(0xFFFFFFFF)).min(axis=0)
        keys = [(band, signature[band * rows:(band + 1) * rows].tobytes())
                for band in range(_BANDS)]
        candidates = {other for key in keys for other in buckets.get(key, ())}
        if any(_jaccard(shingle_set, shingles[other]) >= threshold for other in candidates):
            near += 1
        for key in keys:
            buckets.setdefault(key, []).append(index)
    return near


def _jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def measure(texts: Sequence[str]) -> DiversityReport:
    tokenized = [words(text) for text in texts]
    exact, near = duplicate_shares(tokenized)
    return DiversityReport(
        records=len(texts),
        distinct_1=distinct_n(tokenized, 1),
        distinct_2=distinct_n(tokenized, 2),
        compression_ratio=compression_ratio(texts),
        mean_pairwise_similarity=mean_pairwise_similarity(tokenized),
        exact_duplicate_share=exact,
        near_duplicate_share=near,
    )


def diversity_by_recipe(recipes: Sequence[str], texts: Sequence[str]) -> list[dict]:
    """One row per recipe (sorted): the recipe name and its report's numbers."""
    grouped: dict[str, list[str]] = {}
    for recipe, text in zip(recipes, texts, strict=True):
        grouped.setdefault(recipe, []).append(text)
    return [{"recipe": recipe, **measure(grouped[recipe]).as_dict()} for recipe in sorted(grouped)]
