"""A `mode: batch` teacher: requests go to the provider's batch API through litellm (a local
stub of /v1/files and /v1/batches), are recorded before the run returns, are finished by the
batch sensor's ingest run, and are never submitted twice, whatever moment a run dies at."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pytest
from pydantic import ValidationError

from synth_assets.cli import main
from synth_assets.definitions import defs
from synth_assets.defs.jobs import GENERATE_JOB
from synth_assets.defs.partitions import partition_key, register_recipes
from synth_assets.defs.resources import SynthStore
from synth_assets.defs.teacher_generations.batch_sensor import (
    BATCH_INGEST_TAG,
    MAX_BATCH_RUN_ATTEMPTS,
    TRIGGER_TAG,
    batch_sensor,
)
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.spec.model import TeacherSpec
from synth_assets.stages.budget_stage import check_generation_budget
from synth_assets.stages.generation_plan import plan_generations
from synth_assets.stages.partitions import GenerationPartition
from synth_assets.stages.teacher_batch_stage import run_batch_stage
from synth_assets.stages.teacher_stage import run_teacher_stage
from synth_assets.teacher.batch import batch_states, record_batches
from synth_assets.teacher.batch_files import input_file, input_line, split_into_files
from synth_assets.teacher.batch_provider import BatchProvider
from synth_assets.teacher.estimate import token_prices
from synth_assets.teacher.requests import build_request
from tests.openai_batch_stub import OpenAIBatchStub
from tests.teacher_fixture import seeded, write_teacher_spec

if TYPE_CHECKING:
    from dagster._core.definitions.sensor_definition import SensorExecutionData

DAY = "2026-11-20"
PARTITION = GenerationPartition(DAY, "chat")
ONLINE_PRICES = {"input_cost_per_token": 2e-6, "output_cost_per_token": 8e-6}
BATCH_PRICES = {"batch_input_cost_per_token": 1e-6, "batch_output_cost_per_token": 4e-6}
INSTRUCTIONS = [f"Name a colour, number {n}." for n in range(6)]
REPO = Path(__file__).resolve().parents[1]


def answer(request: dict) -> str:
    return "Blue is a calm colour of the sky."


def batch_spec(folder: Path, api_base: str, plain: list[str] = INSTRUCTIONS, **teacher) -> Path:
    return write_teacher_spec(folder, api_base, plain,
                              teacher={"mode": "batch", **ONLINE_PRICES, **BATCH_PRICES,
                                       **teacher})


@pytest.fixture(autouse=True)
def teacher_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")


def tick(instance: dg.DagsterInstance, spec: Path) -> "SensorExecutionData":
    context = dg.build_sensor_context(instance=instance,
                                      resources={"synth": SynthStore(spec_path=str(spec))},
                                      repository_def=defs.get_repository_def())
    with dg.partition_loading_context(dynamic_partitions_store=instance):
        return batch_sensor.evaluate_tick(context)


def test_happy_path_through_the_sensor_and_the_ingest_run(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIBatchStub(answer, polls_to_end=2) as stub, dg.DagsterInstance.get() as instance:
        spec = batch_spec(tmp_path / "spec", stub.base_url)
        monkeypatch.setenv("SYNTH_SPEC", str(spec))
        job = defs.resolve_job_def(GENERATE_JOB)
        register_recipes(instance, load_spec(spec))
        key = partition_key(DAY, "chat")

        generate = job.execute_in_process(instance=instance, partition_key=key)
        assert generate.success
        assert [e.asset_key.to_user_string() for e in generate.get_asset_materialization_events()
                ] == ["seed_sets"]  # waiting for the batch: no generations yet
        observed = generate.asset_observations_for_node("teacher_generations")
        assert observed[0].metadata["state"].value == "waiting for batches"
        assert observed[0].metadata["requests_submitted"].value == len(INSTRUCTIONS)
        store = LineageStore(dagster_home / "synth.duckdb")
        [state] = batch_states(store, PARTITION.key)
        assert state.batch_id is not None and state.request_count == len(INSTRUCTIONS)
        assert stub.calls["chat"] == 0 and stub.calls["create"] == 1

        first = tick(instance, spec)  # the batch is still running
        assert not first.run_requests
        assert first.asset_events[0].metadata["waiting_batches"].value == 1

        second = tick(instance, spec)  # it ends on the second poll
        [request] = second.run_requests
        assert request.tags[BATCH_INGEST_TAG] == "true"
        ingest = job.execute_in_process(instance=instance, partition_key=request.partition_key,
                                        tags=request.tags)
        assert ingest.success
        assert {e.asset_key.to_user_string() for e in ingest.get_asset_materialization_events()
                } == {"seed_sets", "teacher_generations", "verified_subsets"}
        metadata = ingest.asset_materializations_for_node("teacher_generations")[0].metadata
        assert metadata["generations"].value == len(INSTRUCTIONS)
        assert metadata["batch_requests_answered"].value == len(INSTRUCTIONS)
        # Each answer is priced at batch prices; the saving is the online price of the same.
        assert metadata["batch_cost_usd"].value == pytest.approx(
            metadata["online_cost_usd"].value / 2)
        assert metadata["batch_saving_usd"].value > 0
        calls = store.query_frame("snapshot_generation_totals",
                                  snapshot_id=metadata["snapshot_id"].value)
        assert calls["cost_usd"].sum() == pytest.approx(metadata["batch_cost_usd"].value)

        assert tick(instance, spec).skip_message == "no open batches"
    assert stub.calls["chat"] == 0 and stub.calls["create"] == 1
    assert sorted(stub.submitted.values()) == [1] * len(INSTRUCTIONS)


def generated_and_waiting(instance: dg.DagsterInstance, spec: Path,
                          monkeypatch: pytest.MonkeyPatch) -> tuple[dg.JobDefinition, str]:
    """The generate job, and the partition key its first run (over `spec`, whatever it did)
    ran for."""
    monkeypatch.setenv("SYNTH_SPEC", str(spec))
    job = defs.resolve_job_def(GENERATE_JOB)
    register_recipes(instance, load_spec(spec))
    key = partition_key(DAY, "chat")
    job.execute_in_process(instance=instance, partition_key=key, raise_on_error=False)
    return job, key


def test_the_sensor_creates_a_batch_whose_run_died_before_creating_it(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A generate run recorded its batch and died before the provider had it (here: the upload
    is refused). The sensor starts the run that creates it, but not while a run of the
    partition is in progress; each request is submitted once."""
    with OpenAIBatchStub(answer) as stub, dg.DagsterInstance.get() as instance:
        spec = batch_spec(tmp_path / "spec", stub.base_url)
        stub.broken["upload"] = 503
        job, key = generated_and_waiting(instance, spec, monkeypatch)
        store = LineageStore(dagster_home / "synth.duckdb")
        [state] = batch_states(store, PARTITION.key)
        assert state.batch_id is None and stub.refused["upload"] >= 1
        del stub.broken["upload"]
        # The recipe's teacher is online now: a run would call it online; no run is asked for.
        online = write_teacher_spec(tmp_path / "online", stub.base_url, INSTRUCTIONS,
                                    teacher=ONLINE_PRICES)
        assert not tick(instance, online).run_requests

        in_progress = instance.create_run_for_job(job, tags={"dagster/partition": str(key)},
                                                  status=dg.DagsterRunStatus.STARTED)
        waiting = tick(instance, spec)
        assert not waiting.run_requests
        assert "in progress" in waiting.asset_events[0].metadata["batch_run"].value
        instance.delete_run(in_progress.run_id)

        [create] = tick(instance, spec).run_requests
        assert create.tags[TRIGGER_TAG] == "batches_not_created"
        assert job.execute_in_process(instance=instance, partition_key=create.partition_key,
                                      tags=create.tags).success
        assert stub.calls["upload"] == 1 and stub.calls["create"] == 1
        [state] = batch_states(store, PARTITION.key)
        assert state.batch_id == next(iter(stub.batches))

        [ingest] = tick(instance, spec).run_requests
        assert ingest.tags[TRIGGER_TAG] == "batches_ended" and ingest.run_key != create.run_key
        ingested = job.execute_in_process(instance=instance, partition_key=ingest.partition_key,
                                          tags=ingest.tags)
        metadata = ingested.asset_materializations_for_node("teacher_generations")[0].metadata
        assert metadata["generations"].value == len(INSTRUCTIONS)
    assert sorted(stub.submitted.values()) == [1] * len(INSTRUCTIONS)


