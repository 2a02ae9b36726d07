"""Run untrusted, model-written Python in a locked-down child process.

Layers, outermost first:
- prlimit: CPU seconds, address space, process count, file size, open files, no core dumps.
  (Set by a wrapper program rather than a preexec_fn, which is unsafe in a threaded parent.)
- When running as root and the kernel allows it, unshare: new network namespace (only a down
  loopback), pid namespace (the whole tree dies with it), mount namespace (world-writable
  directories read-only, a small private tmpfs as the working directory) and IPC namespace;
  then setpriv drops to a sandbox uid of its own, so RLIMIT_NPROC counts only this run.
- Always: a new session (the process group is SIGKILLed on timeout), `python -I -S` (isolated
  mode, no site: the program sees the standard library only, the same on every host), an
  environment built from scratch (no secrets), a fresh directory deleted afterwards, and
  stdout/stderr read incrementally, keeping only the last OUTPUT_CAP_BYTES of each.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import select
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

OUTPUT_CAP_BYTES = 64 * 1024
MAX_PROCESSES = 16
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_OPEN_FILES = 64
WORKDIR_BYTES = 64 * 1024 * 1024
# Each concurrent run gets its own uid from this range, so one run's fork bomb cannot use up
# another run's RLIMIT_NPROC (which the kernel counts per uid).
SANDBOX_UID_BASE = 61000
SANDBOX_UID_COUNT = 256
_POLL_S = 0.05
_log = logging.getLogger(__name__)

# Runs as root inside the new namespaces, then starts the program as the sandbox uid.
# Mounts made here are private to the namespace (unshare's default propagation).
_NAMESPACE_SETUP = """
set -eu
run_dir=$1; uid=$2; python_prefix=$3; workdir_bytes=$4; shift 4
for dir in /tmp /var/tmp /dev/shm /run/lock; do
    if [ -d "$dir" ]; then mount --bind -o ro "$dir" "$dir"; fi
done
mount --bind -o ro "$python_prefix" "$run_dir/python"
mount -t tmpfs -o "size=$workdir_bytes,mode=0700,uid=$uid,gid=$uid,nosuid,nodev,noexec" \\
    tmpfs "$run_dir/work"
