"""Loads a pipeline spec file and fails early, naming the key and line, on anything wrong."""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from synth_assets.spec.model import PipelineSpec

DEFAULT_SPEC_PATH = Path(__file__).resolve().parents[1] / "default_spec" / "pipeline.yaml"


class SpecError(ValueError):
    pass


@dataclass(frozen=True)
class LoadedSpec:
    spec: PipelineSpec
    path: Path
    spec_hash: str

    def resolve(self, relative: str) -> Path:
        """A path written in the spec, relative to the spec file's folder."""
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else (self.path.parent / candidate).resolve()


def load_spec(path: Path | str) -> LoadedSpec:
    path = Path(path).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: cannot read spec: {error}") from error
    try:
        raw = yaml.safe_load(text)
        key_lines = _key_lines(yaml.compose(text))
    except yaml.YAMLError as error:
        raise SpecError(f"{path}: invalid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: a spec is a mapping of sections, got {type(raw).__name__}")
    try:
        spec = PipelineSpec.model_validate(raw)
    except ValidationError as error:
        raise SpecError(_describe_validation_error(path, error, key_lines)) from None
    problems = _reference_problems(spec)
    if problems:
        lines = [f"{path}:{key_lines.get(key, 1)}: {key}: {message}" for key, message in problems]
        raise SpecError("invalid spec:\n" + "\n".join(lines))
    return LoadedSpec(spec=spec, path=path, spec_hash=hashlib.sha256(text.encode()).hexdigest())


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """Dotted key path -> 1-based line where that key is written."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            lines[key] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = f"{prefix}.{index}"
            lines[key] = item.start_mark.line + 1
            lines.update(_key_lines(item, key))
    return lines


def _describe_validation_error(
    path: Path, error: ValidationError, key_lines: dict[str, int]
) -> str:
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        line = _nearest_line(key, key_lines)
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{path}:{line}: {key}: {message}")
    return "invalid spec:\n" + "\n".join(lines)


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
        check(f"recipes.{recipe_name}.seed_set", recipe.seed_set, spec.seed_sets, "seed set")
        check(f"recipes.{recipe_name}.teacher", recipe.teacher, spec.teachers, "teacher")
        for index, verifier in enumerate(recipe.verifiers):
            check(f"recipes.{recipe_name}.verifiers.{index}", verifier, spec.verifiers, "verifier")
    judge = spec.contamination.llm_judge
    if judge.enabled and judge.teacher:
        check("contamination.llm_judge.teacher", judge.teacher, spec.teachers, "teacher")
    for mixture_name, mixture in spec.mixtures.items():
        for index, recipe in enumerate(mixture.recipes):
            check(f"mixtures.{mixture_name}.recipes.{index}", recipe, spec.recipes, "recipe")
        for index, source in enumerate(mixture.real_sources):
            check(
                f"mixtures.{mixture_name}.real_sources.{index}", source, spec.real_sources,
                "real source",
            )
    return problems
