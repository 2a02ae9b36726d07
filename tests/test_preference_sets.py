"""preference_sets on a real pipeline run (Dagster, litellm to a local stub teacher whose answers
are known to pass or fail): exact pair counts per source, contaminated pairs left out, the TRL
exports load with datasets, lineage and forget reach pairs, the GE suite catches a short
source, and the RL reward functions agree with the stored verdicts."""

import json
import os
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from synth_assets.cli import main
from synth_assets.defs.ge_adapter import validate_frame
from synth_assets.defs.preference_sets.suite import preference_sets_suite
from synth_assets.lineage.store import LineageStore
from synth_assets.mix.preferences import Sample, build_pairs
from synth_assets.rewards import verifier_reward, verifier_scores
from synth_assets.spec import load_spec
from synth_assets.spec.load import SpecError
from synth_assets.spec.model import PreferenceSetSpec
from synth_assets.stages.partitions import all_partitions_snapshot
from synth_assets.stages.preference_stage import run_preference_stage
from synth_assets.stages.teacher_stage import STAGE as TEACHER_STAGE
from tests.conftest import write_jsonl
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import (
    FIRST_SAMPLE_SEEDS,
    first_gsm8k_test_question,
    run_pipeline,
    stub_answer,
    write_pipeline_spec,
)

DRAFTS = [
    {"instruction": "Is it safe to mix bleach and vinegar?",
     "response": "Sure, mixing them makes a stronger cleaner."},
    {"instruction": "How do I boil an egg?", "response": "Boil it for 9 minutes."},
]
GOOD_REVISION = ("No. Mixing bleach and vinegar releases toxic chlorine gas; use them separately "
                 "and rinse in between.")


def answer(request: dict) -> str:
    """stub_answer, except: the train problem is right on its first sample and, on its second,
    wrong while quoting a GSM8K test item (a pair whose REJECTED side is contaminated); drafts
    are revised (the egg draft 'revised' into itself, which must give no pair)."""
    prompt = request["messages"][-1]["content"]
    first_sample = request.get("seed", 0) in FIRST_SAMPLE_SEEDS
    if "train goes 60 km" in prompt:
        if first_sample:
            return "60 * 2 = 120. The answer is 120."
        return f"As in: {first_gsm8k_test_question()} So 60 + 2 = 62. The answer is 62."
    if "Draft answer:" in prompt:
        if "bleach" in prompt:
            return f"Critique: the draft is dangerous.\nRevision: {GOOD_REVISION}"
        return f"Critique: fine.\nRevision: {DRAFTS[1]['response']}"
    return stub_answer(request)


