"""Run untrusted, model-written Python in a locked-down child process (or two: see run_pair).

Where this process is root and the kernel allows namespaces (the normal case), runs go through
a warm sandbox server (sandbox_server.py), started once per process:
- the server lives in its own network namespace (only a down loopback: no network, not even
  127.0.0.1) and mount namespace, where it prepares once a minimal root filesystem: a
  read-only tmpfs with read-only bind mounts of the interpreter's prefix, the shared libraries
  and four device files (ROOT_PATHS), nothing else of the host;
- the server itself then pivots into that root, so no store, spec, seed file, home directory
  or other run's files exist for the runs it forks; sources arrive as in-memory files;
- each run gets fresh pid, mount and IPC namespaces (the whole process tree dies with it) and
  a /proc of its own; each program gets its own size-capped tmpfs as /tmp and working
  directory, a uid of its own (so RLIMIT_NPROC counts only this program and it cannot
  signal or read any other process), no supplementary groups, no_new_privs, and rlimits on
  CPU seconds, address space, process count, file size, open files and core dumps; the program
  runs in a forked, already-started interpreter, so a run costs a few forks instead of a new
  interpreter.
Without namespaces (not root, or forbidden by the kernel or a container) the fallback runs
`python -I -S` under prlimit as this user, in its own session: the same rlimits, timeout,
clean environment and output cap, but network access, the host's filesystem as this user
sees it, and the same uid; a warning says so once, and every result says
`network_isolated=False`.

Always: an environment built from scratch (no secrets), a fresh working directory (a tmpfs
that dies with the run; without namespaces, a directory deleted afterwards), the standard
library only (`-I -S`), the process group or namespace SIGKILLed at the
wall-clock timeout, and stdout/stderr read incrementally keeping the last OUTPUT_CAP_BYTES.
"""

from __future__ import annotations

import atexit
import functools
import json
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
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
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
# The exit status by which the second program of a pair asks for the first one's.
FIRST_STATUS_WANTED = 3
# How long past its timeout a run may take to report before we give up on the server.
SERVER_GRACE_S = 10.0
_POLL_S = 0.05
_SERVER_SCRIPT = Path(__file__).with_name("sandbox_server.py")
_log = logging.getLogger(__name__)

# What a sandboxed program sees of the host, read-only: the interpreter (its prefix holds the
# standard library), the shared libraries it and its extension modules load, the dynamic
# linker's cache, the time zone data (zoneinfo) and four harmless devices. /lib and /lib64
# are usually symlinks into /usr.
ROOT_PATHS = (sys.base_prefix, "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/etc/ld.so.cache",
              "/usr/share/zoneinfo", "/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")
# Standard-library-only modules every sandboxed program may import at no cost: the warm
# server imports them once; without namespaces the launcher loads them.
PRELOADED_MODULES = {"judge_harness": str(Path(__file__).with_name("judge_harness.py"))}
_SANDBOX_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp",
                "TMPDIR": "/tmp"}
