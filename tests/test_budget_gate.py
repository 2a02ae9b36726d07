"""The budget gate: an estimate of the teacher calls a run would make, checked against the spec's
budget before any call is sent."""

import os
from pathlib import Path

import dagster as dg
import pytest
import yaml

from synth_assets.definitions import defs
from synth_assets.defs.partitions import partition_key, register_recipes
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.spec.model import BudgetSpec, TeacherSpec
from synth_assets.teacher.estimate import (
    budget_problems,
    estimate_requests,
    token_prices,
)
from synth_assets.teacher.requests import build_request
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import EXPECTED, TEST_DAY, stub_answer, write_pipeline_spec

STUB_MAX_TOKENS = 64  # the stub teacher's max_tokens in tests/pipeline_fixture.py


def with_budget(spec_path: Path, budget: dict, prices: dict | None = None) -> Path:
    spec = yaml.safe_load(spec_path.read_text())
    spec["budget"] = budget
    spec["teachers"]["stub"].update(prices or {})
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return spec_path


@pytest.fixture
def stub_teacher(dagster_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(stub_answer) as stub:
        yield stub


def use_spec(monkeypatch: pytest.MonkeyPatch, spec: Path) -> None:
    monkeypatch.setenv("SYNTH_SPEC", str(spec))


MATH = partition_key(TEST_DAY, "math_cot")
MATH_CALLS = 6  # 3 seeds x 2 samples


def run(selection: list[str] | None = None, partition: dg.MultiPartitionKey | None = MATH
        ) -> dg.ExecuteInProcessResult:
    """The whole pipeline (or the selected assets) for one partition, or for none."""
    with dg.DagsterInstance.get() as instance:
        register_recipes(instance, load_spec(os.environ["SYNTH_SPEC"]))
        if selection is None:
            job = defs.resolve_job_def("full_pipeline")
            return job.execute_in_process(instance=instance, raise_on_error=False,
                                          partition_key=partition)
        job = defs.resolve_implicit_global_asset_job_def()
        return job.execute_in_process(instance=instance, raise_on_error=False,
                                      partition_key=partition,
                                      asset_selection=[dg.AssetKey(k) for k in selection])


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}


def budget_check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == "teacher_budget")


def test_over_budget_run_makes_no_teacher_call(
    stub_teacher: OpenAIStub, dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = with_budget(write_pipeline_spec(tmp_path / "spec", stub_teacher.base_url),
                       {"max_cost_usd": 0.01},
                       {"input_cost_per_token": 0.0, "output_cost_per_token": 0.001})
    use_spec(monkeypatch, spec)
    result = run()
    assert not result.success
    gate = budget_check(result)
    assert not gate.passed
    expected_cost = MATH_CALLS * STUB_MAX_TOKENS * 0.001  # the run's partition only
    assert gate.metadata["estimated_cost_usd"].value == pytest.approx(expected_cost)
    assert gate.metadata["teacher_calls_to_make"].value == MATH_CALLS
    assert "exceeds budget.max_cost_usd" in gate.description
    assert materialized(result) == {"seed_sets"}
    assert len(stub_teacher.requests) == 0
    counts = {row["table_name"]: row["row_count"]
              for row in LineageStore(dagster_home / "synth.duckdb").query("table_row_counts")}
    assert counts["teacher_calls"] == 0 and counts["generations"] == 0

    # teacher_generations alone has no budget check in its run: the asset refuses by itself.
    alone = run(["teacher_generations"])
    assert not alone.success
    failure = alone.get_step_failure_events()[0].step_failure_data.error
    assert "budget gate" in failure.message
    assert len(stub_teacher.requests) == 0

    # A run without a partition (seed_sets alone) checks today's partition of every recipe.
    seeds_only = run(["seed_sets"], partition=None)
    assert budget_check(seeds_only).metadata["teacher_calls_to_make"].value == \
        EXPECTED["generations"]


def test_unpriced_teacher_cannot_be_held_to_a_cost_budget(
    stub_teacher: OpenAIStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = with_budget(write_pipeline_spec(tmp_path / "spec", stub_teacher.base_url),
                       {"max_cost_usd": 100.0})
    use_spec(monkeypatch, spec)
    result = run()
    gate = budget_check(result)
    assert not gate.passed
    assert "no price is known for openai/stub-teacher" in gate.description
    assert len(stub_teacher.requests) == 0


def test_cached_answers_cost_nothing_against_the_budget(
    stub_teacher: OpenAIStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec_path = write_pipeline_spec(tmp_path / "spec", stub_teacher.base_url)
    use_spec(monkeypatch, with_budget(spec_path, {"max_tokens": 100_000}))
    first = run()
    assert first.success and budget_check(first).passed
    full_estimate = budget_check(first).metadata["estimated_tokens"].value
    assert full_estimate > MATH_CALLS * STUB_MAX_TOKENS

    # A budget far below a full run still admits a rerun: every answer is cached.
    use_spec(monkeypatch, with_budget(spec_path, {"max_tokens": 1}))
    second = run()
    assert second.success
    gate = budget_check(second)
    assert gate.passed
    assert gate.metadata["teacher_calls_cached"].value == MATH_CALLS
    assert gate.metadata["estimated_tokens"].value == 0
    assert len(stub_teacher.requests) == MATH_CALLS


def test_estimate_counts_prompts_samples_and_expected_length() -> None:
    teacher = TeacherSpec(model="openai/gpt-4o-mini", max_tokens=100)
    messages = [{"role": "user", "content": "Solve: Ann has 3 boxes with 4 pens each."}]
    requests = [build_request(teacher, messages, sample) for sample in range(3)]
    estimate = estimate_requests("big", teacher, requests, expected_completion_tokens=40)
    one_prompt = estimate.prompt_tokens // 3
    assert estimate.prompt_tokens == 3 * one_prompt and one_prompt > 5
    assert estimate.completion_tokens == 3 * 40
    input_price, output_price = token_prices(teacher)
    assert input_price > 0 and output_price > 0  # from litellm's cost map
    assert estimate.cost_usd == pytest.approx(
        estimate.prompt_tokens * input_price + estimate.completion_tokens * output_price)
    # An expected length above max_tokens is capped: an answer cannot bill more.
    assert estimate_requests("big", teacher, requests, 1000).completion_tokens == 3 * 100

    assert budget_problems([estimate], BudgetSpec(max_tokens=estimate.total_tokens)) == []
    over = budget_problems([estimate], BudgetSpec(max_tokens=estimate.total_tokens - 1,
                                                  max_cost_usd=0.0))
    assert len(over) == 2 and "budget.max_tokens" in over[0] and "max_cost_usd" in over[1]


def test_token_prices_prefer_the_spec_and_know_the_embedded_model_is_free() -> None:
    assert token_prices(TeacherSpec(model="openai/gpt-4o-mini", input_cost_per_token=1e-3,
                                    output_cost_per_token=2e-3)) == (1e-3, 2e-3)
    assert token_prices(TeacherSpec(model="embedded/smollm2-135m-instruct")) == (0.0, 0.0)
    assert token_prices(TeacherSpec(model="openai/no-such-model-anywhere")) is None
