"""Shared fixtures: a temporary Dagster home, lineage store and spec for each test."""

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from synth_assets.runs.home import INSTANCE_YAML

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

# postgres_server / postgres_url: a real PostgreSQL for the tests that run on both engines.
pytest_plugins = ["tests.postgres_fixture"]

# GSM8K (MIT, openai/grade-school-math): the whole test split as the file a spec can name, the
# train split gzipped.
GSM8K_DIR = Path(__file__).resolve().parent / "data" / "gsm8k"
GSM8K_TEST = GSM8K_DIR / "test.jsonl"


def gsm8k_rows(split: str) -> list[dict]:
    """Every row of a GSM8K split ("train" or "test"), in file order."""
    if split == "test":
        lines = GSM8K_TEST.read_text(encoding="utf-8").splitlines()
    else:
        with gzip.open(GSM8K_DIR / f"{split}.jsonl.gz", "rt", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    return [json.loads(line) for line in lines]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary DAGSTER_HOME with the shipped dagster.yaml, plus SYNTH_DB and exports in it."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML.read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("SYNTH_DB", str(home / "synth.duckdb"))
    monkeypatch.setenv("SYNTH_EXPORT_DIR", str(home / "exports"))
    yield home


@pytest.fixture(scope="session", autouse=True)
def shared_benchmark_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One benchmark index folder for the whole session: GSM8K test's embeddings are computed
    once, not once per test (a user gets the same reuse from one store folder)."""
    folder = tmp_path_factory.mktemp("benchmark_indexes")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNTH_INDEX_DIR", str(folder))
        yield folder
