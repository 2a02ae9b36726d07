"""Loads a pipeline spec file and fails early, naming the key and line, on anything wrong."""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from synth_assets.spec.builtins import BUILTIN_PREFIX, builtin_path, resolve_recipes
from synth_assets.spec.model import (
    BenchmarkSpec,
    PipelineSpec,
    RealSourceSpec,
    SeedSetSpec,
    revises_seed_draft,
)
from synth_assets.verify.registry import build_verifier

DEFAULT_SPEC_PATH = Path(__file__).resolve().parents[1] / "default_spec" / "pipeline.yaml"


class SpecError(ValueError):
    pass


@dataclass(frozen=True)
class LoadedSpec:
    spec: PipelineSpec
    path: Path
    spec_hash: str
    # Dotted key path -> the line it is written on, for messages naming the spec's line.
    key_lines: Mapping[str, int] = field(default_factory=dict, compare=False, hash=False)
    # False when the spec has problems and holds only the sections whose files can be checked.
    complete: bool = True

    def resolve(self, relative: str) -> Path:
        """A path written in the spec, relative to the spec file's folder."""
        if relative.startswith(BUILTIN_PREFIX):
            return builtin_path(relative)
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else (self.path.parent / candidate).resolve()

    def where(self, key: str) -> str:
        """`file:line` of a dotted key (or of its nearest written parent: built-ins and
        defaults are not written in the file)."""
        return f"{self.path}:{_nearest_line(key, self.key_lines)}"


def load_spec(path: Path | str) -> LoadedSpec:
    loaded, problems = read_spec(path)
    if problems:
        raise SpecError("invalid spec:\n" + "\n".join(problems))
    return loaded


def read_spec(path: Path | str) -> tuple[LoadedSpec, list[str]]:
    """The spec and every problem found in it, each as `file:line: key: message`. When the
    spec does not validate, the spec returned is not `complete`: it holds only the sections
    whose files can still be checked. A file that is not readable YAML raises SpecError."""
    path = Path(path).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: cannot read spec: {error}") from error
    try:
        raw = yaml.safe_load(text)
        key_lines, duplicates = _key_lines(yaml.compose(text))
    except yaml.YAMLError as error:
        raise SpecError(f"{path}: invalid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: a spec is a mapping of sections, got {type(raw).__name__}")
    problems = [f"{path}:{line}: {key}: duplicate key, also written on line {first} (YAML "
                f"would keep only the last)" for key, first, line in duplicates]
    raw, builtin_problems = resolve_recipes(raw)
    if builtin_problems:
        return (_partial_spec(path, raw, key_lines),
                problems + _located(path, builtin_problems, key_lines))
    try:
        spec = PipelineSpec.model_validate(raw)
    except ValidationError as error:
        return (_partial_spec(path, raw, key_lines),
                problems + _describe_validation_error(path, error, key_lines))
    loaded = LoadedSpec(spec=spec, path=path, spec_hash=_spec_hash(text, raw),
                        key_lines=key_lines)
    found = _reference_problems(spec) + _missing_attribute_files(loaded)
    return loaded, problems + _located(path, found, key_lines)


def _partial_spec(path: Path, raw: dict[str, Any], key_lines: dict[str, int]) -> LoadedSpec:
    """A spec holding only the seed sets, real sources and benchmarks that are valid on their
    own, so their files can be checked while the rest of the spec has problems."""
    sections: dict[str, Any] = {}
    for section, model in (("seed_sets", SeedSetSpec), ("real_sources", RealSourceSpec),
                           ("benchmarks", BenchmarkSpec)):
        entries = raw.get(section)
        valid: dict[str, Any] = {}
        for name, entry in (entries.items() if isinstance(entries, dict) else []):
            try:
                valid[str(name)] = model.model_validate(entry)
            except ValidationError:
                continue
        sections[section] = valid
    return LoadedSpec(spec=PipelineSpec.model_construct(teachers={}, recipes={}, **sections),
                      path=path, spec_hash="",
                      key_lines=key_lines, complete=False)


def _located(
    path: Path, problems: list[tuple[str, str]], key_lines: dict[str, int]
) -> list[str]:
    return [f"{path}:{_nearest_line(key, key_lines)}: {key}: {message}"
            for key, message in problems]


