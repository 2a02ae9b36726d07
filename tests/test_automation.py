"""The daily schedule, the seed-file sensor and the stage automation, evaluated the way the
Dagster daemon evaluates them."""

import datetime
import os
from pathlib import Path

import dagster as dg
import pytest

from synth_assets.assets.automation import daily_generation, seed_file_sensor
from synth_assets.definitions import defs
from synth_assets.resources import SynthStore
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import stub_answer, write_pipeline_spec


def test_daily_schedule_requests_one_run_per_day() -> None:
    when = datetime.datetime(2026, 11, 21, 3, 0, tzinfo=datetime.UTC)
    with dg.build_schedule_context(scheduled_execution_time=when) as context:
        request = daily_generation(context)
    assert request.run_key == "daily-2026-11-21"
    assert request.tags["synth/day"] == "2026-11-21"
    assert daily_generation.job_name == "full_pipeline"
    assert daily_generation.default_status == dg.DefaultScheduleStatus.STOPPED
    assert daily_generation.cron_schedule == "0 3 * * *"


def tick(spec: Path, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(cursor=cursor,
                                      resources={"synth": SynthStore(spec_path=str(spec))})
    return seed_file_sensor.evaluate_tick(context)


def test_seed_file_sensor_reacts_to_content_not_mtime(tmp_path: Path) -> None:
    spec = write_pipeline_spec(tmp_path / "spec", "http://127.0.0.1:9/v1")
    math_file = tmp_path / "spec" / "seeds" / "math.jsonl"
    assert seed_file_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert seed_file_sensor.job_name == "full_pipeline"

    first = tick(spec, None)
    assert first.run_requests == [] and "watching 3 seed files" in first.skip_message
    assert tick(spec, first.cursor).run_requests == []

    later = datetime.datetime.now().timestamp() + 3600
    os.utime(math_file, (later, later))  # touched, same bytes
    assert tick(spec, first.cursor).run_requests == []

    original = math_file.read_text()
    math_file.write_text(original + '{"question": "What is 2 + 2?", "answer": "4"}\n')
    changed = tick(spec, first.cursor)
    assert len(changed.run_requests) == 1
    request = changed.run_requests[0]
    assert request.tags["synth/seed_sets"] == "math"
    assert tick(spec, changed.cursor).run_requests == []

    math_file.write_text(original)  # a revert is a change too, with its own run key
    reverted = tick(spec, changed.cursor)
    assert [r.tags["synth/seed_sets"] for r in reverted.run_requests] == ["math"]
    assert reverted.run_requests[0].run_key != request.run_key


def test_seed_file_sensor_names_a_missing_seed_file(tmp_path: Path) -> None:
    spec = write_pipeline_spec(tmp_path / "spec", "http://127.0.0.1:9/v1")
    (tmp_path / "spec" / "seeds" / "code.jsonl").unlink()
    with pytest.raises(Exception, match=r"code\.jsonl: seed set 'code': cannot read file"):
        tick(spec, None)


def test_later_stages_follow_an_upstream_change(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    with OpenAIStub(stub_answer) as stub, dg.DagsterInstance.get() as instance:
        monkeypatch.setenv("SYNTH_SPEC", str(write_pipeline_spec(tmp_path / "spec",
                                                                  stub.base_url)))
        assert defs.resolve_job_def("full_pipeline").execute_in_process(instance=instance).success
        settled = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert settled.total_requested == 0  # a whole-pipeline run leaves nothing to follow

        job = defs.resolve_implicit_global_asset_job_def()
        assert job.execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey("verified_subsets")]).success
        follow = dg.evaluate_automation_conditions(defs=defs, instance=instance,
                                                   cursor=settled.cursor)
    requested = {stage for stage in ["seed_sets", "teacher_generations", "verified_subsets",
                                     "contamination_reports", "final_mixtures"]
                 if follow.get_requested_partitions(dg.AssetKey(stage))}
    assert requested == {"contamination_reports", "final_mixtures"}
