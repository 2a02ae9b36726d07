"""The whole pipeline on a PostgreSQL store: the same exports, byte for byte, and the same
contamination hits as on a DuckDB store for the same inputs; `synth lineage` and
`synth store copy` on it; and many `generate` runs at once (4 partitions and 2 runs of one
more), each its own process, storing every row once with correct snapshots and partition
heads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pandas as pd
import pytest
import yaml

from synth_assets.cli import main
from synth_assets.defs.partitions import register_recipes
from synth_assets.lineage.location import open_store
from synth_assets.runs.home import INSTANCE_YAML
from synth_assets.spec import load_spec
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import (
    EXPECTED,
    TEST_DAY,
    run_pipeline,
    stub_answer,
    varied_answer,
    write_pipeline_spec,
)

if TYPE_CHECKING:
    from synth_assets.lineage.location import Store

DAYS = ["2026-11-19", TEST_DAY]
DAGSTER = str(Path(sys.executable).parent / "dagster")


def use_store(store_location: str, home: Path, spec: Path, monkeypatch: pytest.MonkeyPatch
              ) -> None:
    """A new Dagster home whose runs use the store and the spec."""
    home.mkdir()
    repo_yaml = INSTANCE_YAML
    (home / "dagster.yaml").write_text(repo_yaml.read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("SYNTH_DB", store_location)
    monkeypatch.setenv("SYNTH_EXPORT_DIR", str(home / "exports"))
    monkeypatch.setenv("SYNTH_SPEC", str(spec))


def run_on(store_location: str, home: Path, spec: Path, monkeypatch: pytest.MonkeyPatch
           ) -> dict[str, bytes]:
    """Run the pipeline for DAYS against one store; every exported file's bytes."""
    use_store(store_location, home, spec, monkeypatch)
    with dg.DagsterInstance.get() as instance:
        runs = run_pipeline(instance, DAYS)
    assert runs.success
    exports = {}
    for path in sorted((home / "exports").rglob("*")):
        if path.is_file():
            exported = path.read_bytes()
            if path.name == "manifest.json":  # names the run that wrote it
                manifest = json.loads(exported)
                manifest.pop("run_id")
                exported = json.dumps(manifest, sort_keys=True).encode()
            exports[str(path.relative_to(home / "exports"))] = exported
    return exports


def stored(store: Store, table: str, key: str) -> pd.DataFrame:
    frame = pd.concat([batch.to_pandas() for batch in store.read_table(table, 10_000)])
    return frame.drop(columns="created_at", errors="ignore").sort_values(key).reset_index(drop=True)


