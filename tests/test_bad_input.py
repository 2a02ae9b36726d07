"""Bad seed files and bad specs fail early, name the file and line (or key), and store nothing."""

from pathlib import Path

import pytest
import yaml

from synth_assets.jsonl import InputFileError
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import SpecError, load_spec
from synth_assets.stages.seed_stage import run_seed_stage
from tests.pipeline_fixture import write_pipeline_spec

GOOD_LINE = b'{"question": "What is 2 + 2?", "answer": "4"}\n'


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (GOOD_LINE + b'{"question": "broken", \n', 2, "invalid JSON"),
        (GOOD_LINE + GOOD_LINE + b'{"answer": "no question"}\n', 3, "missing required field"),
        (GOOD_LINE + b'{"question": "caf\xe9?", "answer": "1"}\n', 2, "invalid UTF-8"),
        (b"", None, "no rows"),
        (GOOD_LINE + b'{"question": "", "answer": "1"}\n', 2, "non-empty text"),
    ],
    ids=["invalid-json", "missing-field", "invalid-utf8", "empty-file", "empty-field"],
)
def test_bad_seed_file_names_file_and_line_and_writes_nothing(
    tmp_path: Path, content: bytes, line: int | None, message: str
) -> None:
    spec_path = write_pipeline_spec(tmp_path / "spec", "http://127.0.0.1:9/v1")
    bad_file = tmp_path / "spec" / "seeds" / "math.jsonl"
    bad_file.write_bytes(content)
    store = LineageStore(tmp_path / "synth.duckdb")

    with pytest.raises(InputFileError) as error:
        run_seed_stage(store, load_spec(spec_path))

    where = f"{bad_file}:{line}" if line else str(bad_file)
    assert str(error.value).startswith(where + ":")
    assert message in str(error.value)
    assert store.query("table_row_counts")[0] == {"table_name": "seeds", "row_count": 0}


def test_bad_seed_file_keeps_what_was_stored_before(tmp_path: Path) -> None:
    spec_path = write_pipeline_spec(tmp_path / "spec", "http://127.0.0.1:9/v1")
    store = LineageStore(tmp_path / "synth.duckdb")
    run_seed_stage(store, load_spec(spec_path))
    before = store.query("table_row_counts")
    (tmp_path / "spec" / "seeds" / "code.jsonl").write_bytes(b"not json\n")
    with pytest.raises(InputFileError):
        run_seed_stage(store, load_spec(spec_path))
    assert store.query("table_row_counts") == before


def _edit_spec(path: Path, edit) -> Path:
    spec = yaml.safe_load(path.read_text())
    edit(spec)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_spec_with_unknown_key_names_key_and_line(tmp_path: Path) -> None:
    path = _edit_spec(write_pipeline_spec(tmp_path, "http://127.0.0.1:9/v1"),
                      lambda spec: spec["recipes"]["code"].update(temprature=0.3))
    with pytest.raises(SpecError) as error:
        load_spec(path)
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "temprature" in text)
    assert f"{path}:{line}: recipes.code.temprature: unknown key" in str(error.value)


def test_spec_with_missing_reference_names_key(tmp_path: Path) -> None:
    path = _edit_spec(write_pipeline_spec(tmp_path, "http://127.0.0.1:9/v1"),
                      lambda spec: spec["recipes"]["code"].update(seed_set="no_such_set"))
    with pytest.raises(SpecError) as error:
        load_spec(path)
    assert "recipes.code.seed_set: unknown seed set 'no_such_set'" in str(error.value)


def test_spec_refuses_all_synthetic_mixture_by_default(tmp_path: Path) -> None:
    path = _edit_spec(write_pipeline_spec(tmp_path, "http://127.0.0.1:9/v1"),
                      lambda spec: spec["mixtures"]["mix"].update(real_fraction=0.0))
    with pytest.raises(SpecError) as error:
        load_spec(path)
    assert "mixtures.mix" in str(error.value) and "min_real_fraction" in str(error.value)


def test_shipped_default_spec_is_valid() -> None:
    from synth_assets.spec import DEFAULT_SPEC_PATH

    loaded = load_spec(DEFAULT_SPEC_PATH)
    assert loaded.spec.teachers["smollm2"].model.startswith("embedded/")
