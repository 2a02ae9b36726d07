"""Benchmark contamination detection: load benchmark items, find n-gram overlap with records."""

from synth_assets.decontam.items import BenchmarkItem
from synth_assets.decontam.loaders import BenchmarkFileError, load_benchmark_file, load_humaneval
from synth_assets.decontam.ngram import NgramHit, NgramIndex
from synth_assets.decontam.normalize import normalize_tokens

__all__ = [
    "BenchmarkFileError",
    "BenchmarkItem",
    "NgramHit",
    "NgramIndex",
    "load_benchmark_file",
    "load_humaneval",
    "normalize_tokens",
]
