"""A verified_subsets rerun with unchanged inputs reuses the stored result; any change of what
the result depends on (thresholds here) runs the stage again."""

from pathlib import Path

from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.stages.seed_stage import run_seed_stage
from synth_assets.stages.teacher_stage import run_teacher_stage
from synth_assets.stages.verify_reuse import run_verify_stage_reusing
from synth_assets.stages.verify_stage import VerifyStageResult
from tests.openai_stub import OpenAIStub
from tests.test_verify_stage_ledger import stub, write_spec  # noqa: F401  (stub: a fixture)

INSTRUCTIONS = ["Explain why the sky looks blue.", "What is the capital of Mars?"]


def verify(store: LineageStore, spec_path: Path, log: list[str]) -> VerifyStageResult:
    loaded = load_spec(spec_path)
    seeds = run_seed_stage(store, loaded)
    teacher = run_teacher_stage(store, loaded, seeds.seeds, log=lambda _: None)
    return run_verify_stage_reusing(store, loaded, teacher.snapshot_id, log=log.append)


def test_unchanged_inputs_reuse_the_result_and_changed_thresholds_do_not(
    stub: OpenAIStub, tmp_path: Path  # noqa: F811
) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    spec = write_spec(tmp_path, stub.base_url, INSTRUCTIONS)
    first_log: list[str] = []
    first = verify(store, spec, first_log)
    assert first.newly_run and not any("reusing" in line for line in first_log)

    again_log: list[str] = []
    again = verify(store, spec, again_log)
    assert any("reusing its stored result" in line for line in again_log)
    assert (again.snapshot_id, again.passed, again.duplicates, again.judged) == (
        first.snapshot_id, first.passed, first.duplicates, first.judged)
    assert again.per_recipe.to_dict(orient="records") == first.per_recipe.to_dict(
        orient="records")
    heads = store.query("partition_heads_of_stage", stage="verified_subsets")
    assert [head["snapshot_id"] for head in heads] == [first.snapshot_id]

    stricter_log: list[str] = []
    stricter = verify(store, write_spec(tmp_path, stub.base_url, INSTRUCTIONS,
                                        **{"verifiers.judge.min_score": 0.95}), stricter_log)
    assert not any("reusing" in line for line in stricter_log)
    assert stricter.passed < first.passed
    heads = store.query("partition_heads_of_stage", stage="verified_subsets")
    assert [head["snapshot_id"] for head in heads] == [stricter.snapshot_id]

    back = verify(store, write_spec(tmp_path, stub.base_url, INSTRUCTIONS), [])  # same file
    assert back.snapshot_id == first.snapshot_id
    heads = store.query("partition_heads_of_stage", stage="verified_subsets")
    assert [head["snapshot_id"] for head in heads] == [first.snapshot_id]
