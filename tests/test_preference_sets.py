"""preference_sets on a real pipeline run (Dagster, litellm to a local stub teacher whose answers
are known to pass or fail): exact pair counts per source, contaminated pairs left out, the TRL
exports load with datasets, lineage and forget reach pairs, the GE suite catches a short
source, and the RL reward functions agree with the stored verdicts."""

import json
import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from synth_assets.cli import main
from synth_assets.defs.ge_adapter import validate_frame
from synth_assets.defs.preference_sets.suite import preference_sets_suite
from synth_assets.lineage.forget import plan_removal, remove
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore, StoreWriter
from synth_assets.mix.preference_diff import diff_preference_sets, preference_materializations
from synth_assets.mix.preferences import BenchmarkScan, pair_set
from synth_assets.rewards import verifier_reward, verifier_scores
from synth_assets.spec import LoadedSpec, load_spec
from synth_assets.spec.default_filters import FILTERS_BY_DOMAIN
from synth_assets.spec.load import SpecError
from synth_assets.stages.partitions import all_partitions_snapshot
from synth_assets.stages.preference_stage import run_preference_stage
from synth_assets.stages.teacher_stage import STAGE as TEACHER_STAGE
from synth_assets.stages.verify_stage import current_verifiers, verdict_id
from tests.conftest import write_jsonl
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import (
    FIRST_SAMPLE_SEEDS,
    GSM8K_TEST,
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

    # A second `synth run` with nothing new reuses the set: its metadata says so, its check
    # passes again, and the export files keep their bytes and times.
    def reused() -> bool:
        event = instance.get_latest_materialization_event(dg.AssetKey("preference_sets"))
        return event.asset_materialization.metadata["prefs/reused"].value

    built = export_files(exports)
    assert not reused()
    rerun = run_pipeline(instance)
    assert rerun.success and reused()
    assert ("preference_sets_expectations", True) in [
        (e.check_name, e.passed) for e in rerun.check_evaluations()]
    assert export_files(exports) == built

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
                           "avg(v.score) FROM generations g JOIN verdicts v USING (generation_id) "
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
    # synth diff names why they left: forgotten.
    capsys.readouterr()
    assert main(["diff", "prefs"]) == 0
    out = capsys.readouterr().out
    assert "0 added, 2 removed" in out and "removed (forgotten): 2" in out


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


# Pairing on a store filled directly: one recipe with two verifiers ("length" and "judge", a
# scored one), whose verdicts the samples state, and a scan that flags the listed texts.

RECIPE = "math_cot"
PAIRING_SPEC = {
    "version": 1,
    "seed_sets": {"math": {"path": "seeds.jsonl", "kind": "math"}},
    "teachers": {"t": {"model": "openai/fixture"}},
    "recipes": {RECIPE: {"seed_set": "math", "teacher": "t", "template": "{{ question }}",
                         "domain": "math", "samples_per_seed": 4,
                         "verifiers": ["length", "judge"],
                         "skip_filters": FILTERS_BY_DOMAIN["math"]}},
    "verifiers": {"length": {"type": "length"},
                  "judge": {"type": "length", "options": {"min_chars": 1}}},
    "dedup": {"enabled": True},
    "benchmarks": {"gsm8k_test": {"type": "file", "path": str(GSM8K_TEST),
                                  "question_field": "question"}},
    "contamination": {"ngram_n": 13, "semantic": {"backend": "tfidf"}},
}


@dataclass(frozen=True)
class Side:
    """A generation of the fixture: its answer, its verdicts (verifier -> (passed, score);
    a verifier left out has no verdict) and whether contamination_reports cleared it."""

    generation_id: str
    answer: str
    verdicts: dict[str, tuple[bool, float]]
    cleared: bool = False
    prompt: str = "What is 2 + 2?"
    duplicate: bool = False


def passing(generation_id: str, answer: str, score: float = 1.0, **kwargs) -> Side:
    return Side(generation_id, answer, {"length": (True, 1.0), "judge": (True, score)},
                cleared=True, **kwargs)


def failing(generation_id: str, answer: str, failures: int = 1, score: float = 0.0,
            **kwargs) -> Side:
    return Side(generation_id, answer, {"length": (failures < 2, 0.0), "judge": (False, score)},
                **kwargs)


class PairingStore:
    """A real store holding the sides as judged generations, a clean snapshot of those cleared,
    and the spec with one preference set `p`."""

    def __init__(self, folder: Path, sides: list[Side]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        (folder / "seeds.jsonl").write_text('{"question": "q", "answer": "4"}\n')
        self.store = LineageStore(folder / "synth.duckdb")
        self.versions = {v: version for v, (_, version) in current_verifiers(
            self.loaded({"verifier_pairs": {}})).items()}
        self.sides: list[Side] = []
        self.contaminated: set[str] = set()
        self.add(sides)

    def add(self, sides: list[Side]) -> None:
        """Store the sides as new judged generations of the same run."""
        seeds = {side.prompt: content_id("seed", side.prompt) for side in sides}
        first = len(self.sides)
        self.sides += sides
        with self.store.writer() as writer:
            writer.insert_new("seeds", [
                {"seed_id": seed_id, "seed_set": "math", "kind": "math",
                 "payload": json.dumps({"question": p, "answer": "4"}),
                 "source_file": "seeds.jsonl", "source_line": 0}
                for p, seed_id in seeds.items()])
            writer.insert_new("generations", [
                {"generation_id": s.generation_id, "recipe": RECIPE,
                 "prompt_id": "prm_" + seeds[s.prompt], "call_id": "call_" + s.generation_id,
                 "seed_id": seeds[s.prompt], "sample_index": first + i, "text": s.answer}
                for i, s in enumerate(sides)])
            writer.insert_new("verdicts", [
                {"verdict_id": verdict_id(s.generation_id, name, self.versions[name]),
                 "generation_id": s.generation_id, "verifier": name,
                 "verifier_version": self.versions[name], "passed": passed, "score": score,
                 "reason": "fixture", "evidence": "", "duration_s": 0.0}
                for s in sides for name, (passed, score) in s.verdicts.items()])
            writer.insert_with("writes.sql", "append_contamination_verdicts", [
                {"scan_id": "scan_" + s.generation_id, "generation_id": s.generation_id,
                 "index_fingerprint": "fixture", "contaminated": False, "hit_count": 0}
                for s in sides if s.cleared])
            writer.link([(s.generation_id, self.sides[0].generation_id, "duplicate_of")
                         for s in sides if s.duplicate])
            self._snapshots(writer)

    def contaminate(self, generation_id: str) -> None:
        """A later contamination scan finds the generation in a benchmark (new items)."""
        self.contaminated.add(generation_id)
        with self.store.writer() as writer:
            writer.insert_with("writes.sql", "append_contamination_verdicts", [
                {"scan_id": "rescan_" + generation_id, "generation_id": generation_id,
                 "index_fingerprint": "fixture", "contaminated": True, "hit_count": 1}])
            writer.insert_new("contamination_hits", [
                {"hit_id": "hit_" + generation_id, "scan_id": "rescan_" + generation_id,
                 "generation_id": generation_id, "benchmark": "gsm8k", "item_id": "test-17",
                 "detector": "ngram", "score": 1.0, "evidence": "13-gram overlap",
                 "item_excerpt": "...", "segment": "response", "record_excerpt": "..."}])
            self._snapshots(writer)

    def _snapshots(self, writer: StoreWriter) -> None:
        self.judged = writer.record_snapshot("teacher_generations", "*",
                                             [s.generation_id for s in self.sides])
        self.clean = writer.record_snapshot(
            "contamination_reports", "*",
            ["scan_" + s.generation_id for s in self.sides
             if s.cleared and s.generation_id not in self.contaminated])

    def loaded(self, sources: dict, seed: int = 0) -> LoadedSpec:
        spec = {**PAIRING_SPEC, "preference_sets": {"p": {"recipes": [RECIPE], "seed": seed,
                                                          "rl_prompts": False, **sources}}}
        path = self.folder / "pipeline.yaml"
        path.write_text(yaml.safe_dump(spec))
        return load_spec(path)

    def pairs(self, seed: int = 0, contaminated: tuple[str, ...] = (), **sources: dict
              ) -> list[dict]:
        """The stored pairs of one materialization, in the export's (seeded) order."""
        scan = BenchmarkScan("fixture", lambda texts: [text in contaminated for text in texts])
        with self.store.writer() as writer:
            pair_set(writer, self.loaded(sources, seed), "p", self.clean, self.judged, scan,
                     run_id="test")
            return [dict(zip(["pair_id", "source", "chosen_id", "rejected_id", "chosen",
                              "rejected", "rejected_failures"], row, strict=True))
                    for row in writer.connection.execute(
                        "SELECT pair_id, source, chosen_id, rejected_id, chosen, rejected, "
                        "rejected_failures FROM preference_picks").fetchall()]


def texts(pairs: list[dict]) -> list[tuple[str, str, str]]:
    return [(p["source"], p["chosen"], p["rejected"]) for p in pairs]


def test_verifier_pairs_take_the_hard_negative_whatever_the_seed(tmp_path: Path) -> None:
    fixture = PairingStore(tmp_path, [
        passing("g1", "The answer is 4."),
        failing("g2", "The answer is 5, roughly."),
        failing("g3", "banana", failures=2),
        # admitted but dropped as a duplicate: neither chosen nor a failure
        passing("g4", "The answer is 4!", duplicate=True),
    ])
    for seed in range(5):
        pairs = fixture.pairs(seed, verifier_pairs={})
        assert texts(pairs) == [("verifier", "The answer is 4.", "The answer is 5, roughly.")]
        assert pairs[0]["rejected_failures"] == 1
        # the id is the one content_id gives (the same as before pairing moved into DuckDB)
        assert pairs[0]["pair_id"] == content_id("pair", "p", "verifier", "g1", "g2")
    # A contaminated rejected answer leaves the prompt without a pair: the next-best negative
    # is not scanned in its place.
    assert fixture.pairs(verifier_pairs={}, contaminated=("The answer is 5, roughly.",)) == []


def test_pairs_that_should_slip_past_are_left_out(tmp_path: Path) -> None:
    """Rejected answers that are the chosen one in disguise, blank, or contaminated; a
    'failure' that is only a missing verdict; a chosen side contamination_reports did not
    clear."""
    fixture = PairingStore(tmp_path, [
        passing("a1", "4", prompt="a"),
        failing("a2", "\u00a0 4\n\t", prompt="a"),           # the chosen text, padded
        failing("a3", "\u2003\n", prompt="a"),               # blank
        passing("b1", "4", prompt="b"),
        Side("b2", "5", {"length": (True, 1.0)}, prompt="b"),  # no judge verdict: no failure
        replace(passing("c1", "4", prompt="c"), cleared=False),
        failing("c2", "5", prompt="c"),
        passing("d1", "4", prompt="d"),
        failing("d2", "As in GSM8K test item 17: 5", prompt="d"),
    ])
    assert fixture.pairs(verifier_pairs={}, score_pairs={"verifier": "judge"},
                         contaminated=("As in GSM8K test item 17: 5",)) == []
    # without the contamination, prompt d gives its pairs
    assert sorted(texts(fixture.pairs(verifier_pairs={}, score_pairs={"verifier": "judge"}))) \
        == [("score", "4", "As in GSM8K test item 17: 5"),
            ("verifier", "4", "As in GSM8K test item 17: 5")]


def test_exact_counts_and_a_seeded_deterministic_choice(tmp_path: Path) -> None:
    sides = [passing(f"g{p}-{i}", f"answer {p} {i}", prompt=f"prompt {p}") if i < 2 else
             failing(f"g{p}-{i}", f"answer {p} {i}", prompt=f"prompt {p}")
             for p in range(20) for i in range(4)]
    fixture = PairingStore(tmp_path / "forward", sides)
    first = fixture.pairs(seed=1, verifier_pairs={"count": 7})
    assert len(first) == 7
    assert fixture.pairs(seed=1, verifier_pairs={"count": 7}) == first
    # the same samples stored in the opposite order give the same pairs
    reversed_store = PairingStore(tmp_path / "reversed", list(reversed(sides)))
    assert reversed_store.pairs(seed=1, verifier_pairs={"count": 7}) == first
    assert fixture.pairs(seed=2, verifier_pairs={"count": 7}) != first
    every = fixture.pairs(seed=1, verifier_pairs={}, score_pairs={"verifier": "judge",
                                                                  "count": 5})
    assert Counter(p["source"] for p in every) == {"verifier": 20, "score": 5}
    # each prompt's chosen side is one of its two admitted samples, picked by the seed
    chosen = {p["chosen_id"] for p in every if p["source"] == "verifier"}
    assert len(chosen) == 20 and all(c.endswith(("-0", "-1")) for c in chosen)
    assert chosen != {p["chosen_id"] for p in fixture.pairs(seed=5, verifier_pairs={})}


def test_score_pairs_need_the_margin(tmp_path: Path) -> None:
    fixture = PairingStore(tmp_path, [passing("g1", "great", score=0.9),
                                      passing("g2", "fine", score=0.7),
                                      failing("g3", "poor", score=0.2)])
    assert texts(fixture.pairs(score_pairs={"verifier": "judge", "min_margin": 0.7})) == [
        ("score", "great", "poor")]
    assert fixture.pairs(score_pairs={"verifier": "judge", "min_margin": 0.8}) == []


def test_diff_names_why_pairs_entered_and_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys) -> None:
    quoting = "As in GSM8K test item 3: 5"
    fixture = PairingStore(tmp_path, [
        passing("a1", "4", prompt="a"), failing("a2", "5", prompt="a"),
        passing("b1", "4", prompt="b"), failing("b2", quoting, prompt="b"),
        passing("c1", "4", prompt="c"), failing("c2", "banana", failures=2, prompt="c"),
        passing("d1", "4", prompt="d"), failing("d2", "5", prompt="d"),
    ])
    fixture.pairs(verifier_pairs={})
    # Then: a1 is found in a benchmark, the scan of rejected answers learns b2's benchmark
    # item, and prompt c gets a closer negative.
    fixture.contaminate("a1")
    fixture.add([failing("c3", "5, I think", prompt="c")])
    fixture.pairs(verifier_pairs={}, contaminated=(quoting,))

    before, after = preference_materializations(fixture.store, "p")
    changes = {(c.change, c.pair_id): (c.reason, c.detail)
               for c in diff_preference_sets(fixture.store, before, after)}

    def pair(chosen: str, rejected: str) -> str:
        return content_id("pair", "p", "verifier", chosen, rejected)

    assert {key: reason for key, (reason, _) in changes.items()} == {
        ("removed", pair("a1", "a2")): "chosen side contaminated",
        ("removed", pair("b1", "b2")): "rejected side contaminated",
        ("removed", pair("c1", "c2")): "pairing changed",
        ("added", pair("c1", "c3")): "new generation",
    }
    assert "gsm8k item test-17" in changes[("removed", pair("a1", "a2"))][1]
    assert f"pairs c1 against c3 ({pair('c1', 'c3')})" in \
        changes[("removed", pair("c1", "c2"))][1]

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    capsys.readouterr()
    assert main(["diff", "p", "--db", str(fixture.store.path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("preference set p\n") and "1 added, 3 removed" in out
    assert "removed (rejected side contaminated): 1" in out
    # only one materialization to compare against: a clear error
    assert main(["diff", "p", "--db", str(fixture.store.path), "--to", before.id]) == 2


def test_the_suite_catches_pairs_that_slipped_past_the_builder(tmp_path: Path) -> None:
    """Pairs the builder never forms, stored by other code: the chosen text padded with a
    no-break space, a rejected answer quoting a GSM8K test question, a blank rejected side.
    The blocking suite fails each, and passes the builder's own pairs."""
    fixture = PairingStore(tmp_path, [passing("g1", "The answer is 4."),
                                      failing("g2", "The answer is 5.")])
    fixture.pairs(verifier_pairs={"count": 1})
    honest = preference_materializations(fixture.store, "p")[0].row["pairs_snapshot_id"]
    crafted = {"identical": "\u00a0The answer is 4. ",
               "contaminated": f"As in: {first_gsm8k_test_question()} The answer is 5.",
               "blank": "\u2003"}
    with fixture.store.writer() as writer:
        writer.insert_new("preference_pairs", [
            {"pair_id": f"pair_{kind}", "preference_set": "p", "source": "verifier",
             "prompt_id": "prm_x", "chosen_id": "g1", "rejected_id": f"g_{kind}",
             "prompt": "What is 2 + 2?", "chosen": "The answer is 4.", "rejected": text,
             "chosen_score": None, "rejected_score": None, "rejected_failures": 1}
            for kind, text in crafted.items()])
        slipped = writer.record_snapshot("preference_sets", "p",
                                         [f"pair_{kind}" for kind in crafted])
    loaded = fixture.loaded({"verifier_pairs": {"count": 1}})
    frame, expectations = preference_sets_suite(fixture.store, loaded, {"p": slipped})
    assert frame[["pairs", "identical_sides", "empty_sides", "contaminated_sides"]] \
        .to_dict("records") == [{"pairs": 3, "identical_sides": 1, "empty_sides": 1,
                                 "contaminated_sides": 1}]
    assert not validate_frame(frame, expectations, "preference_sets").passed
    frame, expectations = preference_sets_suite(fixture.store, loaded, {"p": honest})
    assert validate_frame(frame, expectations, "preference_sets").passed


def export_files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under the folder: its bytes and modification time (ns)."""
    return {path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_a_rerun_with_nothing_new_reuses_and_any_changed_input_rebuilds(tmp_path: Path) -> None:
    fixture = PairingStore(tmp_path, [passing("g1", "The answer is 4."),
                                      failing("g2", "The answer is 5."),
                                      passing("h1", "4", prompt="What is 3 + 1?"),
                                      failing("h2", "3", prompt="What is 3 + 1?")])
    exports = tmp_path / "exports"
    sources = {"verifier_pairs": {}}

    def loaded_with(seed: int = 0, **changes: object) -> LoadedSpec:
        """The fixture's spec with one value replaced: {"dotted.key": value}."""
        fixture.loaded(sources, seed)
        path = fixture.folder / "pipeline.yaml"
        spec = yaml.safe_load(path.read_text())
        for dotted, value in changes.items():
            *parents, last = dotted.split(".")
            node = spec
            for key in parents:
                node = node[key]
            node[last] = value
        path.write_text(yaml.safe_dump(spec))
        return load_spec(path)

    def run(loaded: LoadedSpec, run_id: str) -> tuple[bool, list[str]]:
        log: list[str] = []
        [result] = run_preference_stage(fixture.store, loaded, fixture.clean, fixture.judged,
                                        exports, run_id, log=log.append)
        assert result.reused == any("reusing its stored result" in line for line in log)
        return result.reused, log

    first = loaded_with()
    assert not run(first, "run-1")[0]
    built = export_files(exports / "p")
    assert "dpo/data.jsonl" in built
    # Nothing new: reused, the export untouched (bytes and mtimes), whatever the run id.
    reused, log = run(first, "run-2")
    assert reused and "preference set p" in log[0]
    assert export_files(exports / "p") == built
    assert len(preference_materializations(fixture.store, "p")) == 1

    # Each input that decides the pairs rebuilds: the seed, a source's count, a recipe
    # verifier's threshold or options (its version), dedup, the detectors (their fingerprint).
    for changed in [loaded_with(seed=1),
                    loaded_with(**{"preference_sets.p.verifier_pairs": {"count": 1}}),
                    loaded_with(**{"verifiers.judge.min_score": 0.5}),
                    loaded_with(**{"verifiers.length.options": {"min_chars": 2}}),
                    loaded_with(**{"dedup.enabled": False}),
                    loaded_with(**{"contamination.ngram_n": 8})]:
        assert not run(changed, "run-3")[0]
        assert run(changed, "run-3")[0]
        assert not run(first, "run-3")[0]       # back to the first spec: its export was replaced
        assert run(first, "run-3")[0]

    # The export folder tampered with, or gone: rebuilt.
    (exports / "p" / "dpo" / "data.jsonl").write_text("")
    assert not run(first, "run-4")[0]
    assert (exports / "p" / "dpo" / "data.jsonl").read_text() != ""
    for path in sorted((exports / "p").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert not run(first, "run-4")[0] and run(first, "run-4")[0]

    # New judged generations, or a chosen side found contaminated later: new snapshots, rebuilt.
    fixture.add([failing("g3", "The answer is 4.5.")])
    assert not run(first, "run-5")[0] and run(first, "run-5")[0]
    fixture.contaminate("h1")
    assert not run(first, "run-6")[0] and run(first, "run-6")[0]

    # `synth forget` of a rejected side: the snapshots the key holds are unchanged, but the
    # stored build held a pair made from it, so the next run rebuilds without it.
    remove(fixture.store, plan_removal(fixture.store, "g2"))
    reused, _ = run(first, "run-7")
    assert not reused
    exported = (exports / "p" / "dpo" / "data.jsonl").read_text()
    assert "g2" not in exported and "The answer is 5." not in exported


def test_the_suite_scans_a_snapshot_once_per_detector_fingerprint(tmp_path: Path) -> None:
    """The suite stores its scan of the pair texts under the snapshot and the detectors'
    fingerprint: checking the same snapshot again reads it, other detectors scan again, and a
    forget ends what was stored."""
    fixture = PairingStore(tmp_path, [passing("g1", "The answer is 4."),
                                      failing("g2", "The answer is 5.")])
    fixture.pairs(verifier_pairs={})
    snapshot = preference_materializations(fixture.store, "p")[0].row["pairs_snapshot_id"]
    loaded = fixture.loaded({"verifier_pairs": {}})

    def stored_scans() -> list[tuple]:
        return rows(fixture.store.path, "SELECT pairs_snapshot_id, hits FROM "
                                        "preference_pair_scans ORDER BY scan_fingerprint")

    frame, expectations = preference_sets_suite(fixture.store, loaded, {"p": snapshot})
    assert validate_frame(frame, expectations, "preference_sets").passed
    assert stored_scans() == [(snapshot, '{}')]  # no pair with a hit
    again, _ = preference_sets_suite(fixture.store, loaded, {"p": snapshot})
    assert again.equals(frame) and len(stored_scans()) == 1
    # A stored scan is what the suite reads: one claiming a hit fails the check (so an
    # unchanged snapshot is not rescanned) ...
    with fixture.store.writer() as writer:
        writer.connection.execute("UPDATE preference_pair_scans SET hits = '{\"verifier\": 1}'")
    frame, expectations = preference_sets_suite(fixture.store, loaded, {"p": snapshot})
    assert frame["contaminated_sides"].tolist() == [1]
    # ... and other detectors (another n) scan again, under their own fingerprint.
    spec = yaml.safe_load((fixture.folder / "pipeline.yaml").read_text())
    spec["contamination"]["ngram_n"] = 8
    (fixture.folder / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    other = load_spec(fixture.folder / "pipeline.yaml")
    frame, _ = preference_sets_suite(fixture.store, other, {"p": snapshot})
    assert frame["contaminated_sides"].tolist() == [0] and len(stored_scans()) == 2
    remove(fixture.store, plan_removal(fixture.store, "g2"))
    assert stored_scans() == []
