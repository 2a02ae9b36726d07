"""Benchmark contamination detection: load benchmark items, then find them in training text by
n-gram overlap, n-gram coverage, MinHash near-duplicates and semantic similarity."""

from synth_assets.decontam.items import BenchmarkItem, Hit
from synth_assets.decontam.loaders import (
    BenchmarkSourceError,
    load_benchmark_file,
    load_huggingface,
    load_humaneval,
)
from synth_assets.decontam.ngram import NgramHit, NgramIndex
from synth_assets.text.normalize import normalize_tokens

__all__ = [
    "BenchmarkItem",
    "BenchmarkSourceError",
    "Hit",
    "NgramHit",
    "NgramIndex",
    "load_benchmark_file",
    "load_huggingface",
    "load_humaneval",
    "normalize_tokens",
]
