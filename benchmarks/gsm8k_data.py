"""The GSM8K splits the benchmarks read, from the repository's own tests/data/gsm8k (Cobbe et
al. 2021, MIT License, LICENSE beside them), so a clone of the repository alone runs them."""

import gzip
import json
from pathlib import Path

GSM8K = Path(__file__).resolve().parents[1] / "tests" / "data" / "gsm8k"
TEST = GSM8K / "test.jsonl"  # a file a spec can name as a benchmark
TRAIN = GSM8K / "train.jsonl.gz"


def read_rows(path: Path = TRAIN) -> list[dict]:
    """The rows of a GSM8K JSONL file, gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def write_train_jsonl(folder: Path) -> Path:
    """The train split unpacked into folder/train.jsonl, for a spec's seed set to name."""
    path = folder / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in read_rows()), encoding="utf-8")
    return path
