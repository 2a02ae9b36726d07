"""The contamination stage on a hand-made store: hits stored per segment with evidence, records
derived from a contaminated seed quarantined through lineage, an LLM judge (the local OpenAI
stub) confirming a rephrasing through the teacher cache, and per-benchmark ceilings in GE."""

import json
from pathlib import Path

import pytest
import yaml

from synth_assets.checks.ge_adapter import validate_frame
from synth_assets.checks.suites import contamination_reports_suite
from synth_assets.lineage.history import lineage_chain
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.stages import contamination_stage
from synth_assets.stages.contamination_stage import run_contamination_stage
from tests.conftest import write_jsonl
from tests.contamination_cases import REPHRASED, gsm8k
from tests.openai_stub import OpenAIStub

TEST = gsm8k("test")
BENCHMARK_LINES = [0, 3, 42]
CLEAN_QUESTION = "A kite has 4 tails and each tail has 6 ribbons. How many ribbons in total?"
OTHER_QUESTION = "Sam walks 2 km to school and 2 km back. How far does he walk each day?"


def _spec(folder: Path, api_base: str, **contamination) -> Path:
    write_jsonl(folder / "bench.jsonl", [TEST[line] for line in BENCHMARK_LINES])
    spec = {
        "version": 1,
        "seed_sets": {"math": {"path": "seeds.jsonl", "kind": "math"}},
        "teachers": {"judge": {"model": "openai/stub-judge", "api_base": api_base,
                               "api_key_env": "STUB_TEACHER_KEY", "temperature": 0.0}},
        "recipes": {"solve": {"seed_set": "math", "teacher": "judge", "domain": "math",
                              "template": "{{ question }}"}},
        "benchmarks": {"gsm8k_test": {"type": "file", "path": "bench.jsonl",
                                      "max_contaminated_rate": 0.9}},
        "contamination": {"max_contaminated_rate": 0.9, "semantic": {"backend": "tfidf"},
                          "llm_judge": {"enabled": True, "teacher": "judge",
                                        "min_similarity": 0.15}, **contamination},
    }
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return folder / "pipeline.yaml"


def _records(store: LineageStore) -> tuple[str, dict[str, str]]:
    """Seeds and generations, the kind the teacher stage stores, and their snapshot."""
    seeds = {"A": TEST[0]["question"], "B": CLEAN_QUESTION, "C": OTHER_QUESTION}
    seed_ids = {key: content_id("seed", key) for key in seeds}
    responses = {  # generation -> (seed, response)
        "gA": ("A", "She keeps 16 - 3 - 4 = 9 eggs and makes 9 * 2 = 18. The answer is 18."),
        "gB": ("B", "4 * 6 = 24 ribbons. The answer is 24."),
        "gB2": ("B", "Each of the 4 tails carries 6 ribbons: 24. The answer is 24."),
        "gC": ("C", f"A similar problem: {REPHRASED[3]} He runs 540 meters."),
        "gC2": ("C", f"A similar problem: {REPHRASED[42]} They took 26 slices."),
    }
    ids = {key: content_id("gen", key) for key in responses}
    with store.writer() as writer:
        writer.insert_new("seeds", [
            {"seed_id": seed_ids[key], "seed_set": "math", "kind": "math",
             "payload": json.dumps({"question": text, "answer": "1"}), "source_file": "seeds",
             "source_line": n} for n, (key, text) in enumerate(seeds.items(), start=1)])
        writer.insert_new("generations", [
            {"generation_id": ids[key], "recipe": "solve", "prompt_id": f"prm_{key}",
             "call_id": f"call_{key}", "seed_id": seed_ids[seed], "sample_index": 0,
             "text": text} for key, (seed, text) in responses.items()])
        # gB2 was made from gA too (as a later round of a recipe would): it descends from A.
        writer.link([(ids[key], seed_ids[seed], "answers") for key, (seed, _) in
                     responses.items()] + [(ids["gB2"], ids["gA"], "derived_from")])
        snapshot = writer.record_snapshot("verified_subsets", "*", list(ids.values()))
    return snapshot, ids


def _judge(request: dict) -> str:
    return "True" if REPHRASED[3][:40] in request["messages"][-1]["content"] else "False"


@pytest.fixture
def staged(tmp_path, monkeypatch):
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(_judge) as stub:
        loaded = load_spec(_spec(tmp_path / "spec", stub.base_url))
        store = LineageStore(tmp_path / "synth.duckdb")
        snapshot, ids = _records(store)
        yield stub, loaded, store, snapshot, ids


