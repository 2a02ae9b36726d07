"""The spec's budget stops teacher_generations cleanly: what was answered is kept and stored,
the rest is not sent, the asset says so, and a later run with more budget sends only the rest."""

from pathlib import Path

import dagster as dg
import pytest

from synth_assets.defs.partitions import partition_key, register_recipes
from synth_assets.defs.resources import SynthStore
from synth_assets.defs.seed_sets.asset import seed_sets
from synth_assets.defs.teacher_generations.asset import teacher_generations
from synth_assets.lineage.store import LineageStore
from synth_assets.stages.teacher_stage import run_teacher_stage
from synth_assets.teacher.cached import BudgetPriceError
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import TEST_DAY
from tests.teacher_fixture import seeded, write_teacher_spec

PROMPTS = [f"prompt {i:02d}" for i in range(60)]
ANSWER = "four words of answer"  # the stub counts whitespace-separated words as tokens
PRICES = {"input_cost_per_token": 0.001, "output_cost_per_token": 0.002, "concurrency": 2}
COST_PER_CALL = 2 * 0.001 + 4 * 0.002
TOKENS_PER_CALL = 2 + 4


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test")
    with OpenAIStub(lambda request: ANSWER) as server:
        yield server


@pytest.mark.parametrize("budget", [{"max_cost_usd": 0.25}, {"max_tokens": 150}])
def test_budget_stops_before_the_batch_that_would_cross_it(
    stub: OpenAIStub, tmp_path: Path, budget: dict
) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    spec = write_teacher_spec(tmp_path / "spec", stub.base_url, PROMPTS, teacher=PRICES,
                              budget=budget)
    logs: list[str] = []
    result = run_teacher_stage(store, *seeded(store, spec), log=logs.append)
    calls = result.calls

    assert calls.budget_stop is not None and "budget" in calls.budget_stop
    assert any(line.startswith(f"stopped before {len(calls.not_attempted)} calls: budget")
               for line in logs)
    assert calls.answered + len(calls.not_attempted) == len(PROMPTS)
    assert not calls.failures
    assert len(stub.requests) == calls.answered
    assert calls.spent.cost_usd == pytest.approx(calls.answered * COST_PER_CALL)
    if "max_cost_usd" in budget:
        limit, spent, per_call = budget["max_cost_usd"], calls.spent.cost_usd, COST_PER_CALL
    else:
        limit, spent, per_call = budget["max_tokens"], calls.spent.tokens, TOKENS_PER_CALL
    # Every call costs the same here, so the estimate is exact: it stops one call short of
    # crossing the line, not before.
    assert limit - per_call < spent <= limit
    assert result.new_generations == calls.answered

    more = write_teacher_spec(tmp_path / "spec", stub.base_url, PROMPTS, teacher=PRICES)
    seen = len(stub.requests)
    rest = run_teacher_stage(store, *seeded(store, more), log=lambda _: None)
    assert len(stub.requests) - seen == len(calls.not_attempted)
    assert rest.calls.cached == calls.answered
    assert rest.new_generations == len(calls.not_attempted)


def test_asset_reports_the_budget_stop(stub: OpenAIStub, tmp_path: Path, dagster_home: Path
                                       ) -> None:
    spec = write_teacher_spec(tmp_path / "spec", stub.base_url, PROMPTS, teacher=PRICES,
                              budget={"max_cost_usd": 0.25, "allow_partial": True})
    resource = SynthStore(spec_path=str(spec), db_path=str(tmp_path / "synth.duckdb"))
    with dg.DagsterInstance.get() as instance:
        register_recipes(instance, resource.load_spec())
        result = dg.materialize([seed_sets, teacher_generations], instance=instance,
                                resources={"synth": resource},
                                partition_key=partition_key(TEST_DAY, "chat"))
    assert result.success
    metadata = result.asset_materializations_for_node("teacher_generations")[0].metadata
    made = metadata["teacher_calls_made"].value
    assert metadata["budget_stop"].value.startswith("budget: $")
    assert metadata["not_attempted_budget"].value == len(PROMPTS) - made
    assert metadata["generations"].value == made
    assert metadata["run_cost_usd"].value == pytest.approx(made * COST_PER_CALL)
    assert metadata["cost_usd"].value == pytest.approx(made * COST_PER_CALL)
    warnings = [e.message for e in instance.all_logs(result.run_id)
                if e.level == 30 and "stopped early" in (e.message or "")]
    assert warnings


def test_cost_budget_needs_a_price(stub: OpenAIStub, tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    spec = write_teacher_spec(tmp_path / "spec", stub.base_url, PROMPTS[:2],
                              budget={"max_cost_usd": 1.0})
    with pytest.raises(BudgetPriceError, match="input_cost_per_token"):
        run_teacher_stage(store, *seeded(store, spec), log=lambda _: None)
    assert not stub.requests
