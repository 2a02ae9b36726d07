"""The sandbox against hostile programs. Real subprocesses, no mocks.

Tests marked with `needs_isolation` check the namespace layer, which needs root and a kernel
that allows unshare; elsewhere they are skipped (and would be unsafe: kill(-1) as your user).
"""

import json
import os
import resource
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from synth_assets.verify import sandbox
from synth_assets.verify.sandbox import (
    MAX_PROCESSES,
    OUTPUT_CAP_BYTES,
    SANDBOX_UID_BASE,
    SANDBOX_UID_COUNT,
    run_python,
)


def run(source: str, timeout_s: float = 10, memory_mb: int = 256, stdin: str = ""):
    return run_python(
        textwrap.dedent(source), timeout_s=timeout_s, memory_mb=memory_mb, stdin=stdin
    )


ISOLATED = run("pass").network_isolated
needs_isolation = pytest.mark.skipif(not ISOLATED, reason="namespaces unavailable (not root?)")


def processes_with(text: str) -> list[int]:
    """Host pids whose command line contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def processes_in_namespace(pid_namespace: str, settle_s: float = 2.0) -> list[int]:
    """Host pids still in the given pid namespace (e.g. "pid:[4026532291]") after up to
    `settle_s`: a run returns once its init has reported, while the kernel is still reaping
    the namespace's SIGKILLed processes. Other test suites on the same host may use sandbox
    uids at the same time: the namespace is this run's own."""
    deadline = time.monotonic() + settle_s
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.readlink(entry / "ns" / "pid") == pid_namespace:
                        found.append(int(entry.name))
                except OSError:
                    continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_runs_a_program_with_stdin_and_reports_exit_code_and_streams() -> None:
    result = run(
        """
        import sys
        data = sys.stdin.read()
        print(len(data), data[:5])
        print("to stderr", file=sys.stderr)
        sys.exit(3)
        """,
        stdin="hello" * 100_000,
    )
    assert result.exit_code == 3
    assert result.stdout == "500000 hello\n"
    assert result.stderr == "to stderr\n"
    assert not result.timed_out and result.killed_reason is None
    assert not result.output_truncated


def test_infinite_loop_times_out_and_its_whole_process_tree_is_killed() -> None:
    marker = f"sandbox-sleeper-{os.getpid()}-{time.monotonic_ns()}"
    start = time.monotonic()
    result = run(
        f"""
        import os, subprocess, sys
        # one child in our group, one that escapes into its own session
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{marker}"])
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{marker}"],
                         start_new_session=True)
        while True:
            pass
        """,
        timeout_s=1.5,
    )
    assert time.monotonic() - start < 5
    assert result.timed_out and result.killed_reason == "timeout"
    assert result.exit_code < 0
    time.sleep(0.2)
    assert processes_with(marker) == []


def test_exit_by_signal_is_reported() -> None:
    result = run("import ctypes; ctypes.string_at(0)")
    assert result.exit_code == -11
    assert result.killed_reason == "signal SIGSEGV"


def test_resource_limits_are_applied() -> None:
    result = run(
        """
        import resource
        for name in ("CPU", "AS", "NPROC", "FSIZE", "NOFILE", "CORE"):
            print(name, *resource.getrlimit(getattr(resource, "RLIMIT_" + name)))
        """,
        timeout_s=4,
        memory_mb=300,
    )
    limits = {
        name: (int(soft), int(hard))
        for name, soft, hard in map(str.split, result.stdout.splitlines())
    }
    assert limits["CPU"] == (5, 6)  # a backstop behind the wall-clock timeout
    assert limits["AS"] == (300 * 1024 * 1024,) * 2
    assert limits["NPROC"] == (MAX_PROCESSES,) * 2
    assert limits["FSIZE"][1] < 1024**3
    assert limits["NOFILE"][1] <= 64
    assert limits["CORE"] == (0, 0)


