"""A real PostgreSQL server for the tests: initdb in a temporary folder, the server on 127.0.0.1
on a free port, one fresh database per test.

PostgreSQL refuses to run as root and the tests run as root in CI, so then the server runs as
the unprivileged user `nobody` (every Debian system has it); otherwise as the current user. The
server asks for a password (scram-sha-256, generated per session), so the URLs the tests use
carry one, as a deployment's do: tests can check it never shows up where it must not.
"""

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import URL

SUPERUSER = "synth"
START_TIMEOUT_S = 60


def postgres_bin_dir() -> Path:
    """Debian's newest installed PostgreSQL server binaries (scripts/setup.sh installs them)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name))
    if candidates:
        return candidates[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError("PostgreSQL's server binaries (initdb, pg_ctl) are not installed: run "
                       "scripts/setup.sh, or `apt-get install postgresql`")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_user() -> str | None:
    """The user to run the server as: `nobody` when we are root, else ourselves (None)."""
    return "nobody" if os.geteuid() == 0 else None


@dataclass
class PostgresServer:
    port: int
    password: str
    data_dir: Path
    bin_dir: Path
    user: str | None

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of one database, password included."""
        return URL.create("postgresql+psycopg", username=SUPERUSER, password=self.password,
                          host="127.0.0.1", port=self.port,
                          database=database).render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER,
                             password=self.password, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin_dir / command[0]), *command[1:]], check=check,
                              capture_output=True, text=True, user=self.user,
                              cwd=self.data_dir.parent)

    def stop(self) -> None:
        self.run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w", check=False)

    def start(self) -> None:
        """Start (or restart) the server and wait until it accepts connections."""
        log = self.data_dir.parent / "server.log"
        self.run("pg_ctl", "start", "-D", str(self.data_dir), "-l", str(log), "-w",
                 "-t", str(START_TIMEOUT_S),
                 "-o", f"-p {self.port} -h 127.0.0.1 -c unix_socket_directories=''"
                       " -c fsync=off -c max_connections=200")


def start_postgres() -> PostgresServer:
    bin_dir = postgres_bin_dir()
    user = _server_user()
    # Not under pytest's tmp_path: its root is private to root, and the server user must reach it.
    root = Path(tempfile.mkdtemp(prefix="synth-postgres-"))
    password = secrets.token_urlsafe(16)
    (root / "password").write_text(password)
    if user:
        shutil.chown(root, user)
        shutil.chown(root / "password", user)
    server = PostgresServer(port=_free_port(), password=password, data_dir=root / "data",
                            bin_dir=bin_dir, user=user)
    server.run("initdb", "-D", str(server.data_dir), "-U", SUPERUSER, "--auth=scram-sha-256",
               f"--pwfile={root / 'password'}", "--encoding=UTF8")
    for attempt in range(3):  # the free port may be taken between probing and binding it
        try:
            server.start()
            return server
        except subprocess.CalledProcessError:
            if attempt == 2:
                raise
            server.port = _free_port()
    raise AssertionError("unreachable")


def stop_postgres(server: PostgresServer) -> None:
    server.stop()
    shutil.rmtree(server.data_dir.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A SQLAlchemy URL of a new, empty database on the session's server."""
    return postgres_server.create_database(f"t_{secrets.token_hex(6)}")
