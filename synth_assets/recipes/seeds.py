"""Seed records: the validated rows of one seed set, with content-derived ids."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synth_assets.jsonl import InputFileError, empty_file_error, iter_jsonl
from synth_assets.lineage.ids import content_id

# A math seed's `answer` is optional: without one, math verifiers judge by self-consistency.
REQUIRED_FIELDS = {
    "math": ("question",),
    "code": ("prompt", "entry_point", "tests"),
    "instruction": ("instruction",),
    "document": ("title", "text"),
}
# The field holding a seed's task (seed_task); SQL reads this map as the `task_fields` table.
TASK_FIELD = {"math": "question", "code": "prompt", "instruction": "instruction",
              "document": "title"}


def seed_task(kind: str, payload: str | dict[str, Any]) -> str:
    """A seed's task: the user turn of the records made from it, unless their recipe renders
    its own `instruction` (records.user_turn)."""
    fields = json.loads(payload) if isinstance(payload, str) else payload
    return fields[TASK_FIELD[kind]]


@dataclass(frozen=True)
class SeedRecord:
    seed_id: str
    seed_set: str
    kind: str
    payload: dict[str, Any]
    source_file: str
    source_line: int

    @property
    def task(self) -> str:
        return seed_task(self.kind, self.payload)


def missing_required_fields(kind: str, payload: dict[str, Any]) -> list[str]:
    """The fields a seed of this kind needs that the payload lacks or leaves empty."""
    return [name for name in REQUIRED_FIELDS[kind] if not payload.get(name)]


def seed_rows(
    path: Path, kind: str, on_error: Callable[[InputFileError], None] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, payload) of every seed of a file, validated for its kind (JSON objects, UTF-8,
    required fields), read as the caller goes. A bad line, or a file without a seed, raises
    InputFileError; with `on_error`, the problem goes there and the reading goes on."""
    problems = rows = 0

    def report(problem: InputFileError) -> None:
        nonlocal problems
        problems += 1
        if on_error is None:
            raise problem
        on_error(problem)

    for row in iter_jsonl(path, REQUIRED_FIELDS[kind], report):
        rows += 1
        yield row
    if not rows and not problems:
        report(empty_file_error(path))


def load_seed_set(seed_set: str, path: Path, kind: str) -> list[SeedRecord]:
    """Every seed of the file, or InputFileError naming the first bad line."""
    return [
        SeedRecord(
            seed_id=content_id("seed", seed_set, kind, payload),
            seed_set=seed_set,
            kind=kind,
            payload=payload,
            source_file=str(path),
            source_line=line,
        )
        for line, payload in seed_rows(path, kind)
    ]