def test_fork_bomb_is_contained_and_leaves_nothing_behind() -> None:
    result = run(
        """
        import os, time
        print(os.readlink("/proc/self/ns/pid"), flush=True)
        children = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(600)
                    os._exit(0)
                children += 1
        except OSError as error:
            print(children, error.errno)
        """,
        timeout_s=5,
    )
    assert not result.timed_out
    namespace, children, errno = result.stdout.split()
    assert int(children) < MAX_PROCESSES
    assert int(errno) == 11  # EAGAIN: RLIMIT_NPROC reached
    if ISOLATED:
        assert processes_in_namespace(namespace) == []


def test_exponential_fork_bomb_is_killed_at_the_timeout() -> None:
    start = time.monotonic()
    result = run(
        """
        import os
        print(os.readlink("/proc/self/ns/pid"), flush=True)
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """,
        timeout_s=2,
    )
    assert time.monotonic() - start < 6
    assert result.timed_out
    if ISOLATED:
        assert processes_in_namespace(result.stdout.split()[0]) == []
    assert subprocess.run(["true"]).returncode == 0  # the host can still fork


def test_allocating_10_gb_fails() -> None:
    result = run("block = bytearray(10 * 1024**3)\nprint('allocated')", memory_mb=512)
    assert result.exit_code != 0
    assert "allocated" not in result.stdout
    assert "MemoryError" in result.stderr


def test_writing_a_1_gb_file_fails() -> None:
    result = run(
        """
        chunk = b"x" * (1024 * 1024)
        with open("big.bin", "wb") as handle:
            for _ in range(1024):
                handle.write(chunk)
        print("wrote 1 GB")
        """
    )
    assert result.exit_code != 0
    assert "wrote 1 GB" not in result.stdout
    assert "File too large" in result.stderr


@needs_isolation
def test_total_disk_use_is_bounded() -> None:
    result = run(
        """
        import os
        chunk = b"x" * (1024 * 1024)
        for i in range(100):
            with open(f"part{i}.bin", "wb") as handle:
                for _ in range(10):
                    handle.write(chunk)
        """
    )
    assert result.exit_code != 0
    assert "No space left on device" in result.stderr


def test_100_mb_of_output_is_capped_keeping_the_tail_without_buffering_it() -> None:
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run(
        """
        import sys
        block = "x" * (1024 * 1024)
        for _ in range(100):
            sys.stdout.write(block)
            sys.stderr.write(block)
        print("END")
        """,
        timeout_s=30,
    )
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    assert result.exit_code == 0
    assert result.output_truncated
    assert len(result.stdout) == OUTPUT_CAP_BYTES
    assert result.stdout.endswith("xxxEND\n")
    assert len(result.stderr) == OUTPUT_CAP_BYTES
    assert peak_after - peak_before < 50 * 1024


def test_environment_is_built_from_scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-secret-123")
    monkeypatch.setenv("DAGSTER_HOME", "/planted/dagster/home")
    monkeypatch.setenv("SYNTH_DB", "/planted/synth.duckdb")
    result = run("import json, os; print(json.dumps(dict(os.environ)))")
    env = json.loads(result.stdout)
    assert "planted" not in result.stdout
    assert not {"OPENAI_API_KEY", "DAGSTER_HOME", "SYNTH_DB"} & set(env)
    assert env["LANG"] == "C.UTF-8"
    assert env["HOME"] == env["TMPDIR"]


@needs_isolation
def test_parent_environment_is_not_readable_through_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-secret-456")
    result = run(
        """
        import os
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open(f"/proc/{pid}/environ", "rb") as handle:
                        print(handle.read().decode(errors="replace"))
                except OSError:
                    pass
        """
    )
    assert result.exit_code == 0
    assert "sk-planted-secret-456" not in result.stdout


