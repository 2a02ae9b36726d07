"""Strict JSON Lines reading: every problem names the file and the line."""

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

UTF16_BYTE_ORDER_MARKS = (b"\xff\xfe", b"\xfe\xff")


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
        raise empty_file_error(path)
    return rows


def empty_file_error(path: Path) -> InputFileError:
    return InputFileError(path, None, "no rows: the file is empty")


def iter_jsonl(
    path: Path, required_fields: Sequence[str],
    on_error: Callable[[InputFileError], None] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line, read as the caller goes. A problem
    raises InputFileError; with `on_error`, it goes there instead and the line is skipped (so
    one pass reports every bad line)."""
    try:
        handle = path.open("rb")
    except OSError as error:
        problem = InputFileError(path, None, f"cannot read file: {error.strerror}")
        if on_error is None:
            raise problem from error
        on_error(problem)
        return
    with handle:
        if handle.peek(2)[:2] in UTF16_BYTE_ORDER_MARKS:
            problem = InputFileError(path, None, "the file is UTF-16 text (it starts with a "
                                     "UTF-16 byte order mark): save it as UTF-8")
            if on_error is None:
                raise problem
            on_error(problem)
            return
        for line_number, raw_line in enumerate(handle, start=1):
            try:
                value = _parse_line(path, line_number, raw_line, required_fields)
            except InputFileError as problem:
                if on_error is None:
                    raise
                on_error(problem)
                continue
            if value is not None:
                yield line_number, value


def _parse_line(
    path: Path, line_number: int, raw_line: bytes, required_fields: Sequence[str]
) -> dict[str, Any] | None:
    """The line's object; None for a blank line."""
    try:
        # A UTF-8 byte order mark (as some Windows editors write) is not part of the first row.
        line = raw_line.decode("utf-8-sig" if line_number == 1 else "utf-8")
    except UnicodeDecodeError as error:
        raise InputFileError(path, line_number, f"invalid UTF-8 ({error.reason})") from None
    if "\x00" in line:
        raise InputFileError(path, line_number, "NUL bytes: the file looks like UTF-16 or "
                             "binary, not UTF-8 text")
    if not line.strip():
        return None
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise InputFileError(path, line_number, f"invalid JSON: {error.msg}") from None
    if not isinstance(value, dict):
        raise InputFileError(path, line_number, "each line must be a JSON object")
    require_text_fields(path, line_number, value, required_fields)
    return value


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