cd "$run_dir/work"  # re-enter: our cwd still points at the directory under the new mount
"$@"
"""


@dataclass(frozen=True)
class SandboxResult:
    exit_code: int  # negative: killed by that signal
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float
    killed_reason: str | None  # "timeout", "signal SIGXCPU", ... or None
    network_isolated: bool  # False when namespaces were unavailable (not root, or forbidden)
    output_truncated: bool  # stdout or stderr went past OUTPUT_CAP_BYTES; the tail is kept


def run_python(source: str, timeout_s: float, memory_mb: int, stdin: str = "") -> SandboxResult:
    """Run `source` as a Python program in the sandbox and report how it ended."""
    if timeout_s <= 0 or memory_mb <= 0:
        raise ValueError(f"timeout_s and memory_mb must be > 0, got {timeout_s}, {memory_mb}")
    return _run(source, timeout_s, memory_mb, stdin, namespaced=_namespaces_work())


@functools.cache
def _namespaces_work() -> bool:
    """Probe once whether this process may build the namespaced sandbox."""
    if os.geteuid() != 0:
        problem = "not running as root"
    elif not all(shutil.which(tool) for tool in ("unshare", "setpriv")):
        problem = "unshare or setpriv (util-linux) not on PATH"
    else:
        probe = _run("print('ok')", timeout_s=20, memory_mb=256, stdin="", namespaced=True)
        if probe.exit_code == 0 and probe.stdout == "ok\n":
            return True
        problem = f"probe failed: {probe.stderr.strip()[-300:]}"
    _log.warning(
        "sandbox without namespaces (%s): untrusted code runs as this user, with network "
        "access, limited only by rlimits",
        problem,
    )
    return False


def _run(
    source: str, timeout_s: float, memory_mb: int, stdin: str, namespaced: bool
) -> SandboxResult:
    run_dir = Path(tempfile.mkdtemp(prefix="synth-sandbox-"))
    try:
        program = run_dir / "main.py"
        program.write_text(source, encoding="utf-8")
        workdir = run_dir / "work"
        workdir.mkdir()
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(workdir),
            "TMPDIR": str(workdir),
        }
        limits = _prlimit_command(timeout_s, memory_mb)
        if not namespaced:
            command = [*limits, sys.executable, "-I", "-S", str(program)]
            return _execute(command, env, workdir, stdin, timeout_s, namespaced=False)
        with _sandbox_uid() as uid:
            # The sandbox uid cannot read the parent's interpreter where it lives (e.g. under
            # /root), so the interpreter's prefix is bind-mounted read-only into the run dir.
            (run_dir / "python").mkdir()
            run_dir.chmod(0o755)
            program.chmod(0o644)
            env["LD_LIBRARY_PATH"] = str(run_dir / "python" / "lib")
            version = f"{sys.version_info.major}.{sys.version_info.minor}"
            python = run_dir / "python" / "bin" / f"python{version}"
            command = [
                *limits,
                "unshare", "--net", "--pid", "--fork", "--kill-child", "--mount",
                "--mount-proc", "--ipc", "--",
                "/bin/sh", "-c", _NAMESPACE_SETUP, "sh",
                str(run_dir), str(uid), sys.base_prefix, str(WORKDIR_BYTES),
                "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--no-new-privs", "--",
                str(python), "-I", "-S", str(program),
            ]  # fmt: skip
            return _execute(command, env, workdir, stdin, timeout_s, namespaced=True)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _prlimit_command(timeout_s: float, memory_mb: int) -> list[str]:
    if shutil.which("prlimit") is None:
        raise RuntimeError("the sandbox needs `prlimit` (util-linux) on PATH")
    cpu_s = math.ceil(timeout_s) + 1
    return [
        "prlimit",
        f"--cpu={cpu_s}:{cpu_s + 1}",
        f"--as={memory_mb * 1024 * 1024}",
        f"--nproc={MAX_PROCESSES}",
        f"--fsize={MAX_FILE_BYTES}",
        f"--nofile={MAX_OPEN_FILES}",
        "--core=0",
        "--",
    ]


@contextmanager
def _sandbox_uid() -> Iterator[int]:
    """Reserve a uid no other run (in any process on this host) is using right now.

    The reservation is an abstract unix socket bound to a name derived from the uid:
    the kernel makes the name exclusive and frees it when the socket closes or we die.
    """
    for uid in range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + SANDBOX_UID_COUNT):
        lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            lock.bind(f"\0synth-assets-sandbox-uid-{uid}")
        except OSError:
            lock.close()
            continue
        with lock:
            yield uid
        return
    raise RuntimeError(f"all {SANDBOX_UID_COUNT} sandbox uids are in use")


def _execute(
    command: list[str], env: dict[str, str], cwd: Path, stdin: str, timeout_s: float,
    namespaced: bool,
) -> SandboxResult:  # fmt: skip
    start = time.monotonic()
    deadline = start + timeout_s
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    captured = {process.stdout: bytearray(), process.stderr: bytearray()}
    truncated = False
    pending_stdin = memoryview(stdin.encode("utf-8"))
    selector = selectors.DefaultSelector()
    for pipe in captured:
        selector.register(pipe, selectors.EVENT_READ)
    if pending_stdin:
        os.set_blocking(process.stdin.fileno(), False)
        selector.register(process.stdin, selectors.EVENT_WRITE)
    else:
        process.stdin.close()

    exited = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or (exited and not selector.get_map()):
            break
        if selector.get_map():
            events = selector.select(min(remaining, _POLL_S))
        else:
            events = []
            time.sleep(min(remaining, 0.005))  # pipes closed but the program has not exited yet
        for key, _ in events:
            if key.fileobj is process.stdin:
                pending_stdin = _write_stdin(process, pending_stdin, selector)
                continue
            chunk = os.read(key.fd, 65536)
            if not chunk:
                selector.unregister(key.fileobj)
                continue
            # Keep the tail: tracebacks and final results come last.
            buffer = captured[key.fileobj]
            buffer += chunk
            if len(buffer) > OUTPUT_CAP_BYTES:
                del buffer[: len(buffer) - OUTPUT_CAP_BYTES]
                truncated = True
        if not exited and _has_exited(process):
            exited = True
            _kill_group(process)  # orphaned children would otherwise keep the pipes open

    _kill_group(process)
    returncode = process.wait()
    selector.close()
    for pipe in (process.stdin, process.stdout, process.stderr):
        pipe.close()

    exit_code = returncode
    if namespaced and returncode > 128:
        exit_code = -(returncode - 128)  # the namespace's init shell reports signal N as 128+N
    if not exited:
        killed_reason: str | None = "timeout"
    elif exit_code < 0:
        killed_reason = f"signal {signal.Signals(-exit_code).name}"
    else:
        killed_reason = None
    return SandboxResult(
        exit_code=exit_code,
        stdout=captured[process.stdout].decode("utf-8", errors="replace"),
        stderr=captured[process.stderr].decode("utf-8", errors="replace"),
        timed_out=not exited,
        duration_s=time.monotonic() - start,
        killed_reason=killed_reason,
        network_isolated=namespaced,
        output_truncated=truncated,
    )


def _write_stdin(
    process: subprocess.Popen, pending: memoryview, selector: selectors.BaseSelector
) -> memoryview:
    try:
        written = os.write(process.stdin.fileno(), pending[: select.PIPE_BUF])
    except BlockingIOError:
        return pending
    except BrokenPipeError:
        written = len(pending)  # the program stopped reading; drop the rest
    pending = pending[written:]
    if not pending:
        selector.unregister(process.stdin)
        process.stdin.close()
    return pending


def _has_exited(process: subprocess.Popen) -> bool:
    """Whether the child has exited, without reaping it: until it is reaped its pid, which is
    also our process group id, cannot be reused, so killing the group stays safe."""
    return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone
