"""Real (human-written) records that mixtures blend back in with synthetic data: read from a
local JSONL or Parquet file, a folder written by `datasets.Dataset.save_to_disk`, or a Hugging
Face Hub dataset (the last two need the optional `datasets` package)."""

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from synth_assets.jsonl import InputFileError, iter_jsonl, require_text_fields
from synth_assets.lineage.ids import content_id
from synth_assets.spec.model import RealSourceSpec

DOMAINS = ("math", "code", "general")
PARQUET_BATCH_ROWS = 10_000


def load_real_source(
    name: str, source: RealSourceSpec, resolve: Callable[[str], Path]
) -> Iterator[dict[str, Any]]:
    """The source's rows as `real_records` rows, streamed; a bad row raises, naming the file
    (or dataset) and the row."""
    location, rows = _raw_rows(source, resolve)
    required = [source.instruction_field, source.response_field]
    required += [] if source.domain else ["domain"]
    required += [] if source.license else ["license"]
    count = 0
    for line, row in rows:
        if source.limit is not None and count >= source.limit:
            break
        require_text_fields(location, line, row, required)
        domain = source.domain or row["domain"]
        if domain not in DOMAINS:
            raise InputFileError(location, line, f"domain must be one of {DOMAINS}, "
                                                 f"got {domain!r}")
        instruction, response = row[source.instruction_field], row[source.response_field]
        count += 1
        yield {
            "real_id": content_id("real", name, instruction, response),
            "source": name,
            "domain": domain,
            "instruction": instruction,
            "response": response,
            "license": source.license or row["license"],
            "source_file": str(location),
            "source_line": line,
        }
    if not count:
        raise InputFileError(location, None, "no rows")


def _raw_rows(
    source: RealSourceSpec, resolve: Callable[[str], Path]
) -> tuple[Path, Iterable[tuple[int, dict[str, Any]]]]:
    if source.hf_dataset is not None:
        location = Path(f"hf://{source.hf_dataset}/{source.split}")
        return location, _numbered(_hub_dataset(source.hf_dataset, source.split))
    path = resolve(source.path or "")
    if path.is_dir():
        return path, _numbered(_saved_dataset(path, source.split))
    if path.suffix == ".parquet":
        return path, _numbered(_parquet_rows(path))
    return path, iter_jsonl(path, [])


def _numbered(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    return enumerate(rows, start=1)


def _parquet_rows(path: Path) -> Iterator[dict[str, Any]]:
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, ValueError) as error:
        raise InputFileError(path, None, f"cannot read Parquet: {error}") from error
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
        yield from batch.to_pylist()


def _datasets_module(location: str) -> Any:
    try:
        import datasets
    except ImportError as error:
        raise InputFileError(Path(location), None, "reading a Hugging Face dataset needs the "
                             "`datasets` package: pip install datasets") from error
    return datasets


def _saved_dataset(path: Path, split: str) -> Iterable[dict[str, Any]]:
    """A folder written by save_to_disk: a Dataset, or a DatasetDict from which `split` is read."""
    datasets = _datasets_module(str(path))
    try:
        loaded = datasets.load_from_disk(str(path))
    except FileNotFoundError as error:
        raise InputFileError(path, None, f"not a saved dataset folder: {error}") from error
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise InputFileError(path, None, f"no split {split!r} (splits: {sorted(loaded)})")
        loaded = loaded[split]
    return loaded


def _hub_dataset(name: str, split: str) -> Iterable[dict[str, Any]]:
    """Streams a Hub dataset (needs network access to the Hugging Face Hub)."""
    return _datasets_module(f"hf://{name}").load_dataset(name, split=split, streaming=True)
