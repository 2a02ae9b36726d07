"""A teacher_generations run killed with SIGKILL mid-way, then run again: the second run sends
only the calls the first had not completed, no prompt is answered twice, no row is doubled."""

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._daemon import execute_concurrency_slots_iteration

from synth_assets.defs.partitions import partition_key, register_recipes
from synth_assets.defs.resources import SynthStore
from synth_assets.defs.seed_sets.asset import seed_sets
from synth_assets.defs.teacher_generations.asset import teacher_generations
from synth_assets.lineage.store import LineageStore
from synth_assets.runs.home import INSTANCE_YAML
from synth_assets.spec import load_spec
from tests.openai_stub import OpenAIStub, StubReply
from tests.pipeline_fixture import TEST_DAY
from tests.teacher_fixture import FAST_RETRIES, ScriptedTeacher, write_teacher_spec

CHAT = partition_key(TEST_DAY, "chat")

DAGSTER = str(Path(sys.executable).parent / "dagster")
REPO = Path(__file__).resolve().parents[1]
INSTANCE_FILES = [INSTANCE_YAML, REPO / "dagster_home" / "docker" / "dagster.yaml"]
POOL = "synth_duckdb"
PROMPTS = [f"question number {i}" for i in range(40)]
FLAKY = {PROMPTS[1], PROMPTS[7], PROMPTS[30]}  # a 500 on their first request
ANSWERED_BEFORE_KILL = 12


class KillableRun:
    """Answers until ANSWERED_BEFORE_KILL prompts are answered, then hangs every request (the
    run is killed while they are in flight); after `resume()` answers everything."""

    def __init__(self) -> None:
        self.resumed = False
        self.teacher = ScriptedTeacher(self.script)

    def script(self, prompt: str, attempt: int) -> StubReply | str:
        if self.teacher.completed[prompt]:
            return "answered twice"  # counted, and asserted never to happen
        if prompt in FLAKY and attempt == 1:
            return StubReply(status=500)
        if not self.resumed and sum(self.teacher.completed.values()) >= ANSWERED_BEFORE_KILL:
            return StubReply(content="never sent", delay_s=120)
        return f"the answer to {prompt}"

    def resume(self) -> None:
        self.resumed = True


def wait_until(condition, timeout_s: float, process: subprocess.Popen, output: Path,
               what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the run ended before {what}:\n{output.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.5)


def release_killed_runs(instance: dg.DagsterInstance) -> None:
    """End the killed run and let run monitoring free the pool slot it kept.

    Ending it is done by hand: the CLI ran it in-process, so nothing watches it (a run launched
    by the daemon or the UI is marked failed by its code server when its process dies; here a
    user presses Terminate, which marks a dead run canceled). Freeing the slot is not: it is
    the monitoring daemon's own iteration, driven by the instance's run_monitoring settings."""
    killed = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    assert killed, "the killed run should still look started"
    assert instance.event_log_storage.get_concurrency_info(POOL).active_run_ids == {
        run.run_id for run in killed}, "the killed run should still hold the pool slot"
    for run in killed:
        instance.report_run_canceled(run, "killed with SIGKILL; terminated by the user")
    wait_s = instance.run_monitoring_settings["free_slots_after_run_end_seconds"] + 1.0
    time.sleep(wait_s)
    with WorkspaceProcessContext(instance, None) as context:
        for _ in execute_concurrency_slots_iteration(context, logging.getLogger("monitoring")):
            pass
    assert instance.event_log_storage.get_concurrency_info(POOL).active_slot_count == 0


def test_instances_free_the_slots_of_killed_runs(dagster_home: Path) -> None:
    """Both instance files enable run monitoring with slot freeing, in a form Dagster accepts
    for the default run launcher (which cannot resume runs: it refuses a resume count)."""
    settings = [yaml.safe_load(path.read_text())["run_monitoring"] for path in INSTANCE_FILES]
    assert settings[0] == settings[1]
    with dg.DagsterInstance.get() as instance:  # dagster_home holds the shipped dagster.yaml
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0


def stored_calls(db: Path) -> int:
    counts = LineageStore(db, lock_timeout_s=30).query("table_row_counts")
    return next(row["row_count"] for row in counts if row["table_name"] == "teacher_calls")


def test_sigkilled_run_resumes_without_paying_twice(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = KillableRun()
    db = dagster_home / "synth.duckdb"
    # The instance of the repo, with slots freed 2 s after a run ends instead of a minute.
    instance_yaml = yaml.safe_load((dagster_home / "dagster.yaml").read_text())
    instance_yaml["run_monitoring"]["free_slots_after_run_end_seconds"] = 2
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(instance_yaml))
    with OpenAIStub(run.teacher) as stub:
        spec = write_teacher_spec(tmp_path / "spec", stub.base_url, PROMPTS,
                                  teacher={**FAST_RETRIES, "timeout_s": 300})
        monkeypatch.setenv("SYNTH_SPEC", str(spec))
        monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test")
        output = tmp_path / "killed_run.log"
        with dg.DagsterInstance.get() as instance:
            register_recipes(instance, load_spec(spec))
        with output.open("w") as log:
            process = subprocess.Popen(
                [DAGSTER, "asset", "materialize", "-m", "synth_assets.definitions",
                 "--select", "seed_sets,teacher_generations", "--partition", CHAT],
                stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the step process dies with it
            )
        try:
            wait_until(lambda: sum(run.teacher.completed.values()) >= ANSWERED_BEFORE_KILL,
                       180, process, output, "the stub had answered enough prompts")
            answered = sum(run.teacher.completed.values())  # from here on every request hangs
            wait_until(lambda: stored_calls(db) == answered, 60, process, output,
                       "the answers were committed")
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        hung = len(stub.requests) - answered - sum(1 for p in FLAKY if run.teacher.attempts[p])
        assert hung > 0, "the run was killed with no call in flight"

        run.resume()
        with dg.DagsterInstance.get() as instance:
            release_killed_runs(instance)
            result = dg.materialize([seed_sets, teacher_generations], instance=instance,
                                    resources={"synth": SynthStore()}, partition_key=CHAT)
    assert result.success
    metadata = result.asset_materializations_for_node("teacher_generations")[0].metadata
    assert metadata["teacher_calls_cached"].value == answered
    assert metadata["teacher_calls_made"].value == len(PROMPTS) - answered

    assert set(run.teacher.completed) == set(PROMPTS)
    assert max(run.teacher.completed.values()) == 1, "a prompt was answered twice"
    # Every request beyond one per prompt is a retry: a 500, or a call cut off by the kill.
    retries = len(FLAKY) + hung
    assert len(stub.requests) == len(PROMPTS) + retries
    with duckdb.connect(str(db), read_only=True) as connection:
        for table in ["teacher_calls", "generations", "prompts"]:
            assert connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == len(
                PROMPTS), table
        assert connection.execute("SELECT count(*) FROM teacher_failures").fetchone()[0] == 0