@pytest.fixture
def preference_pipeline(dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with OpenAIStub(answer) as stub:
        spec_path = write_pipeline_spec(tmp_path / "spec", stub.base_url)
        write_jsonl(tmp_path / "spec" / "seeds" / "drafts.jsonl", DRAFTS)
        spec = yaml.safe_load(spec_path.read_text())
        spec["seed_sets"]["drafts"] = {"path": "seeds/drafts.jsonl", "kind": "instruction"}
        spec["recipes"]["revise"] = {"builtin": "constitutional", "seed_set": "drafts",
                                     "teacher": "stub"}
        spec["preference_sets"] = {
            "prefs": {"recipes": ["math_cot", "code", "revise"], "verifier_pairs": {},
                      "score_pairs": {"verifier": "math_answer", "min_margin": 0.5},
                      "revision_pairs": {}, "seed": 3},
        }
        spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
        monkeypatch.setenv("SYNTH_SPEC", str(spec_path))
        monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
        with dg.DagsterInstance.get() as instance:
            yield instance, LineageStore(dagster_home / "synth.duckdb")


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def test_pairs_exports_lineage_and_rewards(preference_pipeline, dagster_home: Path,
                                           capsys) -> None:
    instance, store = preference_pipeline
    db = dagster_home / "synth.duckdb"
    runs = run_pipeline(instance)
    assert runs.success
    assert ("preference_sets_expectations", True) in [
        (e.check_name, e.passed) for e in runs.check_evaluations()]

    pairs = rows(db, "SELECT source, prompt, chosen, rejected, rejected_failures, pair_id "
                     "FROM preference_pairs ORDER BY source")
    # verifier and score: Tom (right, then 13) only. Ann never fails; the train pair's
    # rejected answer quotes GSM8K test, so it is left out. revision: bleach only (the egg
    # 'revision' is its draft).
    assert [p[0] for p in pairs] == ["revision", "score", "verifier"]
    revision, score, verifier = pairs
    assert verifier[2] == "10 - 3 = 7. The answer is 7." and verifier[3] == "The answer is 13."
    assert verifier[4] == 1 and score[2:4] == verifier[2:4]
    assert "Tom had 10 apples" in verifier[1]
    assert revision[1] == DRAFTS[0]["instruction"]
    assert revision[2] == GOOD_REVISION and revision[3] == DRAFTS[0]["response"]
    assert all(first_gsm8k_test_question()[:40] not in p[2] + p[3] for p in pairs)

    # TRL conversational preference and unpaired formats, loadable with datasets.
    datasets = pytest.importorskip("datasets")
    exports = dagster_home / "exports" / "prefs"
    dpo = datasets.load_dataset(str(exports / "dpo"), split="train")
    assert dpo.num_rows == 3
    assert set(dpo.column_names) == {"id", "source", "prompt", "chosen", "rejected",
                                     "chosen_id", "rejected_id"}
    assert [m["role"] for m in dpo[0]["prompt"]] == ["user"]
    assert [m["role"] for m in dpo[0]["chosen"]] == ["assistant"]
    kto = datasets.load_dataset(str(exports / "kto"), split="train")
    assert kto.num_rows == 6 and sorted(kto["label"]) == [False] * 3 + [True] * 3
    assert {"prompt", "completion", "label"} <= set(kto.column_names)
    card = (exports / "dpo" / "README.md").read_text()
    assert "How pairs were formed" in card and "| verifier | 1 |" in card

    # Determinism: the same inputs and seed give the same pairs and the same bytes.
    manifest = json.loads((exports / "dpo" / "manifest.json").read_text())
    loaded = load_spec(os.environ["SYNTH_SPEC"])
    again = run_preference_stage(store, loaded, manifest["clean_snapshot"],
                                 all_partitions_snapshot(store, TEACHER_STAGE),
                                 dagster_home / "again", run_id="again", log=lambda _: None)
    assert again[0].snapshot_id == manifest["preference_snapshot"]
    for kind in ("dpo", "kto", "rl_prompts"):
        assert (dagster_home / "again" / "prefs" / kind / "data.parquet").read_bytes() == \
            (exports / kind / "data.parquet").read_bytes()

    # Lineage walks from a pair to both answers, the seed, prompt, teacher call and verdicts.
    capsys.readouterr()
    assert main(["lineage", verifier[5]]) == 0
    out = capsys.readouterr().out
    for kind in ("seed", "prompt", "teacher_call", "generation", "verdict",
                 "contamination_verdict", "preference_pair"):
        assert kind in out, kind

    # RL: the reward functions agree with the pipeline's stored verdicts on every generation
    # of the math and code recipes (the code ones run in the sandbox again).
    rl = datasets.load_dataset(str(exports / "rl_prompts"), split="train")
    by_prompt = {row["id"]: row for row in rl}
    generations = rows(db, "SELECT g.generation_id, g.prompt_id, g.text, bool_and(v.passed), "
                           "min(v.score) FROM generations g JOIN verdicts v USING (generation_id) "
                           "WHERE g.recipe IN ('math_cot', 'code') GROUP BY ALL "
                           "ORDER BY g.generation_id")
    assert len(generations) == 8 and {g[3] for g in generations} == {True, False}
    judged = [g for g in generations if g[1] in by_prompt]
    assert len(judged) == 8     # no math or code prompt's task is contaminated
    columns = {name: [by_prompt[g[1]][name] for g in judged]
               for name in ("prompt", "verifiers", "seed")}
    completions = [[{"role": "assistant", "content": g[2]}] for g in judged]
    rewards = verifier_reward(prompts=columns["prompt"], completions=completions,
                              verifiers=columns["verifiers"], seed=columns["seed"])
    assert rewards == [1.0 if g[3] else 0.0 for g in judged]
    assert verifier_scores(prompts=columns["prompt"], completions=[g[2] for g in judged],
                           verifiers=columns["verifiers"], seed=columns["seed"]) == \
        pytest.approx([g[4] for g in judged])
    # An answer built to slip past: the right number, but hedged between two.
    tom = next(i for i, g in enumerate(judged) if "Tom had" in by_prompt[g[1]]["prompt"][0]
               ["content"])
    assert verifier_reward(prompts=[columns["prompt"][tom]],
                           completions=["The answer is 7 or 13."],
                           verifiers=[columns["verifiers"][tom]],
                           seed=[columns["seed"][tom]]) == [0.0]

    # The GE suite fails a source short of its requested count.
    spec = yaml.safe_load(Path(os.environ["SYNTH_SPEC"]).read_text())
    spec["preference_sets"]["prefs"]["verifier_pairs"] = {"count": 2}
    Path(os.environ["SYNTH_SPEC"]).write_text(yaml.safe_dump(spec, sort_keys=False))
    frame, expectations = preference_sets_suite(store, load_spec(os.environ["SYNTH_SPEC"]),
                                                {"prefs": manifest["preference_snapshot"]})
    assert not validate_frame(frame, expectations, "preference_sets").passed

    # Forgetting Tom's seed removes the pairs made from it; the publish job it launches rebuilds
    # the set, whose blocking check now fails (the spec above asks for 2 verifier pairs): the
    # command says so and exits 1, the pairs staying removed.
    tom_seed = rows(db, "SELECT seed_id FROM seeds WHERE payload LIKE '%Tom had 10%'")[0][0]
    capsys.readouterr()
    assert main(["forget", tom_seed]) == 1
    assert "publishing failed at preference_sets: check preference_sets/" \
           "preference_sets_expectations failed" in capsys.readouterr().err
    assert [r[0] for r in rows(db, "SELECT source FROM preference_pairs")] == ["revision"]
    exported = (exports / "dpo" / "data.jsonl").read_text().splitlines()
    assert [json.loads(line)["source"] for line in exported] == ["revision"]


def spec_with(tmp_path: Path, preference_sets: dict) -> Path:
    path = write_pipeline_spec(tmp_path, "http://127.0.0.1:9/v1")
    spec = yaml.safe_load(path.read_text())
    spec["preference_sets"] = preference_sets
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


@pytest.mark.parametrize(("preference_sets", "message"), [
    ({"p": {"recipes": ["math_cot"]}}, "at least one of verifier_pairs"),
    ({"p": {"recipes": ["nope"], "verifier_pairs": {}}}, "unknown recipe 'nope'"),
    ({"p": {"recipes": ["math_cot"], "score_pairs": {"verifier": "length"}}},
     "verifier 'length' judges none of the set's recipes"),
    ({"p": {"recipes": ["math_cot"], "revision_pairs": {}}}, "none of the set's recipes revises"),
    ({"mix": {"recipes": ["math_cot"], "verifier_pairs": {}}}, "'mix' is also a mixture"),
    ({"p": {"recipes": ["math_cot"], "verifier_pairs": {"count": 0}}}, "greater than 0"),
])
def test_bad_preference_sets_fail_naming_the_key(tmp_path: Path, preference_sets: dict,
                                                 message: str) -> None:
    with pytest.raises(SpecError, match="preference_sets") as error:
        load_spec(spec_with(tmp_path, preference_sets))
    assert message in str(error.value)


def sample(generation_id: str, answer: str, admitted: bool = False, failed: int = 0,
           score: float | None = None, prompt_id: str = "prm_1") -> Sample:
    return Sample(generation_id=generation_id, prompt_id=prompt_id, seed_id="seed_1",
                  recipe="math_chain_of_thought", prompt="What is 2 + 2?", answer=answer,
                  seed_payload='{"question": "What is 2 + 2?", "answer": "4"}',
                  admitted=admitted, clean_scan_id="scan_" + generation_id if admitted else None,
                  failed=failed, scores={} if score is None else {"judge": score},
                  verdict_ids=("vrd_" + generation_id,))


DEFAULT_SPEC = Path(__file__).resolve().parents[1] / "synth_assets" / "default_spec" / \
    "pipeline.yaml"


def pairs_of(samples: list[Sample], seed: int = 0, contaminated: tuple[str, ...] = (),
             **sources: dict) -> list[tuple[str, str, str]]:
    spec = PreferenceSetSpec(recipes=["math_chain_of_thought"], seed=seed, **sources)
    built = build_pairs("p", spec, load_spec(DEFAULT_SPEC), samples,
                        lambda texts: [text in contaminated for text in texts])
    return [(pair.source, pair.chosen.answer, pair.rejected) for pair in built]


def test_verifier_pairs_take_the_hard_negative_whatever_the_seed() -> None:
    samples = [sample("g1", "The answer is 4.", admitted=True),
               sample("g2", "The answer is 5, roughly.", failed=1),
               sample("g3", "banana", failed=2),
               sample("g4", "The answer is 4!", admitted=False, failed=0)]   # a duplicate
    for seed in range(5):
        assert pairs_of(samples, seed, verifier_pairs={}) == [
            ("verifier", "The answer is 4.", "The answer is 5, roughly.")]
    # A contaminated rejected answer leaves the pair out (not replaced by the next one: the
    # pair is scanned as chosen).
    assert pairs_of(samples, verifier_pairs={},
                    contaminated=("The answer is 5, roughly.",)) == []


def test_verifier_pairs_need_a_real_failure_and_a_cleared_chosen_side() -> None:
    # no sample failed a verifier (one only lacks a verdict): no pair
    assert pairs_of([sample("g1", "4", admitted=True), sample("g2", "5")],
                    verifier_pairs={}) == []
    # the admitted sample was not cleared by contamination_reports: no pair
    uncleared = replace(sample("g1", "4", admitted=True), clean_scan_id=None)
    assert pairs_of([uncleared, sample("g2", "5", failed=1)], verifier_pairs={}) == []
    # a rejected answer identical to the chosen one (after whitespace) gives no pair
    assert pairs_of([sample("g1", "4", admitted=True), sample("g2", " 4\n", failed=1)],
                    verifier_pairs={}) == []


def test_seeded_choice_and_counts_are_deterministic() -> None:
    samples = [sample(f"g{p}{i}", f"answer {p} {i}", admitted=i < 2, failed=int(i >= 2),
                      prompt_id=f"prm_{p}") for p in range(20) for i in range(4)]
    first = pairs_of(samples, seed=1, verifier_pairs={"count": 7})
    assert len(first) == 7 and first == pairs_of(list(reversed(samples)), seed=1,
                                                 verifier_pairs={"count": 7})
    assert first != pairs_of(samples, seed=2, verifier_pairs={"count": 7})
    assert len(pairs_of(samples, seed=1, verifier_pairs={})) == 20


def test_score_pairs_need_the_margin() -> None:
    samples = [sample("g1", "great", admitted=True, score=0.9),
               sample("g2", "fine", admitted=True, score=0.7),
               sample("g3", "poor", failed=1, score=0.2)]
    assert pairs_of(samples, score_pairs={"verifier": "judge", "min_margin": 0.7}) == [
        ("score", "great", "poor")]
    assert pairs_of(samples, score_pairs={"verifier": "judge", "min_margin": 0.8}) == []
