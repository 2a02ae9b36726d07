"""Everything about a pipeline that can be known without the teacher, checked in one pass and
reported together, so a user fixes every mistake at once and no teacher call is paid for a
pipeline that cannot finish: the spec itself (spec.load), every seed file (read by the same
code the seed_sets stage uses), every template compiled and rendered against the seeds it will
see, with the attributes it will draw, and the records its answers will give (which are the
seeds of a `seeds_from` round), attribute files, real sources and benchmark files.

Templates are rendered once per distinct shape of seed (field names, value types and which
values are empty) and attribute value, not once per seed: a seed file is streamed once, and
the renders do not grow with its length. Hub datasets (real sources and benchmarks that name
one) are not fetched here; they are read when the stage that needs them runs.
"""

import copy
import functools
import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synth_assets.decontam.loaders import BenchmarkSourceError
from synth_assets.decontam.registry import load_benchmark
from synth_assets.file_hashes import file_digest
from synth_assets.jsonl import InputFileError
from synth_assets.mix.real_sources import load_real_source
from synth_assets.recipes.attributes import (
    AttributeValuesError,
    attribute_values,
    drawable_values,
)
from synth_assets.recipes.parsers import build_parser
from synth_assets.recipes.records import example_record, record_fields
from synth_assets.recipes.render import TemplateError, compile_template, render_messages
from synth_assets.recipes.seeds import SeedRecord, missing_required_fields, seed_rows
from synth_assets.spec import LoadedSpec, SpecError, read_spec

# Bad lines reported per file; the rest are counted. A file in the wrong encoding has every
# line wrong, and the first few say what the matter is.
MAX_PROBLEMS_PER_FILE = 5
# Attribute draws rendered per seed shape: every combination of distinct value shapes, up to this.
MAX_ATTRIBUTE_COMBINATIONS = 256
MAX_VALUE_CHARS = 80    # of an attribute value quoted in a message


@dataclass
class SpecCheck:
    path: Path
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        """Every problem, one a line, under a header saying nothing was run."""
        count = len(self.problems)
        header = (f"{self.path}: {count} problem{'s' if count > 1 else ''} found before any "
                  "teacher call (nothing was run):")
        return "\n".join([header, *(f"  {problem}" for problem in self.problems)])


def check_spec_file(path: Path | str) -> tuple[LoadedSpec, SpecCheck]:
    """The spec and every problem of it and of its inputs. When the spec has problems of its
    own, the files of its valid seed sets, real sources and benchmarks are still checked. A
    file that is not readable YAML raises SpecError."""
    loaded, problems = read_spec(path)
    return loaded, SpecCheck(loaded.path, problems + check_inputs(loaded))


def require_valid_inputs(loaded: LoadedSpec) -> None:
    """SpecError with the whole report when any input of a valid spec has a problem."""
    problems = check_inputs(loaded)
    if problems:
        raise SpecError(SpecCheck(loaded.path, problems).report())


def check_inputs(loaded: LoadedSpec) -> list[str]:
    """Problems of the files a spec reads and of its templates over their seeds (templates
    only when the spec is `complete`)."""
    problems: list[str] = []
    seed_shapes = {name: _scan_seed_set(loaded, name, problems)
                   for name in loaded.spec.seed_sets}
    if loaded.complete:
        broken_files = _check_attribute_files(loaded, problems)
        _check_recipes(loaded, seed_shapes, broken_files, problems)
    _check_real_sources(loaded, problems)
    _check_benchmarks(loaded, problems)
    return problems


@dataclass
class SeedShape:
    """Seeds that look alike to a template: the first of them, and how many there are."""

    first: SeedRecord
    count: int = 1


@dataclass
class SeedShapes:
    shapes: dict[Any, SeedShape] = field(default_factory=dict)
    origin: str = ""    # where these seeds come from, for messages

    def add(self, seed: SeedRecord, count: int = 1) -> None:
        key = value_shape(seed.payload)
        if key in self.shapes:
            self.shapes[key].count += count
        else:
            self.shapes[key] = SeedShape(seed, count)

    @property
    def total(self) -> int:
        return sum(shape.count for shape in self.shapes.values())


def value_shape(value: Any) -> Any:
    """What a template can tell apart: the keys of mappings, the element shapes of lists, the
    type of other values and whether they are empty."""
    if isinstance(value, dict):
        return "dict", frozenset((key, value_shape(item)) for key, item in value.items())
    if isinstance(value, list):
        return "list", bool(value), frozenset(value_shape(item) for item in value)
    return type(value).__name__, bool(value)


class _FileProblems:
    """Collects a file's problems, keeping the first MAX_PROBLEMS_PER_FILE."""

    def __init__(self, problems: list[str], context: str) -> None:
        self.problems, self.context, self.count = problems, context, 0

    def __call__(self, error: InputFileError) -> None:
        self.count += 1
        if self.count <= MAX_PROBLEMS_PER_FILE:
            self.problems.append(f"{error} ({self.context})")

    def close(self, path: Path) -> None:
        if self.count > MAX_PROBLEMS_PER_FILE:
            self.problems.append(f"{path}: {self.count - MAX_PROBLEMS_PER_FILE} more bad lines "
                                 f"not shown ({self.context})")