# Without namespaces, each program starts through this: it loads PRELOADED_MODULES, gets a
# pair's socket and report pipe as fds 3 and 4, and deletes its source before the other
# program's code can read it.
_FALLBACK_LAUNCHER = """
import fcntl, importlib.util, json, os, sys
path, preloaded, fds = sys.argv[1], json.loads(sys.argv[2]), [int(fd) for fd in sys.argv[3:]]
for name, module_path in preloaded.items():
    spec = importlib.util.spec_from_file_location(name, module_path)
    sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sys.modules[name])
moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, 3 + len(fds)) for fd in fds]
for target, fd in enumerate(moved, start=3):
    os.dup2(fd, target)
for fd in set(fds + moved) - set(range(3, 3 + len(fds))):
    os.close(fd)
with open(path, encoding="utf-8") as handle:
    source = handle.read()
os.unlink(path)
sys.argv = [path]
exec(compile(source, path, "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
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


@dataclass(frozen=True)
class PairResult:
    first: SandboxResult
    second: SandboxResult
    report: str  # what the second program wrote on its report pipe (fd 4), "" if nothing


def run_python(source: str, timeout_s: float, memory_mb: int, stdin: str = "") -> SandboxResult:
    """Run `source` as a Python program in the sandbox and report how it ended."""
    _check_limits(timeout_s, memory_mb)
    results, _ = _run([source], timeout_s, memory_mb, stdin, namespaced=_namespaces_work())
    return results[0]


def run_pair(first: str, second: str, timeout_s: float, memory_mb: int) -> PairResult:
    """Run two programs side by side, each sandboxed as run_python's, under separate uids,
    connected by a socket at fd 3 in both; the second also gets a pipe to us at fd 4. The run
    ends when the second program ends, or at the timeout; the first is then killed, unless the
    second exited with status FIRST_STATUS_WANTED: then the first gets a short grace to end,
    so its exit status says how it ended. Each program gets `memory_mb`."""
    _check_limits(timeout_s, memory_mb)
    results, report = _run([first, second], timeout_s, memory_mb, "",
                           namespaced=_namespaces_work())
    return PairResult(first=results[0], second=results[1], report=report)


def _check_limits(timeout_s: float, memory_mb: int) -> None:
    if timeout_s <= 0 or memory_mb <= 0:
        raise ValueError(f"timeout_s and memory_mb must be > 0, got {timeout_s}, {memory_mb}")


@functools.cache
def _namespaces_work() -> bool:
    """Probe once whether this process may build the namespaced sandbox."""
    if os.geteuid() != 0:
        problem = "not running as root"
    elif shutil.which("unshare") is None:
        problem = "unshare (util-linux) not on PATH"
    else:
        try:
            probe, _ = _run(["print('ok')"], timeout_s=20, memory_mb=256, stdin="",
                            namespaced=True)
        except (OSError, RuntimeError) as error:
            probe = None
            problem = f"the sandbox server failed: {error}"
        if probe is not None:
            if probe[0].exit_code == 0 and probe[0].stdout == "ok\n":
                return True
            problem = f"probe failed: {probe[0].stderr.strip()[-300:]}"
    _log.warning(
        "sandbox without namespaces (%s): untrusted code runs as this user, with network "
        "access and the host's files, limited only by rlimits",
        problem,
    )
    return False


def _run(
    sources: list[str], timeout_s: float, memory_mb: int, stdin: str, namespaced: bool
) -> tuple[list[SandboxResult], str]:
    """Results of the programs (one, or a pair) and the pair's report."""
    if not namespaced:
        run_dir = Path(tempfile.mkdtemp(prefix="synth-sandbox-"))  # 0700: ours only
        try:
            paths = []
            for index, source in enumerate(sources):
                paths.append(run_dir / f"program{index}.py")
                paths[-1].write_text(source, encoding="utf-8")
            return _execute_unshared(paths, run_dir, stdin, timeout_s, memory_mb)
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)
    with _sandbox_uids(len(sources)) as uids:
        request = {
            "programs": [{"uid": uid} for uid in uids],
            "env": _SANDBOX_ENV,
            "timeout_s": timeout_s,
            "tmp_bytes": WORKDIR_BYTES,
            "rlimits": _rlimits(timeout_s, memory_mb),
            "first_status_wanted_on": FIRST_STATUS_WANTED,
        }
        return _execute_in_server(request, sources, stdin)


