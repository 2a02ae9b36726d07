"""Strict JSON Lines reading: every problem names the file and the line."""

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any


class InputFileError(ValueError):
    """A file that cannot be used; the message names the file and, if known, the line (or the
    row, for tabular files: unit="row")."""

    def __init__(self, path: Path, line: int | None, message: str, unit: str = "line") -> None:
        if line is None:
            where = str(path)
        else:
            where = f"{path}:{line}" if unit == "line" else f"{path}, {unit} {line}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


def read_jsonl(path: Path, required_fields: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; the whole file or nothing."""
    rows = list(iter_jsonl(path, required_fields))
    if not rows:
        raise InputFileError(path, None, "no rows: the file is empty")
    return rows


def iter_jsonl(path: Path, required_fields: Sequence[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line, read as the caller goes."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputFileError(path, None, f"cannot read file: {error.strerror}") from error
    with handle:
        for line_number, raw_line in enumerate(handle, start=1):
            try:
                line = raw_line.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InputFileError(path, line_number,
                                     f"invalid UTF-8 ({error.reason})") from None
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputFileError(path, line_number, f"invalid JSON: {error.msg}") from None
            if not isinstance(value, dict):
                raise InputFileError(path, line_number, "each line must be a JSON object")
            require_text_fields(path, line_number, value, required_fields)
            yield line_number, value


def require_text_fields(
    path: Path, line: int, value: dict[str, Any], required_fields: Sequence[str]
) -> None:
    """Every required field is present and holds non-empty text, else an error naming the row."""
    missing = [field for field in required_fields if field not in value]
    if missing:
        raise InputFileError(path, line, f"missing required field(s): {missing}")
    empty = [f for f in required_fields if not isinstance(value[f], str) or not value[f].strip()]
    if empty:
        raise InputFileError(path, line, f"field(s) must be non-empty text: {empty}")