def test_the_pipeline_on_postgresql_exports_what_it_exports_on_duckdb(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(varied_answer) as stub:
        spec = write_pipeline_spec(tmp_path / "spec", stub.base_url)
        on_duckdb = run_on(str(tmp_path / "duck" / "synth.duckdb"), tmp_path / "duck", spec,
                           monkeypatch)
        on_postgres = run_on(postgres_url, tmp_path / "pg", spec, monkeypatch)
    assert len(stub.requests) == 2 * len(DAYS) * EXPECTED["generations"]  # one store each
    assert "mix/data.jsonl" in on_duckdb and "mix/data.parquet" in on_duckdb
    assert on_postgres.keys() == on_duckdb.keys()
    for name, exported in on_duckdb.items():
        assert on_postgres[name] == exported, f"{name} differs between the engines"

    duck, postgres = open_store(tmp_path / "duck" / "synth.duckdb"), open_store(postgres_url)
    hits = stored(duck, "contamination_hits", "hit_id")
    assert len(hits) >= 1 and "gsm8k_test" in set(hits["benchmark"])
    pd.testing.assert_frame_equal(stored(postgres, "contamination_hits", "hit_id"), hits)
    for table, key in [("contamination_verdicts", "scan_id"), ("verdicts", "verdict_id"),
                       ("snapshot_members", ["snapshot_id", "record_id"]),
                       ("mixture_records", "mixture_record_id"),
                       ("partition_heads", ["stage", "partition_key"])]:
        # each run timed its own verdicts and moved its own heads
        measured = {"verdicts": ["duration_s"], "partition_heads": ["updated_at"]}.get(table, [])
        pd.testing.assert_frame_equal(stored(postgres, table, key).drop(columns=measured),
                                      stored(duck, table, key).drop(columns=measured),
                                      check_dtype=False)

    # `synth lineage` reads a record's history from PostgreSQL as from DuckDB: the same
    # records in the same order (their times differ: each store was written by its own run)
    record = json.loads(on_postgres["mix/data.jsonl"].splitlines()[0])["id"]
    chains = []
    for location in (str(tmp_path / "duck" / "synth.duckdb"), postgres_url):
        assert main(["lineage", record, "--db", location]) == 0
        chains.append([line.split("  (")[0] for line in capsys.readouterr().out.splitlines()
                       if line and not line.startswith(" ")])
    assert chains[0] == chains[1]
    assert [line.split()[0] for line in chains[0]][:2] == ["seed", "prompt"]
    assert chains[0][-1] == f"mixture_record  {record}"


def test_diff_why_and_forget_on_postgresql(postgres_url: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """tests/test_forget_and_diff.py's cases on a PostgreSQL store: a raised verifier
    threshold named as the reason a record left the mixture; forgetting a seed removes it and
    what was derived from it, the mixture rebuilt without it, and a rerun does not bring it
    back."""
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(stub_answer) as stub:
        spec_path = write_pipeline_spec(tmp_path / "spec", stub.base_url)
        use_store(postgres_url, tmp_path / "home", spec_path, monkeypatch)
        store = open_store(postgres_url)
        with dg.DagsterInstance.get() as instance:
            assert run_pipeline(instance).success
            seeds = stored(store, "seeds", "seed_id")
            generations = stored(store, "generations", "generation_id")
            sky_seed = seeds[seeds["payload"].str.contains("sky looks blue")]["seed_id"].item()
            sky = generations[generations["seed_id"] == sky_seed]["generation_id"].item()
            mixture = stored(store, "mixture_records", "mixture_record_id")
            sky_mix = mixture[mixture["source_record_id"] == sky]["mixture_record_id"].item()

            spec = yaml.safe_load(spec_path.read_text())
            spec["verifiers"]["length"]["options"]["min_chars"] = 200
            spec["quality"]["min_pass_rate"] = 0.0
            spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
            assert run_pipeline(instance).success
            capsys.readouterr()
            assert main(["diff", "mix"]) == 0
            out = capsys.readouterr().out
            assert "removed (threshold changed): 1" in out
            line = next(text for text in out.splitlines() if sky_mix in text)
            assert sky in line and "now fails: length" in line
            assert main(["why", sky]) == 0
            why = capsys.readouterr().out
            assert f"{sky} is NOT in the mixture" in why and "shorter than 200 characters" in why

            tom = seeds[seeds["payload"].str.contains("Tom had 10 apples")]["seed_id"].item()
            toms = set(generations[generations["seed_id"] == tom]["generation_id"])
            mixture = stored(store, "mixture_records", "mixture_record_id")
            (gone_mix,) = mixture[mixture["source_record_id"].isin(toms)]["mixture_record_id"]
            assert main(["forget", tom]) == 0
            out = capsys.readouterr().out
            assert f"{gone_mix}: record deleted by a data-removal request" in out
            assert gone_mix not in (tmp_path / "home" / "exports" / "mix" / "data.jsonl"
                                    ).read_text()
            edges = stored(store, "edges", ["child_id", "parent_id"])
            assert not (set(edges["child_id"]) | set(edges["parent_id"])) & (toms | {tom})
            assert not set(stored(store, "generations", "generation_id")["generation_id"]) & toms
            calls = len(stub.requests)
            assert run_pipeline(instance).success
            assert len(stub.requests) == calls
            assert tom not in set(stored(store, "seeds", "seed_id")["seed_id"])
            assert store.query("forgotten_ids") == [{"record_id": tom}]


def test_store_copy_moves_every_record_and_edge_and_back(
    postgres_url: str, postgres_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys,
) -> None:
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(varied_answer) as stub:
        spec = write_pipeline_spec(tmp_path / "spec", stub.base_url)
        run_on(str(tmp_path / "duck" / "synth.duckdb"), tmp_path / "duck", spec, monkeypatch)
    laptop = str(tmp_path / "duck" / "synth.duckdb")
    assert main(["store", "copy", laptop, postgres_url]) == 0
    back = str(tmp_path / "back.duckdb")
    assert main(["store", "copy", postgres_url, back]) == 0
    assert main(["store", "copy", laptop, postgres_url]) == 0  # again: nothing new
    out = capsys.readouterr().out
    assert postgres_server.password not in out
    source, copied, returned = open_store(laptop), open_store(postgres_url), open_store(back)
    counts = source.query("table_row_counts")
    assert counts == copied.query("table_row_counts") == returned.query("table_row_counts")
    assert sum(row["row_count"] for row in counts) > 100
    for table, key in [("edges", ["child_id", "parent_id"]), ("teacher_calls", "call_id"),
                       ("generations", "generation_id"), ("partition_heads",
                                                          ["stage", "partition_key"]),
                       ("mixture_materializations", "materialization_id")]:
        original = stored(source, table, key)
        pd.testing.assert_frame_equal(stored(copied, table, key), original, check_dtype=False)
        pd.testing.assert_frame_equal(stored(returned, table, key), original, check_dtype=False)


def test_generate_runs_of_many_partitions_write_postgresql_at_once(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the synth_duckdb pool (SYNTH_DB is a URL), 6 `generate` runs at once: 4 days of
    math_cot and 2 runs of a fifth day."""
    home = tmp_path / "home"
    home.mkdir()
    repo_yaml = INSTANCE_YAML
    (home / "dagster.yaml").write_text(repo_yaml.read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("SYNTH_DB", postgres_url)
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    days = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19"]
    twice = TEST_DAY
    with OpenAIStub(varied_answer) as stub:
        monkeypatch.setenv("SYNTH_SPEC", str(write_pipeline_spec(tmp_path / "spec",
                                                                  stub.base_url)))
        subprocess.run([DAGSTER, "instance", "migrate"], check=True, capture_output=True)
        with dg.DagsterInstance.get() as instance:
            register_recipes(instance, load_spec(os.environ["SYNTH_SPEC"]))
        in_process = tmp_path / "in_process.yaml"
        in_process.write_text("execution:\n  config:\n    in_process: {}\n")
        runs = [subprocess.Popen(
            [DAGSTER, "job", "execute", "-m", "synth_assets.definitions", "-j", "generate",
             "--tags", json.dumps({"dagster/partition": f"{day}|math_cot"}),
             "-c", str(in_process)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for day in [*days, twice, twice]]
        outputs = [run.communicate(timeout=1200)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-3000:]
        assert "RUN_SUCCESS" in output
    per_partition = 6  # 3 math seeds x 2 samples
    # the two runs of one partition may both have asked the teacher (nothing serializes them)
    assert 5 * per_partition <= len(stub.requests) <= 6 * per_partition
    store = open_store(postgres_url)
    counts = {row["table_name"]: row["row_count"] for row in store.query("table_row_counts")}
    assert counts["teacher_calls"] == counts["generations"] == 5 * per_partition
    assert counts["prompts"] == 3  # no attributes drawn: the same 3 prompts every day, once
    members = {}
    for stage in ["teacher_generations", "verified_subsets"]:
        heads = store.query("partition_heads_of_stage", stage=stage)
        assert [h["partition_key"] for h in heads] == [f"{d}|math_cot" for d in [*days, twice]]
        for head in heads:
            held = {r["record_id"] for r in store.query("snapshot_member_ids",
                                                         snapshot_id=head["snapshot_id"])}
            assert len(held) == head["member_count"]
            members[stage, head["partition_key"]] = held
    generated = [held for (stage, _), held in members.items() if stage == "teacher_generations"]
    # each partition holds its own day's 6 generations, and together they are all of them
    assert [len(held) for held in generated] == [per_partition] * 5
    assert len(set().union(*generated)) == 5 * per_partition
    for (stage, key), held in members.items():
        if stage == "verified_subsets":
            assert held and held <= members["teacher_generations", key]
