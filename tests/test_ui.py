"""The UI as a user sees it: `dagster dev` on 127.0.0.1, a three-day backfill and a run launched
through the GraphQL API, then headless Chromium on the asset graph. The screenshots are kept in
test-artifacts/."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient
from playwright.sync_api import sync_playwright

from synth_assets.defs.partitions import register_recipes
from synth_assets.spec import load_spec
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import varied_answer, write_pipeline_spec

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
DAGSTER = str(Path(sys.executable).parent / "dagster")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync"]
STAGES = ["seed_sets", "teacher_generations", "verified_subsets", "contamination_reports",
          "final_mixtures"]
LOCATION_LOADED = """{ workspaceOrError { ... on Workspace {
    locationEntries { name loadStatus locationOrLoadError { __typename } } } } }"""


LAUNCH_BACKFILL = """mutation Launch($params: LaunchBackfillParams!) {
    launchPartitionBackfill(backfillParams: $params) {
        __typename ... on LaunchBackfillSuccess { backfillId } ... on Error { message } } }"""
BACKFILL_DAYS = ["2026-11-18", "2026-11-19", "2026-11-20"]


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout_s: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"{what} not within {timeout_s} s:\n" + \
            log.read_text()[-4000:]
        time.sleep(1)


@pytest.fixture
def dagster_dev(dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                ) -> Iterator[tuple[str, DagsterGraphQLClient, Path]]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (scripts/setup.sh installs Debian's chromium)")
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test-not-a-secret")
    # Answers that differ by sampling seed, so each backfilled day verifies new records.
    with OpenAIStub(varied_answer) as stub:
        monkeypatch.setenv("SYNTH_SPEC", str(write_pipeline_spec(tmp_path / "spec",
                                                                  stub.base_url)))
        port, log = free_port(), tmp_path / "dagster-dev.log"
        server = subprocess.Popen(
            [DAGSTER, "dev", "-m", "synth_assets.definitions", "-h", "127.0.0.1", "-p", str(port)],
            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        try:
            def location_loaded() -> bool:
                assert server.poll() is None, log.read_text()[-4000:]
                try:
                    entries = graphql(url, LOCATION_LOADED)["workspaceOrError"][
                        "locationEntries"]
                except (OSError, KeyError, TypeError):  # the webserver is still starting
                    return False
                return any(e["loadStatus"] == "LOADED" and e["locationOrLoadError"]
                           and e["locationOrLoadError"]["__typename"] == "RepositoryLocation"
                           for e in entries)

            wait_until(location_loaded, 300, "the code location loaded in dagster dev", log)
            yield url, client, log
        finally:
            os.killpg(server.pid, signal.SIGINT)  # dagster dev stops its webserver and daemon
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def failures(runs: list[dg.DagsterRun]) -> str:
    """What went wrong in each run, from its event log."""
    with dg.DagsterInstance.get() as instance:
        return "\n".join(
            f"{run.run_id} {run.tags.get('dagster/partition')}: {event.message} "
            f"{getattr(event.dagster_event.event_specific_data, 'error', '')}"
            for run in runs for event in instance.all_logs(run.run_id)
            if event.is_dagster_event and event.dagster_event.is_failure)


# One process for the whole run (the default starts one per step, each importing Dagster).
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}


def test_backfill_and_run_launched_over_graphql_and_the_asset_graph_in_chromium(
    dagster_dev
) -> None:
    url, client, log = dagster_dev
    with dg.DagsterInstance.get() as instance:
        register_recipes(instance, load_spec(os.environ["SYNTH_SPEC"]))
    # A backfill of three days of one recipe, as the job's partitions page launches it; the
    # daemon of `dagster dev` starts one run per partition.
    launched = graphql(url, LAUNCH_BACKFILL, {"params": {
        "selector": {"partitionSetName": "generate_partition_set", "repositorySelector": {
            "repositoryLocationName": "synth_assets.definitions",
            "repositoryName": "__repository__"}},
        "partitionNames": [f"{day}|chat" for day in BACKFILL_DAYS],
    }})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    finished = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}

    def backfill_runs() -> list[dg.DagsterRun]:
        with dg.DagsterInstance.get() as instance:
            return list(instance.get_runs(dg.RunsFilter(
                tags={"dagster/backfill": launched["backfillId"]})))

    wait_until(lambda: len(backfill_runs()) == len(BACKFILL_DAYS)
               and all(r.status in finished for r in backfill_runs()), 900,
               "the three-day backfill", log)
    failed = [r for r in backfill_runs() if r.status != DagsterRunStatus.SUCCESS]
    assert not failed, failures(failed)
    with dg.DagsterInstance.get() as instance:
        assert instance.get_materialized_partitions(dg.AssetKey("verified_subsets")) == {
            f"{day}|chat" for day in BACKFILL_DAYS}

    run_id = client.submit_job_execution("publish", run_config=IN_PROCESS)
    wait_until(lambda: client.get_run_status(run_id) in finished, 600, f"run {run_id}", log)
    assert client.get_run_status(run_id) == DagsterRunStatus.SUCCESS
    graphql(url, "mutation { setNuxSeen }")  # what the community pop-up's Skip button does

    ARTIFACTS.mkdir(exist_ok=True)
    pages = {  # screenshot name: (path, what to click first, texts the page must show)
        "asset-graph": ("/locations/synth_assets.definitions/asset-groups/synthetic_data/lineage",
                        None, ["synthetic_data", *STAGES]),
        "teacher-generations": ("/assets/teacher_generations", None,
                                ["The teacher model's answers", "teacher_calls_made"]),
        "budget-check": ("/assets/seed_sets?view=checks", "teacher_budget",
                         ["Budget gate, before any teacher call", "within budget"]),
    }
    texts = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1800, "height": 1000})
            for name, (path, click, expected) in pages.items():
                page.goto(url + path, wait_until="networkidle")
                if click:
                    page.get_by_text(click, exact=True).first.click()
                for text in expected:  # the page is done loading when all of it shows
                    page.get_by_text(text).first.wait_for(timeout=60_000)
                page.get_by_text("Loading...").first.wait_for(state="detached", timeout=60_000)
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
                texts[name] = page.inner_text("body")
        finally:
            browser.close()

    for name, (_, _, expected) in pages.items():
        for text in expected:
            assert text in texts[name], f"{name} page does not show {text!r}"
    assert "Never materialized" not in texts["asset-graph"]
    assert (ARTIFACTS / "asset-graph.png").stat().st_size > 20_000
