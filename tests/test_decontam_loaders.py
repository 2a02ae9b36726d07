import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synth_assets.decontam import load_benchmark_file, load_humaneval
from synth_assets.jsonl import InputFileError
from tests.conftest import GSM8K_TEST


def test_gsm8k_test_loads_every_line_with_line_index_ids():
    items = load_benchmark_file("gsm8k_test", GSM8K_TEST, "question")
    lines = GSM8K_TEST.read_text(encoding="utf-8").splitlines()
    assert len(items) == len(lines) == 1319
    assert items[17].item_id == "gsm8k_test:17"
    assert items[17].benchmark == "gsm8k_test"
    assert items[17].text == json.loads(lines[17])["question"]


def test_answer_field_is_appended_to_the_question():
    items = load_benchmark_file("gsm8k", GSM8K_TEST, "question", answer_field="answer")
    first = json.loads(GSM8K_TEST.read_text(encoding="utf-8").splitlines()[0])
    assert items[0].text == f"{first['question']}\n{first['answer']}"


def test_humaneval_items_are_the_package_prompts():
    items = load_humaneval()
    assert len(items) == 164
    assert items[0].benchmark == "humaneval"
    assert items[0].item_id == "HumanEval/0"
    assert items[0].text.startswith("from typing import List")


def test_blank_lines_are_skipped_without_shifting_ids(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text('{"q": "first"}\n\n{"q": "third"}\n', encoding="utf-8")
    items = load_benchmark_file("b", path, "q")
    assert [item.item_id for item in items] == ["b:0", "b:2"]


def test_parquet_rows_load(tmp_path):
    path = tmp_path / "bench.parquet"
    pq.write_table(pa.table({"q": ["one", "two"], "a": ["1", "2"]}), path)
    items = load_benchmark_file("b", path, "q", answer_field="a")
    assert [(item.item_id, item.text) for item in items] == [("b:0", "one\n1"), ("b:1", "two\n2")]


def _error_for(path: Path, question_field: str = "q", answer_field: str | None = None) -> str:
    with pytest.raises(InputFileError) as caught:
        load_benchmark_file("b", path, question_field, answer_field)
    return str(caught.value)


def test_invalid_json_names_file_and_line(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text('{"q": "fine"}\n{"q": "broken"\n', encoding="utf-8")
    message = _error_for(path)
    assert str(path) in message
    assert f"{path}:2:" in message
    assert "invalid JSON" in message


def test_missing_field_names_file_line_and_field(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text('{"q": "fine"}\n{"q": "fine"}\n{"question": "wrong key"}\n', encoding="utf-8")
    message = _error_for(path)
    assert f"{path}:3:" in message
    assert "'q'" in message


def test_missing_answer_field_is_an_error(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text('{"q": "fine"}\n', encoding="utf-8")
    assert f"{path}:1: missing required field(s): ['a']" in _error_for(path, answer_field="a")


def test_invalid_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_bytes(b'{"q": "fine"}\n{"q": "caf\xe9"}\n')
    message = _error_for(path)
    assert f"{path}:2:" in message
    assert "UTF-8" in message


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_file_is_an_error(tmp_path, content):
    path = tmp_path / "bench.jsonl"
    path.write_text(content, encoding="utf-8")
    message = _error_for(path)
    assert str(path) in message
    assert "empty" in message


@pytest.mark.parametrize("line", ['["a list"]', '{"q": 7}', '{"q": "   "}', '{"q": null}'])
def test_non_object_lines_and_non_string_or_blank_fields_are_errors(tmp_path, line):
    path = tmp_path / "bench.jsonl"
    path.write_text(f'{{"q": "fine"}}\n{line}\n', encoding="utf-8")
    assert f"{path}:2:" in _error_for(path)


def test_missing_file_is_an_error(tmp_path):
    assert "cannot read" in _error_for(tmp_path / "absent.jsonl")


def test_unsupported_suffix_is_an_error(tmp_path):
    path = tmp_path / "bench.csv"
    path.write_text("q\nhello\n", encoding="utf-8")
    assert "unsupported file type" in _error_for(path)


def test_parquet_missing_column_names_file_and_column(tmp_path):
    path = tmp_path / "bench.parquet"
    pq.write_table(pa.table({"question": ["one"]}), path)
    message = _error_for(path)
    assert str(path) in message
    assert "'q'" in message


def test_parquet_null_value_names_the_row(tmp_path):
    path = tmp_path / "bench.parquet"
    pq.write_table(pa.table({"q": ["one", None]}), path)
    assert f"{path}, row 2" in _error_for(path)


def test_parquet_without_rows_is_an_error(tmp_path):
    path = tmp_path / "bench.parquet"
    pq.write_table(pa.table({"q": pa.array([], pa.string())}), path)
    assert "empty" in _error_for(path)


def test_corrupt_parquet_is_an_error(tmp_path):
    path = tmp_path / "bench.parquet"
    path.write_bytes(b"not parquet at all")
    assert "not a readable Parquet file" in _error_for(path)
