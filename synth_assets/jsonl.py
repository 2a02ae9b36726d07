"""Strict JSON Lines reading: every problem names the file and the line."""

import json
from collections.abc import Sequence
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
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputFileError(path, None, f"cannot read file: {error.strerror}") from error
    rows: list[tuple[int, dict[str, Any]]] = []
    for line_number, raw_line in enumerate(raw.split(b"\n"), start=1):
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputFileError(path, line_number, f"invalid UTF-8 ({error.reason})") from None
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputFileError(path, line_number, f"invalid JSON: {error.msg}") from None
        if not isinstance(value, dict):
            raise InputFileError(path, line_number, "each line must be a JSON object")
        missing = [field for field in required_fields if field not in value]
        if missing:
            raise InputFileError(path, line_number, f"missing required field(s): {missing}")
        empty = [
            f for f in required_fields if not isinstance(value[f], str) or not value[f].strip()
        ]
        if empty:
            raise InputFileError(path, line_number, f"field(s) must be non-empty text: {empty}")
        rows.append((line_number, value))
    if not rows:
        raise InputFileError(path, None, "no rows: the file is empty")
    return rows