def test_hits_quarantine_and_judge_decide_who_stays(staged):
    stub, loaded, store, snapshot, ids = staged

    result = run_contamination_stage(store, loaded, snapshot, log=lambda _: None, batch_rows=2)

    assert (result.scanned, result.contaminated, result.quarantined) == (5, 2, 1)
    clean_scans = {row["record_id"] for row in
                   store.query("snapshot_member_ids", snapshot_id=result.snapshot_id)}
    verdicts = store.query_with_ids("contamination_verdicts_for_generations",
                                    list(ids.values()), index_fingerprint=result.index_fingerprint)
    cleared = set(verdicts.loc[verdicts["scan_id"].isin(clean_scans), "generation_id"])
    assert cleared == {ids["gB"], ids["gC2"]}

    hits = store.query_with_ids("contamination_hits_for_generations", list(ids.values()),
                                index_fingerprint=result.index_fingerprint)
    seed_hits = hits[hits["generation_id"] == ids["gA"]]
    assert set(seed_hits["segment"]) == {"task"}
    assert {"ngram", "coverage", "minhash", "semantic-tfidf"} <= set(seed_hits["detector"])
    assert set(seed_hits["item_id"]) == {"gsm8k_test:0"}
    assert seed_hits["record_excerpt"].iloc[0] == TEST[0]["question"]  # under 300 chars
    judged = hits[hits["generation_id"] == ids["gC"]]
    assert list(judged["detector"]) == ["llm_judge"]
    assert list(judged["segment"]) == ["response"] and list(judged["item_id"]) == ["gsm8k_test:1"]
    assert "openai/stub-judge judged it the same problem" in judged["evidence"].iloc[0]
    assert len(stub.requests) == result.judged_pairs == 2  # gC and gC2; the rest had hits

    [quarantine] = _quarantines(store)
    assert quarantine["generation_id"] == ids["gB2"]
    assert quarantine["seed_id"] == content_id("seed", "A")
    kinds = {node["kind"] for node in lineage_chain(store, quarantine["quarantine_id"])}
    assert {"contamination_quarantine", "contamination_hit", "generation", "seed"} <= kinds

    report = result.per_benchmark.set_index("benchmark").loc["gsm8k_test"]
    assert (report["items_hit"], report["records_hit"]) == (2, 3)
    assert set(report["detectors_fired"].split(", ")) == {
        "coverage", "llm_judge", "minhash", "ngram", "seed_quarantine", "semantic-tfidf"}
    worst = result.worst_hits.iloc[0]
    assert (worst["generation_id"], worst["item_id"], worst["segment"]) == (
        ids["gA"], "gsm8k_test:0", "task")


def _quarantines(store: LineageStore) -> list[dict]:
    with store.connection() as conn:
        return conn.execute("SELECT * FROM contamination_quarantines").df().to_dict("records")


def test_second_run_asks_nothing_and_stores_nothing_new(staged):
    stub, loaded, store, snapshot, _ = staged
    first = run_contamination_stage(store, loaded, snapshot, log=lambda _: None)
    calls, counts = len(stub.requests), store.query("table_row_counts")

    again = run_contamination_stage(store, loaded, snapshot, log=lambda _: None)

    assert again.snapshot_id == first.snapshot_id and again.newly_scanned == 0
    assert again.index_reused
    assert len(stub.requests) == calls
    assert store.query("table_row_counts") == counts


def test_each_scan_is_stored_once_and_leads_to_its_generation(tmp_path, monkeypatch):
    # contamination_verdicts has no primary-key index and holds its own edges to the generation
    # (stores made before are migrated to that shape: tests/test_migrations.py).
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    monkeypatch.setattr(contamination_stage, "WRITE_EVERY_SCANS", 2)
    with OpenAIStub(_judge) as stub:
        loaded = load_spec(_spec(tmp_path / "spec", stub.base_url))
        store = LineageStore(tmp_path / "synth.duckdb")
        snapshot, ids = _records(store)
        with store.writer() as writer:  # a scan stored earlier, against another index
            writer.connection.execute(
                "INSERT INTO contamination_verdicts (scan_id, generation_id, index_fingerprint, "
                "contaminated, hit_count, admitted_by) "
                "VALUES ('scan_earlier', ?, 'earlier', false, 0, [])", [ids["gB"]])
        first = run_contamination_stage(store, loaded, snapshot, log=lambda _: None,
                                        batch_rows=2)
        again = run_contamination_stage(store, loaded, snapshot, log=lambda _: None,
                                        batch_rows=3)

    assert (first.scanned, first.newly_scanned, again.newly_scanned) == (5, 5, 0)
    with store.connection() as connection:
        stored = connection.execute("SELECT count(*), count(DISTINCT scan_id) "
                                    "FROM contamination_verdicts").fetchone()
        scan_of_gb = connection.execute(
            "SELECT scan_id FROM contamination_verdicts WHERE generation_id = ? "
            "AND index_fingerprint = ?", [ids["gB"], first.index_fingerprint]).fetchone()[0]
    assert stored == (6, 6)
    for scan_id in (scan_of_gb, "scan_earlier"):
        chain = lineage_chain(store, scan_id)
        generation = next(node for node in chain if node["record_id"] == ids["gB"])
        assert generation["reached_by"] == f"scans <- {scan_id}"
        assert "seed" in {node["kind"] for node in chain}
    made_from_gb = {row["record_id"] for row in store.query("descendants", record_id=ids["gB"])}
    assert {scan_of_gb, "scan_earlier"} <= made_from_gb


def test_quarantine_can_be_switched_off(staged, tmp_path):
    stub, loaded, store, snapshot, ids = staged
    spec = _spec(tmp_path / "spec", stub.base_url, quarantine_seed_descendants=False)
    result = run_contamination_stage(store, load_spec(spec), snapshot, log=lambda _: None)
    assert (result.contaminated, result.quarantined) == (2, 0)


def test_each_benchmark_is_held_to_its_own_ceiling(staged, tmp_path):
    stub, loaded, store, snapshot, _ = staged
    result = run_contamination_stage(store, loaded, snapshot, log=lambda _: None)
    frame, expectations = contamination_reports_suite(store, loaded, result.snapshot_id, snapshot)
    assert validate_frame(frame, expectations, "contamination_reports").passed

    spec = yaml.safe_load(loaded.path.read_text())
    spec["benchmarks"]["gsm8k_test"]["max_contaminated_rate"] = 0.5
    loaded.path.write_text(yaml.safe_dump(spec))
    frame, expectations = contamination_reports_suite(store, load_spec(loaded.path),
                                                      result.snapshot_id, snapshot)
    check = validate_frame(frame, expectations, "contamination_reports")
    assert not check.passed
    assert "each benchmark's contaminated share is within its ceiling" in check.description
    assert frame.set_index("benchmark").loc["gsm8k_test", "contaminated_rate"] == 0.6