def _spec_hash(text: str, resolved: dict[str, Any]) -> str:
    """Of the file and of the built-ins it pulls in, so editing either changes the hash."""
    content = text + json.dumps(resolved, sort_keys=True, default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def _key_lines(
    node: yaml.Node | None, prefix: str = ""
) -> tuple[dict[str, int], list[tuple[str, int, int]]]:
    """Dotted key path -> 1-based line where that key is written, and the keys written twice
    in one mapping as (key, first line, repeated line)."""
    lines: dict[str, int] = {}
    duplicates: list[tuple[str, int, int]] = []
    children: list[tuple[str, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in lines:
                duplicates.append((key, lines[key], line))
            lines[key] = line
            children.append((key, value_node))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = f"{prefix}.{index}"
            lines[key] = item.start_mark.line + 1
            children.append((key, item))
    for key, child in children:
        child_lines, child_duplicates = _key_lines(child, key)
        lines.update(child_lines)
        duplicates += child_duplicates
    return lines, duplicates


def _describe_validation_error(
    path: Path, error: ValidationError, key_lines: dict[str, int]
) -> list[str]:
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        line = _nearest_line(key, key_lines)
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{path}:{line}: {key}: {message}")
    return lines


def _nearest_line(key: str, key_lines: dict[str, int]) -> int:
    parts = key.split(".")
    while parts:
        found = key_lines.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return 1


def _reference_problems(spec: PipelineSpec) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []

    def check(key: str, name: str, known: dict[str, Any], what: str) -> None:
        if name not in known:
            problems.append((key, f"unknown {what} {name!r} (known: {', '.join(sorted(known))})"))

    for recipe_name, recipe in spec.recipes.items():
        if recipe.seed_set is not None:
            check(f"recipes.{recipe_name}.seed_set", recipe.seed_set, spec.seed_sets, "seed set")
        else:
            check(f"recipes.{recipe_name}.seeds_from.recipe", recipe.seeds_from.recipe,
                  spec.recipes, "recipe")
        check(f"recipes.{recipe_name}.teacher", recipe.teacher, spec.teachers, "teacher")
        for index, verifier in enumerate(recipe.verifiers):
            check(f"recipes.{recipe_name}.verifiers.{index}", verifier, spec.verifiers, "verifier")
    for verifier_name, verifier in spec.verifiers.items():
        key = f"verifiers.{verifier_name}.options"
        try:
            build_verifier(verifier.type, verifier.options)
        except ValueError as error:
            problems.append((key, str(error)))
        if verifier.type == "llm_judge" and isinstance(verifier.options.get("teacher"), str):
            check(f"{key}.teacher", verifier.options["teacher"], spec.teachers, "teacher")
    judge = spec.contamination.llm_judge
    if judge.enabled and judge.teacher:
        check("contamination.llm_judge.teacher", judge.teacher, spec.teachers, "teacher")
    for mixture_name, mixture in spec.mixtures.items():
        for component_name, component in mixture.components.items():
            key = f"mixtures.{mixture_name}.components.{component_name}"
            for index, recipe in enumerate(component.recipes):
                check(f"{key}.recipes.{index}", recipe, spec.recipes, "recipe")
            for index, source in enumerate(component.real_sources):
                check(f"{key}.real_sources.{index}", source, spec.real_sources, "real source")
    problems += _preference_set_problems(spec)
    if not problems:
        problems += _round_cycles(spec)
    return problems


def _preference_set_problems(spec: PipelineSpec) -> list[tuple[str, str]]:
    problems = []
    for name, preference_set in spec.preference_sets.items():
        key = f"preference_sets.{name}"
        if name in spec.mixtures:
            problems.append((key, f"{name!r} is also a mixture: both would export to the "
                                  "folder of that name"))
        known = [r for r in preference_set.recipes if r in spec.recipes]
        problems += [(f"{key}.recipes.{index}",
                      f"unknown recipe {recipe!r} (known: {', '.join(sorted(spec.recipes))})")
                     for index, recipe in enumerate(preference_set.recipes)
                     if recipe not in spec.recipes]
        score = preference_set.score_pairs
        if score is not None and not any(score.verifier in spec.recipes[r].verifiers
                                          for r in known):
            problems.append((f"{key}.score_pairs.verifier",
                             f"verifier {score.verifier!r} judges none of the set's recipes"))
        if preference_set.revision_pairs is not None and known \
                and not any(revises_seed_draft(spec.recipes[r]) for r in known):
            problems.append((f"{key}.revision_pairs",
                             "none of the set's recipes revises a draft: revision pairs need a "
                             "recipe whose seeds hold a draft `response` and whose record's "
                             "`response` is the revision (like the built-in constitutional)"))
    return problems


def _round_cycles(spec: PipelineSpec) -> list[tuple[str, str]]:
    """Recipes whose chain of `seeds_from` comes back to themselves."""
    problems = []
    for name in spec.recipes:
        seen, current = [name], spec.recipes[name].seeds_from
        while current is not None:
            if current.recipe in seen:
                chain = " -> ".join([*seen, current.recipe])
                problems.append((f"recipes.{name}.seeds_from", f"rounds form a cycle: {chain}"))
                break
            seen.append(current.recipe)
            current = spec.recipes[current.recipe].seeds_from
    return problems


def _missing_attribute_files(loaded: LoadedSpec) -> list[tuple[str, str]]:
    return [
        (f"recipes.{recipe_name}.attributes.{name}.file",
         f"no such file: {loaded.resolve(attribute.file)}")
        for recipe_name, recipe in loaded.spec.recipes.items()
        for name, attribute in recipe.attributes.items()
        if attribute.file is not None and not loaded.resolve(attribute.file).is_file()
    ]