@needs_isolation
def test_network_is_unreachable_even_on_loopback() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        result = run(
            f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2)
                print("connected")
            except OSError as error:
                print("refused", error)
            """
        )
    assert result.network_isolated
    assert result.stdout.startswith("refused"), result.stdout


@needs_isolation
def test_cannot_write_outside_its_working_directory(tmp_path: Path) -> None:
    probe_name = f"sandbox-write-probe-{os.getpid()}"
    targets = [
        tmp_path / probe_name,
        Path.cwd() / probe_name,
        Path("/var/tmp") / probe_name,
        Path("/dev/shm") / probe_name,
        Path("/etc") / probe_name,
        Path(sys.prefix) / probe_name,
    ]
    result = run(
        f"""
        import os
        for path in {[str(target) for target in targets]!r}:
            try:
                open(path, "w").write("pwned")
                print("WROTE", path)
            except OSError as error:
                print("blocked", path, error.strerror)
        open("inside.txt", "w").write("fine")
        print("cwd ok", open("inside.txt").read(), os.getcwd())
        """
    )
    assert "WROTE" not in result.stdout, result.stdout
    assert "cwd ok fine /tmp" in result.stdout  # its own tmpfs, not the host's /tmp
    assert not any(target.exists() for target in targets)
    assert not (Path("/tmp") / "inside.txt").exists()


@needs_isolation
def test_cannot_signal_the_parent_or_other_host_processes() -> None:
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        result = run(
            f"""
            import os, signal
            for target in (os.getppid(), {os.getpid()}, {bystander.pid}):
                try:
                    os.kill(target, signal.SIGKILL)
                    print("signalled", target)
                except OSError as error:
                    print("refused", target, error.strerror)
            try:
                os.kill(-1, signal.SIGKILL)  # everything this uid may signal
            except ProcessLookupError:
                pass  # nothing: the program is alone
            print("still here")
            """
        )
        assert result.exit_code == 0, result.stderr
        assert "signalled" not in result.stdout
        assert "still here" in result.stdout
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


@needs_isolation
def test_mounts_stay_inside_the_namespace() -> None:
    run("print('hi')")
    assert "synth-sandbox-" not in Path("/proc/self/mountinfo").read_text()


@needs_isolation
def test_concurrent_runs_get_distinct_uids() -> None:
    source = "import os, time; time.sleep(0.5); print(os.getuid())"
    with ThreadPoolExecutor(max_workers=4) as pool:
        uids = [result.stdout.strip() for result in pool.map(lambda _: run(source), range(4))]
    assert len(set(uids)) == 4
    assert all(SANDBOX_UID_BASE <= int(uid) < SANDBOX_UID_BASE + SANDBOX_UID_COUNT for uid in uids)


def test_rejects_nonsensical_limits() -> None:
    with pytest.raises(ValueError):
        run_python("pass", timeout_s=0, memory_mb=256)
    with pytest.raises(ValueError):
        run_python("pass", timeout_s=1, memory_mb=0)


def test_fallback_without_namespaces_still_limits_and_says_so() -> None:
    source = "import os; print(sorted(os.environ)); bytearray(10 * 1024**3)"
    [result], _ = sandbox._run([source], timeout_s=5, memory_mb=256, stdin="", namespaced=False)
    assert not result.network_isolated
    assert result.stdout == "['HOME', 'LANG', 'PATH', 'TMPDIR']\n"
    assert "MemoryError" in result.stderr
    [timed_out], _ = sandbox._run(["while True: pass"], 0.5, 256, stdin="", namespaced=False)
    assert timed_out.timed_out and timed_out.killed_reason == "timeout"


def test_a_sandbox_server_that_cannot_start_means_the_fallback_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sandbox, "_server", sandbox._SandboxServer())
    monkeypatch.setattr(sandbox, "_SERVER_SCRIPT", Path("/nonexistent/sandbox_server.py"))
    with caplog.at_level("WARNING"):
        assert sandbox._namespaces_work.__wrapped__() is False
    assert "sandbox without namespaces" in caplog.text
    assert "with network access" in caplog.text