def test_a_failed_batch_run_is_asked_for_again_until_the_sensor_gives_up(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ingest run fails (the output file cannot be downloaded): each tick asks again under
    a new run key, with the failures in the partition's observation, until the cap; then it
    stops asking and says so, and a generate run started by hand finishes the batch."""
    with OpenAIBatchStub(answer) as stub, dg.DagsterInstance.get() as instance:
        spec = batch_spec(tmp_path / "spec", stub.base_url)
        job, key = generated_and_waiting(instance, spec, monkeypatch)
        stub.broken["content"] = 404
        run_keys = []
        for attempt in range(MAX_BATCH_RUN_ATTEMPTS):
            asked = tick(instance, spec)
            assert asked.asset_events[0].metadata["failed_batch_runs"].value == attempt
            [request] = asked.run_requests
            run_keys.append(request.run_key)
            assert not job.execute_in_process(instance=instance, partition_key=key,
                                              tags=request.tags, raise_on_error=False).success
        assert len(set(run_keys)) == MAX_BATCH_RUN_ATTEMPTS
        given_up = tick(instance, spec)
        assert not given_up.run_requests
        metadata = given_up.asset_events[0].metadata
        assert metadata["failed_batch_runs"].value == MAX_BATCH_RUN_ATTEMPTS
        assert "not starting another" in metadata["batch_run_given_up"].value
        assert stub.refused["content"] >= MAX_BATCH_RUN_ATTEMPTS  # each run failed of it

        del stub.broken["content"]
        by_hand = job.execute_in_process(instance=instance, partition_key=key)
        metadata = by_hand.asset_materializations_for_node("teacher_generations")[0].metadata
        assert metadata["generations"].value == len(INSTRUCTIONS)
        assert tick(instance, spec).skip_message == "no open batches"
    assert stub.calls["create"] == 1 and stub.calls["chat"] == 0


CHILD = """
import sys
from synth_assets.lineage.store import LineageStore
from synth_assets.stages.partitions import GenerationPartition
from synth_assets.stages.teacher_batch_stage import run_batch_stage
from tests.teacher_fixture import seeded
store = LineageStore(sys.argv[1])
loaded, seeds = seeded(store, sys.argv[2])
result = run_batch_stage(store, loaded, seeds, GenerationPartition(sys.argv[3], "chat"), "run")
print("waiting", len(result.waiting), "submitted", result.submitted)
"""


def generate_in_child(db: Path, spec: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(spec), DAY],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.mark.parametrize("killed_at", ["upload", "create"])
def test_a_run_killed_after_upload_or_create_never_submits_twice(
    tmp_path: Path, killed_at: str
) -> None:
    """The provider did the work and the client died before it heard back: the re-run finds
    the file by its name and the batch by its metadata tag instead of sending them again."""
    children: list[subprocess.Popen] = []
    kills = []

    def kill_the_client(route: str) -> None:
        if route == killed_at and not kills:
            kills.append(route)
            os.kill(children[0].pid, signal.SIGKILL)

    db = tmp_path / "synth.duckdb"
    with OpenAIBatchStub(answer, on_call=kill_the_client) as stub:
        spec = batch_spec(tmp_path / "spec", stub.base_url)
        children.append(generate_in_child(db, spec))
        children[0].communicate(timeout=120)
        assert children[0].returncode == -signal.SIGKILL
        assert stub.calls[killed_at] == 1

        rerun = generate_in_child(db, spec)
        out, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, err
        assert "waiting 1 submitted 0" in out
        assert "not created again" in out or killed_at == "upload"
    assert stub.calls["upload"] == 1 and stub.calls["create"] == 1
    assert len(stub.submitted) == len(INSTRUCTIONS)
    assert set(stub.submitted.values()) == {1}
    [state] = batch_states(LineageStore(db), PARTITION.key)
    assert state.batch_id == next(iter(stub.batches))


def test_a_batch_recorded_but_never_uploaded_is_uploaded_by_the_next_run(
    tmp_path: Path
) -> None:
    """A run killed between recording a batch and uploading it: the next run uploads that
    batch (once) and records no second one."""
    store = LineageStore(tmp_path / "synth.duckdb")
    with OpenAIBatchStub(answer) as stub:
        loaded, seeds = seeded(store, batch_spec(tmp_path / "spec", stub.base_url))
        requests = [p.request for p in plan_generations(store, loaded, seeds, PARTITION)]
        teacher = loaded.spec.teachers["stub"]
        record_batches(store, "stub", teacher, PARTITION.key, requests,
                       BatchProvider(teacher).model)
        result = run_batch_stage(store, loaded, seeds, PARTITION, "run")
    assert result.submitted == 0 and len(result.waiting) == 1
    assert stub.calls["upload"] == 1 and stub.calls["create"] == 1
    assert set(stub.submitted.values()) == {1} and len(stub.submitted) == len(INSTRUCTIONS)


def test_the_file_of_a_killed_run_is_found_past_the_first_page_of_the_listing(
    tmp_path: Path
) -> None:
    """A run killed after its upload, before it recorded the file id; newer files since push
    that file off the first page of the provider's listing: the next run pages on to it
    instead of uploading the batch again."""
    store = LineageStore(tmp_path / "synth.duckdb")
    with OpenAIBatchStub(answer, page_size=2) as stub:
        loaded, seeds = seeded(store, batch_spec(tmp_path / "spec", stub.base_url))
        requests = [p.request for p in plan_generations(store, loaded, seeds, PARTITION)]
        teacher = loaded.spec.teachers["stub"]
        provider = BatchProvider(teacher)
        [key] = record_batches(store, "stub", teacher, PARTITION.key, requests, provider.model)
        [state] = batch_states(store)

        async def upload_then_others() -> str:
            uploaded = await provider.upload(key, input_file(requests, provider.model))
            for n in range(3):
                await provider.upload(f"another-batch-{n}", b"{}\n")
            return uploaded

        uploaded = asyncio.run(upload_then_others())
        result = run_batch_stage(store, loaded, seeds, PARTITION, "run")
    assert stub.calls["upload"] == 4  # none by the run
    assert stub.calls["list_files"] == 2
    assert result.submitted == 0 and len(result.waiting) == 1
    [created] = stub.batches.values()
    assert created.input_file_id == uploaded
    assert set(stub.submitted.values()) == {1} and len(stub.submitted) == len(INSTRUCTIONS)
    assert batch_states(store)[0].file_id == uploaded != state.file_id


def test_an_expired_batch_resubmits_only_the_requests_without_an_answer(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    rejected: list[dict] = []

    def reject_the_first(body: dict) -> tuple[int, str] | None:
        if rejected:
            return None
        rejected.append(body)
        return 400, "bad request"

    with OpenAIBatchStub(answer, expire_after=3, fail=reject_the_first) as stub:
        loaded, seeds = seeded(store, batch_spec(tmp_path / "spec", stub.base_url))
        assert run_batch_stage(store, loaded, seeds, PARTITION, "submit").submitted == 6

        ingested = run_batch_stage(store, loaded, seeds, PARTITION, "ingest", submit=False)
        assert not ingested.waiting
        assert ingested.ingested.answered == 2  # 3 run before it expired, 1 of them rejected
        kinds = sorted(str(f.kind) for f in ingested.ingested.failures)
        assert kinds == ["batch_expired"] * 3 + ["rejected"]
        stored = store.query_frame("teacher_failures_of_run", run_id="ingest")
        assert sorted(stored["error_kind"]) == kinds
        answered_first = {call_id for call_id, n in stub.submitted.items() if n == 1}

        stub.expire_after, stub.fail = None, lambda body: None
        again = run_batch_stage(store, loaded, seeds, PARTITION, "resubmit")
        assert again.submitted == 4
        resubmitted = {call_id for call_id, n in stub.submitted.items() if n == 2}
        assert len(resubmitted) == 4 and len(answered_first - resubmitted) == 2
        assert not run_batch_stage(store, loaded, seeds, PARTITION, "ingest2",
                                   submit=False).waiting
    result = run_teacher_stage(store, loaded, seeds, run_id="store", partition=PARTITION,
                               send_calls=False)
    assert result.calls.cached == len(INSTRUCTIONS) and not result.calls.failures
    assert stub.calls["chat"] == 0


def test_a_cached_or_waiting_request_is_never_put_in_a_batch(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    with OpenAIBatchStub(answer) as stub:
        # One endpoint serves both: the online teacher's answers fill the cache first.
        loaded, seeds = seeded(store, write_teacher_spec(
            tmp_path / "online", stub.base_url, INSTRUCTIONS[:3], teacher=ONLINE_PRICES))
        assert run_teacher_stage(store, loaded, seeds, partition=PARTITION).calls.answered == 3
        cached_ids = {p.request.call_id
                      for p in plan_generations(store, loaded, seeds, PARTITION)}

        loaded, seeds = seeded(store, batch_spec(tmp_path / "batch", stub.base_url))
        first = run_batch_stage(store, loaded, seeds, PARTITION, "run")
        assert first.submitted == 3
        assert not cached_ids & set(stub.submitted)
        assert len(stub.submitted) == 3
        # While that batch waits, a re-run submits nothing.
        assert run_batch_stage(store, loaded, seeds, PARTITION, "rerun").submitted == 0
    assert stub.calls["create"] == 1


def test_requests_are_split_to_the_providers_limits() -> None:
    teacher = TeacherSpec(model="openai/stub", mode="batch")
    requests = [build_request(teacher, [{"role": "user", "content": f"q{n}"}], 0)
                for n in range(7)]
    assert [len(g) for g in split_into_files(requests, "stub", 3, 10**6)] == [3, 3, 1]
    line = len(input_line(requests[0], "stub"))
    assert [len(g) for g in split_into_files(requests, "stub", 100, 2 * line + 1)] == [2] * 3 + [1]
    with pytest.raises(ValueError, match="alone is .* bytes, more than a batch file may hold"):
        list(split_into_files(requests, "stub", 100, line - 1))


def test_batch_mode_needs_a_provider_with_a_batch_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValidationError, match="mode: batch needs a provider with a batch API"):
        TeacherSpec(model="embedded/smollm2-135m-instruct", mode="batch")
    assert TeacherSpec(model="gpt-4o-mini", mode="batch").mode == "batch"
    spec = write_teacher_spec(tmp_path, "http://127.0.0.1:9/v1", INSTRUCTIONS,
                              teacher={"model": "anthropic/claude-3-haiku", "mode": "batch"})
    assert main(["check-spec", str(spec)]) == 2
    assert "'anthropic/claude-3-haiku' is 'anthropic'" in capsys.readouterr().err


def test_the_budget_gate_prices_batch_requests_at_batch_prices(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "synth.duckdb")
    online_spec = write_teacher_spec(tmp_path / "online", "http://127.0.0.1:9/v1", INSTRUCTIONS,
                                     teacher=ONLINE_PRICES)
    loaded, seeds = seeded(store, online_spec)
    online = check_generation_budget(store, loaded, seeds, [PARTITION])
    loaded, seeds = seeded(store, batch_spec(tmp_path / "batch", "http://127.0.0.1:9/v1"))
    batch = check_generation_budget(store, loaded, seeds, [PARTITION])
    assert batch.total_tokens == online.total_tokens
    assert batch.cost_usd == pytest.approx(online.cost_usd / 2)
    # Without spec prices, litellm's cost map's batch prices.
    assert token_prices(TeacherSpec(model="gpt-4o-mini", mode="batch")) == (7.5e-08, 3e-07)


def test_synth_batches_lists_and_cancels(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    db = tmp_path / "synth.duckdb"
    store = LineageStore(db)
    with OpenAIBatchStub(answer, polls_to_end=100) as stub:
        spec = batch_spec(tmp_path / "spec", stub.base_url)
        loaded, seeds = seeded(store, spec)
        run_batch_stage(store, loaded, seeds, PARTITION, "run")
        [state] = batch_states(store)
        args = ["--db", str(db), "--spec", str(spec)]
        assert main(["batches", "list", *args]) == 0
        listed = capsys.readouterr().out
        assert state.batch_key in listed and "in_progress" in listed and PARTITION.key in listed

        assert main(["batches", "cancel", state.batch_id, *args]) == 0
        assert "cancelling" in capsys.readouterr().out
        ended = run_batch_stage(store, loaded, seeds, PARTITION, "ingest", submit=False)
    assert not ended.waiting
    assert {str(f.kind) for f in ended.ingested.failures} == {"batch_cancelled"}
    assert main(["batches", "cancel", "batch_nope", *args]) == 2
    assert main(["batches", *args]) == 0 and "no open batches" in capsys.readouterr().out


def test_a_batch_holds_only_the_requests_that_fit_the_budget(tmp_path: Path) -> None:
    """A created batch is paid for: each request is admitted at its worst case (the whole
    prompt plus max_tokens) at batch prices, and what does not fit is not sent."""
    store = LineageStore(tmp_path / "synth.duckdb")
    with OpenAIBatchStub(answer) as stub:
        spec = write_teacher_spec(tmp_path / "spec", stub.base_url, INSTRUCTIONS,
                                  teacher={"mode": "batch", **ONLINE_PRICES, **BATCH_PRICES},
                                  budget={"max_cost_usd": 0.0002, "allow_partial": True})
        loaded, seeds = seeded(store, spec)
        result = run_batch_stage(store, loaded, seeds, PARTITION, "run")
    assert 0 < result.submitted < len(INSTRUCTIONS)
    assert result.not_attempted_budget == len(INSTRUCTIONS) - result.submitted
    assert f"{result.submitted} of 6 requests fit at their worst case" in result.budget_stop
    assert len(stub.submitted) == result.submitted
