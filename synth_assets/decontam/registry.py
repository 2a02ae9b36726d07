"""The spec's benchmark registry: each named benchmark's items, wherever they come from."""

from collections.abc import Callable
from pathlib import Path

from synth_assets.decontam.items import BenchmarkItem
from synth_assets.decontam.loaders import load_benchmark_file, load_huggingface, load_humaneval
from synth_assets.spec.model import BenchmarkSpec


def load_benchmark(
    name: str, spec: BenchmarkSpec, resolve: Callable[[str], Path]
) -> list[BenchmarkItem]:
    """Items of one benchmark; resolve turns a path written in the spec into a real one."""
    if spec.type == "humaneval":
        return load_humaneval(name)
    if spec.type == "file":
        return load_benchmark_file(name, resolve(spec.path), spec.question_field, spec.answer_field)
    return load_huggingface(
        name, spec.question_field, spec.answer_field, dataset=spec.dataset,
        saved_path=resolve(spec.path) if spec.path else None, config=spec.config,
        split=spec.split, revision=spec.revision,
    )