def _in_memory_file(text: str) -> int:
    """A file descriptor of an anonymous in-memory file holding `text`, read from the start:
    sources reach the server without touching any filesystem another run could see."""
    fd = os.memfd_create("program", os.MFD_CLOEXEC)
    data = memoryview(text.encode("utf-8"))
    while data:
        data = data[os.write(fd, data):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _rlimits(timeout_s: float, memory_mb: int) -> dict[str, tuple[int, int]]:
    """(soft, hard) per resource. CPU seconds are a backstop behind the wall-clock timeout."""
    cpu_s = math.ceil(timeout_s) + 1
    return {
        "RLIMIT_CPU": (cpu_s, cpu_s + 1),
        "RLIMIT_AS": (memory_mb * 1024 * 1024,) * 2,
        "RLIMIT_NPROC": (MAX_PROCESSES,) * 2,
        "RLIMIT_FSIZE": (MAX_FILE_BYTES,) * 2,
        "RLIMIT_NOFILE": (MAX_OPEN_FILES,) * 2,
        "RLIMIT_CORE": (0, 0),
    }


def _prlimit_command(timeout_s: float, memory_mb: int) -> list[str]:
    if shutil.which("prlimit") is None:
        raise RuntimeError("the sandbox needs `prlimit` (util-linux) on PATH")
    options = {"RLIMIT_CPU": "cpu", "RLIMIT_AS": "as", "RLIMIT_NPROC": "nproc",
               "RLIMIT_FSIZE": "fsize", "RLIMIT_NOFILE": "nofile", "RLIMIT_CORE": "core"}
    limits = _rlimits(timeout_s, memory_mb)
    return ["prlimit", *(f"--{options[name]}={soft}:{hard}"
                         for name, (soft, hard) in limits.items()), "--"]


@contextmanager
def _sandbox_uids(count: int) -> Iterator[list[int]]:
    """Reserve `count` uids no other run (in any process on this host) is using right now.

    A reservation is an abstract unix socket bound to a name derived from the uid: the
    kernel makes the name exclusive and frees it when the socket closes or we die.
    """
    with ExitStack() as locks:
        uids: list[int] = []
        for uid in range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + SANDBOX_UID_COUNT):
            lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                lock.bind(f"\0synth-assets-sandbox-uid-{uid}")
            except OSError:
                lock.close()
                continue
            locks.enter_context(lock)
            uids.append(uid)
            if len(uids) == count:
                yield uids
                return
    raise RuntimeError(f"all {SANDBOX_UID_COUNT} sandbox uids are in use")