def _scan_seed_set(loaded: LoadedSpec, name: str, problems: list[str]) -> SeedShapes:
    """Validates the whole file; shapes of the seeds the recipes will see (`limit` first)."""
    seed_set = loaded.spec.seed_sets[name]
    path = loaded.resolve(seed_set.path)
    shapes, found = _scanned_seed_file(
        name, path, seed_set.kind, seed_set.limit,
        f"seed set {name!r}, {loaded.where(f'seed_sets.{name}.path')}", file_digest(path))
    problems.extend(found)
    return copy.deepcopy(shapes)


@functools.lru_cache(maxsize=8)
def _scanned_seed_file(name: str, path: Path, kind: str, limit: int | None, context: str,
                       digest: str) -> tuple[SeedShapes, tuple[str, ...]]:
    """Scanned once per process for the same bytes (`digest`, read just before): seed_sets
    checks every input again in each generation run of `synth run`."""
    found: list[str] = []
    file_problems = _FileProblems(found, context)
    shapes = SeedShapes(origin=f"seed set {name!r}")
    used = 0
    for line, payload in seed_rows(path, kind, file_problems):
        if limit is None or used < limit:
            used += 1
            shapes.add(SeedRecord(seed_id="", seed_set=name, kind=kind, payload=payload,
                                  source_file=str(path), source_line=line))
    file_problems.close(path)
    return shapes, tuple(found)


def _check_attribute_files(loaded: LoadedSpec, problems: list[str]) -> set[Path]:
    """Each file once; a missing file is already a spec problem (spec.load). Returns the
    files that cannot be used, missing ones included."""
    seen: set[Path] = set()
    broken: set[Path] = set()
    for recipe_name, recipe in loaded.spec.recipes.items():
        for name, attribute in recipe.attributes.items():
            if attribute.file is None:
                continue
            path = loaded.resolve(attribute.file)
            if path in seen:
                continue
            seen.add(path)
            if not path.is_file():
                broken.add(path)
                continue
            key = f"recipes.{recipe_name}.attributes.{name}.file"
            try:
                attribute_values(loaded, attribute, _NO_SEED)
            except AttributeValuesError as error:
                problems.append(f"{error} ({loaded.where(key)}: {key})")
                broken.add(path)
    return broken


# Attributes from a list or a file do not depend on the seed.
_NO_SEED = SeedRecord("", "", "", {}, "", 0)


@dataclass
class _Failures:
    """One recipe's render failures: per (spec key, message), the seed shapes it failed on
    (the first first) and the first attributes drawn with it."""

    found: dict[tuple[str, str], tuple[list[SeedShape], dict[str, Any]]] = field(
        default_factory=dict)

    def add(self, key: str, message: str, shape: SeedShape,
            attributes: dict[str, Any] | None = None) -> None:
        shapes, _ = self.found.setdefault((key, message), ([], attributes or {}))
        if not any(seen is shape for seen in shapes):
            shapes.append(shape)


def _check_recipes(
    loaded: LoadedSpec, seed_shapes: dict[str, SeedShapes], broken_files: set[Path],
    problems: list[str],
) -> None:
    """Round by round: a recipe's records are the seeds of the recipes reading it. A recipe
    drawing from a broken attribute file is not rendered (the file is reported)."""
    spec = loaded.spec
    pending = [(name, seed_shapes[r.seed_set]) for name, r in spec.recipes.items()
               if r.seed_set in seed_shapes]
    while pending:
        name, seeds = pending.pop(0)
        files = {loaded.resolve(a.file) for a in spec.recipes[name].attributes.values() if a.file}
        if files & broken_files:
            continue
        records = _check_recipe(loaded, name, seeds, problems)
        if records is None:
            continue
        for child, recipe in spec.recipes.items():
            if recipe.seeds_from is not None and recipe.seeds_from.recipe == name:
                derived = _round_seeds(loaded, child, records, problems)
                if derived is not None:
                    pending.append((child, derived))


