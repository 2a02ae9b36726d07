"""The one admission rule: Python and SQL agree on every verdict, a min_score both rejects
passed verdicts and admits failed ones, a missing verdict never admits, and next-round seeds are
exactly what verified_subsets admitted (min_score and deduplication included). Real stages on a
real DuckDB file, the teacher a local OpenAI-compatible stub."""

from pathlib import Path

import pytest
import yaml

from synth_assets.cli import main
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.stages.generation_plan import plan_generations
from synth_assets.stages.seed_stage import run_seed_stage
from synth_assets.stages.teacher_stage import run_teacher_stage
from synth_assets.stages.verify_stage import run_verify_stage
from synth_assets.verify import Verdict
from synth_assets.verify.admission import NO_VERDICT, rejections, verdict_admits
from tests.conftest import write_jsonl
from tests.openai_stub import OpenAIStub
from tests.test_verify_stage_ledger import members, teacher_answer

# (passed, score, min_score): at, above and below a threshold, thresholds that overrule the
# verifier both ways, no threshold, and the extremes.
CASES = [(passed, score, min_score)
         for passed in (True, False)
         for score in (0.0, 0.5, 2 / 3, 0.7, 1.0)
         for min_score in (None, 0.0, 0.5, 2 / 3, 0.9, 1.0)]


def verdict(passed: bool, score: float, reason: str = "because") -> Verdict:
    return Verdict(passed=passed, score=score, reason=reason, evidence="", duration_s=0.0)


