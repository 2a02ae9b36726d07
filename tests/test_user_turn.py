"""The record's user turn has one definition, in Python (recipes/records.py) and as its SQL
twin (the user_turn and record_response macros in sql/records.sql): both give the same
(user turn, response) for every shape a stored record takes, including the ones where a naive
rule would differ (an empty or JSON-null instruction, fields without one, no fields at all)."""

import json
from pathlib import Path

import pytest

from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.records import training_pair, user_turn
from synth_assets.recipes.seeds import TASK_FIELD, SeedRecord, seed_task

SEEDS = {
    "math": {"question": "2 + 3?", "answer": "5"},
    "code": {"prompt": "def f():", "entry_point": "f", "tests": "assert True"},
    "instruction": {"instruction": "Say hi."},
    "document": {"title": "Rivers", "text": "A long text about rivers."},
}
FIELDS = [
    None,                                                        # stored before recipes had records
    {"instruction": "Rendered by the recipe", "response": "Its answer"},
    {"instruction": "", "response": ""},                         # empty is a value, not missing
    {"instruction": None, "response": None},                     # JSON null is missing
    {"persona": "a baker"},                                      # neither field rendered
]
CASES = [(kind, fields) for kind in SEEDS for fields in FIELDS]


@pytest.mark.parametrize(("kind", "fields"), CASES)
def test_python_and_sql_give_the_same_training_pair(kind: str, fields: dict | None,
                                                    tmp_path: Path) -> None:
    payload = json.dumps(SEEDS[kind])
    stored_fields = None if fields is None else json.dumps(fields)
    with LineageStore(tmp_path / "synth.duckdb").connection() as connection:
        in_sql = connection.execute(
            "SELECT user_turn(?, ?, ?), record_response(?, 'raw answer')",
            [stored_fields, payload, TASK_FIELD[kind], stored_fields]).fetchone()
    assert training_pair(kind, payload, stored_fields, "raw answer") == in_sql
    rendered = (fields or {}).get("instruction")
    assert user_turn(kind, payload, stored_fields) == (
        seed_task(kind, payload) if rendered is None else rendered)


def test_a_seed_record_task_is_the_seed_task() -> None:
    for kind, payload in SEEDS.items():
        seed = SeedRecord("seed_x", "set", kind, payload, "seeds.jsonl", 1)
        assert seed.task == seed_task(kind, json.dumps(payload)) == payload[TASK_FIELD[kind]]