def _check_recipe(
    loaded: LoadedSpec, name: str, seeds: SeedShapes, problems: list[str]
) -> SeedShapes | None:
    """Problems of the recipe's parser and templates over `seeds`; the records its answers
    will give (None when the parser or a template cannot be built)."""
    recipe = loaded.spec.recipes[name]
    templates = {f"recipes.{name}.template": recipe.template,
                 **{f"recipes.{name}.record.{key}": text for key, text in recipe.record.items()}}
    broken = False
    try:
        build_parser(recipe.parser)
    except ValueError as error:
        key = f"recipes.{name}.parser"
        problems.append(f"{loaded.where(key)}: {key}: {error}")
        broken = True
    for key, source in templates.items():
        try:
            compile_template(source, key)
        except TemplateError as error:
            problems.append(f"{loaded.where(key)}: {key}: template syntax error on its line "
                            f"{error.template_line}: {error.reason}")
            broken = True
    if broken:
        return None
    failures = _Failures()
    records = SeedShapes(origin=f"records of recipe {name!r}")
    for shape in seeds.shapes.values():
        seed = shape.first
        try:
            draws = _attribute_draws(loaded, name, seed)
        except AttributeValuesError as error:
            failures.add(f"recipes.{name}.attributes", error.reason, shape)
            continue
        for attributes in draws:
            try:
                render_messages(name, recipe, seed, attributes)
            except TemplateError as error:
                failures.add(f"recipes.{name}.template", error.reason, shape, attributes)
                continue
            try:
                outcome = example_record(name, recipe, seed, attributes)
            except TemplateError as error:
                failures.add(f"recipes.{name}.record", str(error), shape, attributes)
                continue
            if outcome.fields is None:
                failures.add(f"recipes.{name}.parser",
                             f"the parser rejects its own example answer: {outcome.parse_error}",
                             shape)
                continue
            records.add(SeedRecord("", f"recipe:{name}", seed.kind,
                                   record_fields(seed.payload, outcome.fields),
                                   records.origin, 0), shape.count)
    for (key, message), (shapes, attributes) in failures.found.items():
        problems.append(f"{loaded.where(key)}: {key}: {message}, "
                        f"{_failing_seeds(shapes, seeds)}{_drawn(attributes)}")
    return records


def _drawn(attributes: dict[str, Any]) -> str:
    if not attributes:
        return ""
    drawn = ", ".join(f"{name}={value!r}"[:MAX_VALUE_CHARS] for name, value in attributes.items())
    return f", with attributes {drawn}"


def _failing_seeds(shapes: list[SeedShape], seeds: SeedShapes) -> str:
    """Which seeds a template fails on: the first one's line and fields, and how many."""
    first = shapes[0].first
    fields = ", ".join(sorted(first.payload)) or "none"
    count = sum(shape.count for shape in shapes)
    if first.source_line:
        return (f"on {count} of {seeds.total} seeds, the first {first.source_file}:"
                f"{first.source_line} (fields: {fields})")
    return f"on its seeds, the {seeds.origin} (fields: {fields})"


def _attribute_draws(loaded: LoadedSpec, name: str, seed: SeedRecord) -> list[dict[str, Any]]:
    """Attributes covering every shape of value each attribute can draw for this seed."""
    recipe = loaded.spec.recipes[name]
    choices: list[list[tuple[str, Any]]] = []
    for attribute_name in sorted(recipe.attributes):
        pick = recipe.attributes[attribute_name].pick
        values = drawable_values(loaded, name, attribute_name, seed)
        distinct = {value_shape(value): value for value in reversed(values)}.values()
        choices.append([(attribute_name, value if pick == 1 else [value] * pick)
                        for value in distinct])
    combinations = itertools.islice(itertools.product(*choices), MAX_ATTRIBUTE_COMBINATIONS)
    return [dict(combination) for combination in combinations]


def _round_seeds(
    loaded: LoadedSpec, name: str, records: SeedShapes, problems: list[str]
) -> SeedShapes | None:
    """The parent's records as this recipe's seeds, or None when they lack a required field."""
    source = loaded.spec.recipes[name].seeds_from
    seeds = SeedShapes(origin=records.origin)
    missing: Counter[str] = Counter()
    for shape in records.shapes.values():
        kind = source.kind or shape.first.kind
        lacking = missing_required_fields(kind, shape.first.payload)
        if lacking:
            missing[f"{kind} seeds need {', '.join(lacking)}; the records have "
                    f"{', '.join(sorted(shape.first.payload))}"] += shape.count
            continue
        seeds.add(SeedRecord("", shape.first.seed_set, kind, shape.first.payload,
                             records.origin, 0), shape.count)
    key = f"recipes.{name}.seeds_from"
    for message in missing:
        problems.append(f"{loaded.where(key)}: {key}: reads {records.origin} but {message}: "
                        "set seeds_from.kind or add record fields to that recipe")
    return None if missing else seeds


def _check_real_sources(loaded: LoadedSpec, problems: list[str]) -> None:
    for name, source in loaded.spec.real_sources.items():
        if source.hf_dataset is not None:
            continue
        key = f"real_sources.{name}"
        try:
            _drain(load_real_source(name, source, loaded.resolve))
        except InputFileError as error:
            problems.append(f"{error} (real source {name!r}, {loaded.where(key)})")


def _check_benchmarks(loaded: LoadedSpec, problems: list[str]) -> None:
    for name, benchmark in loaded.spec.benchmarks.items():
        if benchmark.type == "huggingface" and benchmark.dataset is not None:
            continue
        key = f"benchmarks.{name}"
        try:
            load_benchmark(name, benchmark, loaded.resolve)
        except (InputFileError, BenchmarkSourceError) as error:
            problems.append(f"{error} (benchmark {name!r}, {loaded.where(key)})")


def _drain(rows: Iterable[Any]) -> None:
    for _ in rows:
        pass
