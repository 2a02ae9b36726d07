"""The contamination index: the spec's benchmark items with every enabled detector built over
them, and the fingerprint of everything a verdict depends on (items, detectors, thresholds and
the judge, if one is configured). Costly item-side data (embeddings, calibration, MinHash
signatures) is cached in a folder beside the store, so a second run reuses it."""

import os
from pathlib import Path

from synth_assets.decontam.detectors import DetectorSuite
from synth_assets.decontam.index_cache import ArrayCache
from synth_assets.decontam.items import BenchmarkItem, items_fingerprint
from synth_assets.decontam.registry import load_benchmark
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec

INDEX_FOLDER = "benchmark_indexes"  # beside the DuckDB file: reusable item-side detector data


def load_benchmarks(loaded: LoadedSpec) -> list[BenchmarkItem]:
    return [item for name, benchmark in loaded.spec.benchmarks.items()
            for item in load_benchmark(name, benchmark, loaded.resolve)]


def index_dir(store: LineageStore) -> Path:
    """SYNTH_INDEX_DIR if set (several stores can share one), else beside the DuckDB file."""
    return Path(os.environ.get("SYNTH_INDEX_DIR") or store.path.parent / INDEX_FOLDER)


def build_detectors(store: LineageStore, loaded: LoadedSpec) -> DetectorSuite:
    cache = ArrayCache(index_dir(store))
    return DetectorSuite(load_benchmarks(loaded), loaded.spec.contamination, cache)


def index_fingerprint(suite: DetectorSuite, loaded: LoadedSpec) -> str:
    """The detectors' fingerprint plus the judge's settings and model when a judge is on: a
    verdict stored under it holds as long as none of them changes."""
    judge = loaded.spec.contamination.llm_judge
    judge_teacher = loaded.spec.teachers[judge.teacher] if judge.enabled else None
    return items_fingerprint(
        (), suite.fingerprint,
        [judge.model_dump(mode="json"), judge_teacher.model] if judge_teacher else None,
    )


def index_reused(suite: DetectorSuite) -> bool:
    """Whether no item-side array had to be built: each was read from the cache, or the suite
    was never needed (nothing new to scan)."""
    return all(suite.cache.reused.values())