class _SandboxServer:
    """The warm server process of this (parent) process; restarted after a fork or a crash."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner_pid: int | None = None
        self._process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._server_dir: Path | None = None

    def submit(self, request: dict, fds: list[int]) -> None:
        """Hand one run to the server; it reports on the status pipe among `fds`."""
        message = json.dumps(request).encode()
        with self._lock:
            for attempt in (1, 2):
                if self._control is None or self._owner_pid != os.getpid() or (
                    self._process is not None and self._process.poll() is not None
                ):
                    self._start()
                try:
                    socket.send_fds(self._control, [message], fds)
                    return
                except OSError:
                    if attempt == 2:
                        raise
                    self._control = None  # the server died: start a new one and retry

    def stop(self) -> None:
        with self._lock:
            if self._owner_pid != os.getpid():
                return
            if self._control is not None:
                self._control.close()  # the server exits when its end reads EOF
            if self._process is not None:
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
            if self._server_dir is not None:
                shutil.rmtree(self._server_dir, ignore_errors=True)
            self._control = self._process = self._server_dir = None

    def _start(self) -> None:
        if self._process is not None and self._owner_pid == os.getpid():
            self._process.kill()
            self._process.wait()
        server_source = _SERVER_SCRIPT.read_bytes()
        config = json.dumps({
            # The server mounts the runs' root filesystem here, in its own mount namespace.
            "root": tempfile.mkdtemp(prefix="synth-sandbox-server-"),
            "paths": _root_paths(),
            "modules": {name: Path(path).read_text(encoding="utf-8")
                        for name, path in PRELOADED_MODULES.items()},
        }).encode()  # fmt: skip
        server_dir = Path(json.loads(config)["root"])
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        interpreter = Path(os.path.realpath(sys.base_prefix), "bin", f"python{version}")
        command = [
            "unshare", "--net", "--mount", "--ipc", "--",
            str(interpreter), "-I", "-S", "-", str(theirs.fileno()),
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=[theirs.fileno()],
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
            start_new_session=True,
        )
        theirs.close()
        ours.settimeout(30)
        try:
            process.stdin.write(server_source)  # its source: no path on its command line
            process.stdin.close()
            ours.send(config)
            ready = ours.recv(16)
        except OSError:
            ready = b""
        if ready != b"ready":
            process.kill()
            error = process.stderr.read().decode(errors="replace").strip()[-300:]
            process.wait()
            ours.close()
            shutil.rmtree(server_dir, ignore_errors=True)
            raise OSError(f"the sandbox server did not start: {error or 'no output'}")
        ours.settimeout(None)
        process.stderr.close()
        self._owner_pid = os.getpid()
        self._process, self._control, self._server_dir = process, ours, server_dir


_server = _SandboxServer()
atexit.register(_server.stop)


def _root_paths() -> list[str]:
    """ROOT_PATHS that exist, the interpreter's prefix resolved (the server runs from there,
    so its sys.executable works inside), leaving out those inside an earlier directory."""
    paths: list[str] = []
    for path in ROOT_PATHS:
        path = os.path.realpath(path) if path == sys.base_prefix else path
        if os.path.lexists(path) and not any(
            path.startswith(earlier.rstrip("/") + "/") for earlier in paths
        ):
            paths.append(path)
    return paths


def _execute_in_server(
    request: dict, sources: list[str], stdin: str
) -> tuple[list[SandboxResult], str]:
    start = time.monotonic()
    count = len(sources)
    stdin_r, stdin_w = os.pipe()
    status_r, status_w = os.pipe()
    outputs = [os.pipe() for _ in range(2 * count)]  # stdout and stderr of each program
    report = [os.pipe()] if count == 2 else []
    sent = [status_w]
    for index, source in enumerate(sources):
        sent += [_in_memory_file(source), stdin_r, outputs[2 * index][1],
                 outputs[2 * index + 1][1]]
    sent += [write for _, write in report]
    try:
        _server.submit(request, sent)
    finally:
        for fd in {stdin_r, *sent}:
            os.close(fd)
    deadline = start + request["timeout_s"] + SERVER_GRACE_S
    readers = [read for read, _ in outputs + report]

    def reported(captured: dict[int, bytearray], still_open: set[int]) -> bool:
        # The run's last word is on the status pipe: no need to wait for its writers to exit.
        status = captured[status_r]
        return still_open == {status_r} and status.endswith(b"\n") and any(
            key in status for key in (b'"exit_codes"', b'"timed_out"', b'"error"'))

    captured, truncated = _pump([*readers, status_r], stdin_w, stdin, deadline,
                                finished=reported)
    status: dict = {}
    for line in captured[status_r].decode().splitlines():
        status.update(json.loads(line))
    if "error" in status:
        raise RuntimeError(f"the sandbox failed to set up a run: {status['error']}")
    timed_out = bool(status.get("timed_out")) or "exit_codes" not in status
    codes = [None] * count if timed_out else status["exit_codes"]
    results = [
        _result(-signal.SIGKILL if code is None else code, timed_out,
                captured[outputs[2 * index][0]], captured[outputs[2 * index + 1][0]],
                truncated, start, network_isolated=True)
        for index, code in enumerate(codes)
    ]  # fmt: skip
    report_text = captured[report[0][0]].decode("utf-8", "replace") if report else ""
    return results, report_text


def _execute_unshared(
    paths: list[Path], run_dir: Path, stdin: str, timeout_s: float, memory_mb: int
) -> tuple[list[SandboxResult], str]:
    start = time.monotonic()
    prlimit = _prlimit_command(timeout_s, memory_mb)
    links = socket.socketpair() if len(paths) == 2 else None
    report_r, report_w = os.pipe() if links else (None, None)
    processes = []
    for index, path in enumerate(paths):
        workdir = run_dir / f"work{index}"
        workdir.mkdir()
        fds = [] if links is None else [links[index].fileno()] + ([report_w] if index else [])
        command = [*prlimit, sys.executable, "-I", "-S", "-c", _FALLBACK_LAUNCHER, str(path),
                   json.dumps(PRELOADED_MODULES), *map(str, fds)]
        processes.append(subprocess.Popen(
            command,
            stdin=subprocess.PIPE if index == 0 else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=fds,
            cwd=workdir,
            env={**_SANDBOX_ENV, "HOME": str(workdir), "TMPDIR": str(workdir)},
            start_new_session=True,
        ))  # fmt: skip
    if links is not None:
        for end in links:
            end.close()
        os.close(report_w)
    # _pump owns (and closes) its fds: hand it copies and drop Popen's.
    stdin_fd = os.dup(processes[0].stdin.fileno())
    outputs = [os.dup(pipe.fileno()) for process in processes
               for pipe in (process.stdout, process.stderr)]
    for process in processes:
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    exited = [False] * len(processes)

    def kill_groups_once_the_last_exited() -> None:
        # Orphaned children would otherwise keep the pipes open; the last program's end is
        # the end of the run.
        for index, process in enumerate(processes):
            exited[index] = exited[index] or _has_exited(process)
        if exited[-1]:
            for process in processes:
                _kill_group(process)

    captured, truncated = _pump(
        outputs + ([report_r] if report_r is not None else []), stdin_fd, stdin,
        start + timeout_s, kill_groups_once_the_last_exited,
    )  # fmt: skip
    while not exited[-1] and time.monotonic() < start + timeout_s:
        time.sleep(0.005)  # pipes closed but the program has not exited yet
        kill_groups_once_the_last_exited()
    for process in processes:
        _kill_group(process)
    timed_out = not exited[-1]
    results = [
        _result(process.wait(), timed_out, captured[outputs[2 * index]],
                captured[outputs[2 * index + 1]], truncated, start, network_isolated=False)
        for index, process in enumerate(processes)
    ]  # fmt: skip
    report = captured[report_r].decode("utf-8", "replace") if report_r is not None else ""
    return results, report


def _pump(
    outputs: list[int], stdin_fd: int, stdin: str, deadline: float,
    on_tick: Callable[[], None] | None = None,
    finished: Callable[[dict[int, bytearray], set[int]], bool] | None = None,
) -> tuple[dict[int, bytearray], bool]:  # fmt: skip
    """Feed stdin and read every output until all are closed, `finished(captured, still
    open)` says so or the deadline passes, keeping the last OUTPUT_CAP_BYTES of each. Closes
    all the fds it was given."""
    captured = {fd: bytearray() for fd in outputs}
    truncated = False
    pending = memoryview(stdin.encode("utf-8"))
    selector = selectors.DefaultSelector()
    for fd in outputs:
        selector.register(fd, selectors.EVENT_READ)
    if pending:
        os.set_blocking(stdin_fd, False)
        selector.register(stdin_fd, selectors.EVENT_WRITE)
    else:
        os.close(stdin_fd)
    try:
        while still_open := {key.fd for key in selector.get_map().values()} & captured.keys():
            if finished is not None and finished(captured, still_open):
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            for key, _ in selector.select(min(remaining, _POLL_S)):
                if key.fd == stdin_fd:
                    pending = _write_stdin(stdin_fd, pending, selector)
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                # Keep the tail: tracebacks and final results come last.
                buffer = captured[key.fd]
                buffer += chunk
                if len(buffer) > OUTPUT_CAP_BYTES:
                    del buffer[: len(buffer) - OUTPUT_CAP_BYTES]
                    truncated = True
            if on_tick is not None:
                on_tick()
    finally:
        if pending:
            os.close(stdin_fd)
        for fd in outputs:
            os.close(fd)
        selector.close()
    return captured, truncated


def _result(
    exit_code: int, timed_out: bool, stdout: bytes, stderr: bytes, truncated: bool,
    start: float, network_isolated: bool,
) -> SandboxResult:  # fmt: skip
    if timed_out:
        killed_reason: str | None = "timeout"
    elif exit_code < 0:
        killed_reason = f"signal {signal.Signals(-exit_code).name}"
    else:
        killed_reason = None
    return SandboxResult(
        exit_code=exit_code,
        stdout=stdout.decode("utf-8", errors="replace"),
        stderr=stderr.decode("utf-8", errors="replace"),
        timed_out=timed_out,
        duration_s=time.monotonic() - start,
        killed_reason=killed_reason,
        network_isolated=network_isolated,
        output_truncated=truncated,
    )


def _write_stdin(fd: int, pending: memoryview, selector: selectors.BaseSelector) -> memoryview:
    try:
        written = os.write(fd, pending[: select.PIPE_BUF])
    except BlockingIOError:
        return pending
    except BrokenPipeError:
        written = len(pending)  # the program stopped reading; drop the rest
    pending = pending[written:]
    if not pending:
        selector.unregister(fd)
        os.close(fd)
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
