"""The daily schedule, the seed-file sensor and the stage automation, evaluated the way the
Dagster daemon evaluates them."""

import datetime
import os
from pathlib import Path

import dagster as dg
import pytest

from synth_assets.definitions import defs
from synth_assets.defs.automation import daily_generation, seed_file_sensor
from synth_assets.defs.partitions import partition_key, today
from synth_assets.defs.resources import SynthStore
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import TEST_DAY, run_pipeline, stub_answer, write_pipeline_spec

RECIPES = ["math_cot", "code", "chat"]


def test_daily_schedule_requests_a_new_day_of_every_first_round_recipe(
    dagster_home: Path, tmp_path: Path
) -> None:
    spec = write_pipeline_spec(tmp_path / "spec", "http://127.0.0.1:9/v1")
    when = datetime.datetime(2026, 11, 21, 3, 0, tzinfo=datetime.UTC)
    with dg.DagsterInstance.get() as instance, dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when,
        resources={"synth": SynthStore(spec_path=str(spec))},
    ) as context:
        requests = daily_generation(context)
        assert set(instance.get_dynamic_partitions("recipes")) == set(RECIPES)
    assert [r.partition_key for r in requests] == [partition_key("2026-11-21", recipe)
                                                   for recipe in RECIPES]
    assert [r.run_key for r in requests] == [f"daily-2026-11-21-{r}" for r in RECIPES]
    assert daily_generation.job_name == "generate"
    assert daily_generation.default_status == dg.DefaultScheduleStatus.STOPPED
    assert daily_generation.cron_schedule == "0 3 * * *"


def tick(instance: dg.DagsterInstance, spec: Path, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                      resources={"synth": SynthStore(spec_path=str(spec))},
                                      repository_def=defs.get_repository_def())
    with dg.partition_loading_context(dynamic_partitions_store=instance):
        result = seed_file_sensor.evaluate_tick(context)
    for request in result.dynamic_partitions_requests:  # what the daemon does with them
        instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
    return result


def test_seed_file_sensor_reacts_to_content_not_mtime(dagster_home: Path, tmp_path: Path
                                                      ) -> None:
    spec = write_pipeline_spec(tmp_path / "spec", "http://127.0.0.1:9/v1")
    math_file = tmp_path / "spec" / "seeds" / "math.jsonl"
    assert seed_file_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert seed_file_sensor.job_name == "generate"
    instance = dg.DagsterInstance.get()

    first = tick(instance, spec, None)
    assert first.run_requests == [] and "watching 3 seed files" in first.skip_message
    assert set(instance.get_dynamic_partitions("recipes")) == set(RECIPES)
    assert tick(instance, spec, first.cursor).run_requests == []

    later = datetime.datetime.now().timestamp() + 3600
    os.utime(math_file, (later, later))  # touched, same bytes
    assert tick(instance, spec, first.cursor).run_requests == []

    original = math_file.read_text()
    math_file.write_text(original + '{"question": "What is 2 + 2?", "answer": "4"}\n')
    changed = tick(instance, spec, first.cursor)
    [request] = changed.run_requests  # only the recipe reading the math seeds
    assert request.partition_key == partition_key(today(), "math_cot")
    assert request.tags["synth/seed_sets"] == "math"
    assert tick(instance, spec, changed.cursor).run_requests == []

    math_file.write_text(original)  # a revert is a change too, with its own run key
    reverted = tick(instance, spec, changed.cursor)
    assert [r.tags["synth/seed_sets"] for r in reverted.run_requests] == ["math"]
    assert reverted.run_requests[0].run_key != request.run_key


def test_seed_file_sensor_names_a_missing_seed_file(tmp_path: Path) -> None:
    spec = write_pipeline_spec(tmp_path / "spec", "http://127.0.0.1:9/v1")
    (tmp_path / "spec" / "seeds" / "code.jsonl").unlink()
    with pytest.raises(Exception, match=r"code\.jsonl: seed set 'code': cannot read file"):
        tick(dg.DagsterInstance.ephemeral(), spec, None)


def test_later_stages_follow_an_upstream_change(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(stub_answer) as stub, dg.DagsterInstance.get() as instance:
        monkeypatch.setenv("SYNTH_SPEC", str(write_pipeline_spec(tmp_path / "spec",
                                                                  stub.base_url)))
        assert run_pipeline(instance).success
        settled = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert settled.total_requested == 0  # a whole-pipeline run leaves nothing to follow

        # A person regenerates one partition's teacher answers only: its verification follows,
        # and so do the stages that read every partition.
        job = defs.resolve_implicit_global_asset_job_def()
        chat = partition_key(TEST_DAY, "chat")
        assert job.execute_in_process(
            instance=instance, partition_key=chat,
            asset_selection=[dg.AssetKey("teacher_generations")]).success
        follow = dg.evaluate_automation_conditions(defs=defs, instance=instance,
                                                   cursor=settled.cursor)
        assert follow.get_requested_partitions(dg.AssetKey("verified_subsets")) == {chat}
        assert job.execute_in_process(
            instance=instance, partition_key=chat,
            asset_selection=[dg.AssetKey("verified_subsets")]).success
        after = dg.evaluate_automation_conditions(defs=defs, instance=instance,
                                                  cursor=follow.cursor)
    requested = {stage for stage in ["seed_sets", "teacher_generations", "verified_subsets",
                                     "contamination_reports", "final_mixtures", "preference_sets"]
                 if after.get_requested_partitions(dg.AssetKey(stage))}
    assert requested == {"contamination_reports", "final_mixtures", "preference_sets"}
