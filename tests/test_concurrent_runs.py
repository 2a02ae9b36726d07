"""Two runs of the whole pipeline for the same partition launched at the same time, each in its
own process writing to the same DuckDB file, both succeed and store each record once."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from synth_assets.defs.partitions import register_recipes
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import TEST_DAY, stub_answer, write_pipeline_spec

MATH = f"{TEST_DAY}|math_cot"
MATH_GENERATIONS = 6  # 3 seeds x 2 samples

DAGSTER = str(Path(sys.executable).parent / "dagster")


def test_two_simultaneous_runs_both_succeed(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub(stub_answer) as stub:
        monkeypatch.setenv("SYNTH_SPEC", str(write_pipeline_spec(tmp_path / "spec", stub.base_url)))
        monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
        # The first process to open a fresh DAGSTER_HOME creates its SQLite files; two doing
        # it at once race on Dagster's schema migration, so the instance is created first.
        with dg.DagsterInstance.get() as instance:
            register_recipes(instance, load_spec(os.environ["SYNTH_SPEC"]))
        # Each run in one process (the default starts one per step, each importing Dagster and
        # GE); the pool still serializes the writing steps across the two runs.
        in_process = tmp_path / "in_process.yaml"
        in_process.write_text("execution:\n  config:\n    in_process: {}\n")
        command = [DAGSTER, "job", "execute", "-m", "synth_assets.definitions",
                   "-j", "full_pipeline", "--tags", json.dumps({"dagster/partition": MATH}),
                   "-c", str(in_process)]
        # Create the instance's SQLite storage first: two processes creating it at once race
        # on alembic's version table ("table alembic_version already exists").
        subprocess.run([DAGSTER, "instance", "migrate"], check=True, capture_output=True)
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True) for _ in range(2)]
        outputs = [run.communicate(timeout=900)[0] for run in runs]
    # The writing steps share one pool slot, so the second run's teacher step starts after
    # the first one's and finds every answer cached.
    assert len(stub.requests) == MATH_GENERATIONS
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-3000:]
        assert "RUN_SUCCESS" in output
    counts = {row["table_name"]: row["row_count"]
              for row in LineageStore(dagster_home / "synth.duckdb").query("table_row_counts")}
    assert counts["generations"] == MATH_GENERATIONS
    assert counts["teacher_calls"] == MATH_GENERATIONS
    assert counts["mixture_records"] == 2 + 2  # Ann's clean sample and Tom's right one, 2 real


def test_dagster_definitions_validate() -> None:
    result = subprocess.run([DAGSTER, "definitions", "validate", "-m", "synth_assets.definitions"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Validation successful" in result.stdout + result.stderr
