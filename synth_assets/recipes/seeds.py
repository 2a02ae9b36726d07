"""Seed records: the validated rows of one seed set, with content-derived ids."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synth_assets.jsonl import read_jsonl
from synth_assets.lineage.ids import content_id

# A math seed's `answer` is optional: without one, math verifiers judge by self-consistency.
REQUIRED_FIELDS = {
    "math": ("question",),
    "code": ("prompt", "entry_point", "tests"),
    "instruction": ("instruction",),
    "document": ("title", "text"),
}
# The field holding the task a trained model will see as the user turn.
TASK_FIELD = {"math": "question", "code": "prompt", "instruction": "instruction",
              "document": "title"}


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
        return self.payload[TASK_FIELD[self.kind]]


def load_seed_set(seed_set: str, path: Path, kind: str) -> list[SeedRecord]:
    return [
        SeedRecord(
            seed_id=content_id("seed", seed_set, kind, payload),
            seed_set=seed_set,
            kind=kind,
            payload=payload,
            source_file=str(path),
            source_line=line,
        )
        for line, payload in read_jsonl(path, REQUIRED_FIELDS[kind])
    ]