def test_python_and_sql_rules_agree_on_every_verdict(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    with store.connection() as conn:
        for passed, score, min_score in CASES:
            # mixtures register min_score as a number, synth why as text: both must read alike
            for threshold in (min_score, None if min_score is None else repr(min_score)):
                in_sql = conn.execute("SELECT verdict_admits(?, ?, ?)",
                                      [passed, score, threshold]).fetchone()[0]
                assert in_sql == verdict_admits(passed, score, min_score), \
                    (passed, score, threshold)


def test_a_threshold_overrules_the_verifier_both_ways_and_a_missing_verdict_rejects() -> None:
    thresholds = {"judge": 0.8, "length": None}
    # passed by the judge's own scale (0.7), but under the spec's min_score
    assert rejections({"judge": verdict(True, 0.7, "judge score 7/10")}, thresholds) == {
        "judge": "score 0.7 below min_score 0.8: judge score 7/10"}
    # failed by the verifier's own pass mark, admitted by a lower min_score
    assert rejections({"judge": verdict(False, 0.6)}, {"judge": 0.5}) == {}
    assert rejections({"judge": verdict(True, 0.8)}, thresholds) == {}   # at the threshold
    assert rejections({"length": verdict(False, 0.0, "too short")}, thresholds) == {
        "length": "too short"}
    assert rejections({"judge": None, "length": verdict(True, 1.0)}, thresholds) == {
        "judge": NO_VERDICT}
    assert rejections({}, thresholds) == {}


def write_rounds_spec(folder: Path, api_base: str, min_score: float | None) -> Path:
    # No gold answers: math_answer judges by self-consistency. The stub answers the pens
    # question 12, 12, 13 (agreement 2/3) and the apples question 7, 7, 7 (identical texts:
    # one kept, two dropped as duplicates).
    write_jsonl(folder / "math.jsonl", [
        {"question": "Ann has 3 boxes with 4 pens each. How many pens?"},
        {"question": "Tom had 10 apples and ate 3. How many apples are left?"},
    ])
    math_answer: dict = {"type": "math_answer"}
    if min_score is not None:
        math_answer["min_score"] = min_score
    spec = {
        "seed_sets": {"math": {"path": "math.jsonl", "kind": "math"}},
        "teachers": {"stub": {"model": "openai/stub", "api_base": api_base,
                              "api_key_env": "STUB_TEACHER_KEY", "concurrency": 4}},
        "recipes": {
            "solved": {"seed_set": "math", "teacher": "stub", "domain": "math",
                       "samples_per_seed": 3, "template": "{{ question }}",
                       "verifiers": ["math_answer"]},
            "checked": {"seeds_from": {"recipe": "solved"}, "teacher": "stub", "domain": "math",
                        "template": "Check this solution: {{ response }}",
                        "verifiers": ["length"]},
        },
        "verifiers": {"math_answer": math_answer,
                      "length": {"type": "length", "options": {"min_chars": 5}}},
    }
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def generations_of(store: LineageStore, recipe: str) -> set[str]:
    with store.connection() as conn:
        rows = conn.execute("SELECT generation_id FROM generations WHERE recipe = ?",
                            [recipe]).fetchall()
    return {row[0] for row in rows}


def test_next_round_seeds_are_what_verified_subsets_admitted_and_synth_why_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dagster_home: Path,
    capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    store = LineageStore(dagster_home / "synth.duckdb")
    with OpenAIStub(teacher_answer) as stub:
        seeds = None
        for min_score, expected_questions in [(None, {"pens", "apples"}), (0.9, {"apples"})]:
            loaded = load_spec(write_rounds_spec(tmp_path, stub.base_url, min_score))
            seeds = run_seed_stage(store, loaded).seeds
            teacher = run_teacher_stage(store, loaded, seeds, log=lambda _: None)
            verified = run_verify_stage(store, loaded, teacher.snapshot_id, log=lambda _: None)
            admitted = members(store, verified.snapshot_id) & generations_of(store, "solved")

            derived = plan_generations(store, loaded, seeds).derived_seeds["checked"]
            parents = {parent for seed in derived for parent in seed.parent_ids}
            assert parents == admitted, f"min_score={min_score}"
            assert {"pens" if "pens" in seed.seed.payload["question"] else "apples"
                    for seed in derived} == expected_questions
    # With min_score 0.9 the pens answers (agreement 2/3) passed math_answer's own check but
    # verified_subsets rejected them; of the three identical apples answers one is kept.
    assert verified.duplicates == 2
    assert len(admitted) == 1
    rejected = verified.rejections
    assert set(rejected["verifier"]) == {"math_answer", "dedup"}
    by_math = rejected[rejected["verifier"] == "math_answer"]
    assert sorted(reason.split(":")[0] for reason in by_math["reason"]) == [
        "score 0 below min_score 0.9", *["score 0.667 below min_score 0.9"] * 2]

    # synth why names the verifier and the reason, under the spec that rejected them
    monkeypatch.setenv("SYNTH_SPEC", str(tmp_path / "pipeline.yaml"))
    for _, row in rejected.iterrows():
        capsys.readouterr()
        assert main(["why", row["generation_id"]]) == 0
        out = capsys.readouterr().out
        assert "is rejected by verification under the current spec" in out
        assert f"  {row['verifier']}: {row['reason']}" in out
        assert "is not a record of any materialized mixture" in out
    [kept] = admitted
    assert main(["why", kept]) == 0
    assert f"{kept} (solved) is admitted by verification" in capsys.readouterr().out
    assert main(["why", "gen_no_such_record"]) == 2


def test_a_judged_record_dropped_as_a_duplicate_is_explained_as_one() -> None:
    from datetime import datetime

    from synth_assets.mix.explain import Materialization, _status

    mat = Materialization({"created_at": datetime(2026, 1, 1)})
    row = {"source_kind": "synthetic", "component": "synthetic", "mixture_record_id": None,
           "in_pool": False, "contamination_hits": None, "judged": True,
           "failed_verdicts": None, "duplicate_of": "gen_kept", "created_at": mat.row["created_at"]}
    assert _status(row, mat) == "duplicate"
    assert _status({**row, "failed_verdicts": "length 1: too short (score 0)"}, mat) == \
        "failed_verification"
    assert _status({**row, "duplicate_of": None}, mat) == "failed_verification"


def test_a_mixture_does_not_carry_over_a_record_later_found_a_duplicate(tmp_path: Path) -> None:
    from tests.mixture_fixture import fill_verified_records, write_mixture_spec
    from tests.test_mixtures import exported, mix

    loaded = write_mixture_spec(tmp_path, {"m": {
        "components": {"synthetic": {"recipes": ["math_cot", "chat"], "ratio": 0.8},
                       "human": {"real_sources": ["human"], "ratio": 0.2}},
        "accumulate": True}}, real_count=500)
    store = LineageStore(tmp_path / "synth.duckdb")
    fill_verified_records(store, 300)
    first = exported(mix(store, loaded, tmp_path))
    dropped = sorted(row["source_record_id"] for row in first
                     if row["source_kind"] == "synthetic")[:5]
    with store.writer() as writer:
        writer.link([(gid, "gen_kept_elsewhere", "duplicate_of") for gid in dropped])
    fill_verified_records(store, 60, start=300, tag="b", judged="snap_j2", clean="snap_c2")
    result = mix(store, loaded, tmp_path, judged="snap_j2", clean="snap_c2")
    assert result.manifest["components"]["synthetic"]["available_records"] == 300 + 60 - 5
    assert not set(dropped) & {row["source_record_id"] for row in exported(result)}
