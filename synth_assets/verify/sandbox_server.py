"""The sandbox server: a warm, root-owned Python process that forks one sandboxed run per
request, so a run costs three forks and a few mounts instead of starting a new interpreter.

It is started by synth_assets.verify.sandbox as `python -I -S sandbox_server.py` inside its own
network namespace (only a down loopback) and mount namespace (world-writable directories
read-only, the interpreter's prefix bind-mounted where any uid can read it). It imports the
standard library only. Protocol, over a SOCK_SEQPACKET socket whose fd is the only argument:
each request is one JSON message carrying four file descriptors (the run's stdin, stdout,
stderr and a status pipe). The server never answers on the socket; each run reports on its
own status pipe.

Per run:
  supervisor (forked from the server, root): new pid, mount and IPC namespaces; waits for
      init with the wall-clock timeout and SIGKILLs it when the time is up, which kills every
      process of the run (a pid namespace dies with its init); reports {"timed_out": true}.
  init (pid 1 of the run, root): private /proc and a size-capped tmpfs as the working
      directory, then forks the program, waits for it and reports {"exit_code": N}.
  program (pid 2, the run's own uid): rlimits, no supplementary groups, no_new_privs, a
      clean environment, then the source runs as __main__ in this already-warm interpreter.
"""

import ctypes
import json
import linecache
import os
import resource
import select
import signal
import socket
import sys
import traceback
import types

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
SETUP_FAILED_EXIT = 125

_libc = ctypes.CDLL(None, use_errno=True)
# Our own references: the program may replace os._exit (and must never return into our code)
# or print (and its traceback must still reach stderr).
_exit, _write = os._exit, os.write


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps finished supervisors
    control.send(b"ready")
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1 << 16, 4)
        if not message:
            return  # our parent closed its end: nothing more to run
        if os.fork() == 0:
            status_fd = fds[3]
            try:
                control.close()
                _supervise(json.loads(message), *fds)
            except BaseException:
                _report(status_fd, {"error": traceback.format_exc(limit=3)})
            finally:
                _exit(0)
        for fd in fds:
            os.close(fd)


def _supervise(request: dict, stdin_fd: int, stdout_fd: int, stderr_fd: int,
               status_fd: int) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _check(_libc.unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    init = os.fork()
    if init == 0:
        _init(request, stdin_fd, stdout_fd, stderr_fd, status_fd)
    for fd in (stdin_fd, stdout_fd, stderr_fd):
        os.close(fd)
    pidfd = os.pidfd_open(init)
    ready, _, _ = select.select([pidfd], [], [], request["timeout_s"])
    if not ready:
        os.kill(init, signal.SIGKILL)
        _report(status_fd, {"timed_out": True})
    os.waitpid(init, 0)


def _init(request: dict, stdin_fd: int, stdout_fd: int, stderr_fd: int,
          status_fd: int) -> None:
    try:
        workdir = request["workdir"]
        _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
        _check(_libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None),
               "mount /proc")
        options = (f"size={request['workdir_bytes']},mode=0700,uid={request['uid']},"
                   f"gid={request['uid']}")
        _check(_libc.mount(b"tmpfs", workdir.encode(), b"tmpfs",
                           MS_NOSUID | MS_NODEV | MS_NOEXEC, options.encode()), "mount workdir")
        with open(request["program"], encoding="utf-8") as handle:
            source = handle.read()
        program = os.fork()
        if program == 0:
            os.close(status_fd)
            _run_program(request, source, stdin_fd, stdout_fd, stderr_fd)
        for fd in (stdin_fd, stdout_fd, stderr_fd):
            os.close(fd)
        _, status = os.waitpid(program, 0)
        _report(status_fd, {"exit_code": os.waitstatus_to_exitcode(status)})
    except BaseException:
        _report(status_fd, {"error": traceback.format_exc(limit=3)})
    finally:
        _exit(0)


def _run_program(request: dict, source: str, stdin_fd: int, stdout_fd: int,
                 stderr_fd: int) -> None:
    status = SETUP_FAILED_EXIT
    try:
        for target, fd in enumerate((stdin_fd, stdout_fd, stderr_fd)):
            os.dup2(fd, target)
        os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        for name, limit in request["rlimits"].items():
            resource.setrlimit(getattr(resource, name), (limit[0], limit[1]))
        uid = request["uid"]
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        os.chdir(request["workdir"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.setsid()
        status = _execute(source, request["program"])
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        _exit(status)


def _execute(source: str, path: str) -> int:
    """Run `source` as `python path` would, returning the exit status."""
    main_module = types.ModuleType("__main__")
    main_module.__file__ = path
    sys.modules["__main__"] = main_module
    sys.argv = [path]
    linecache.cache[path] = (len(source), None, source.splitlines(True), path)
    try:
        exec(compile(source, path, "exec"), main_module.__dict__)
    except SystemExit as exit_request:
        code = exit_request.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    except BaseException as error:
        # Leave out this frame: the traceback starts in the program, as `python path` shows it.
        lines = traceback.format_exception(type(error), error, error.__traceback__.tb_next)
        _write(2, "".join(lines).encode("utf-8", "replace"))
        return 1
    return 0


def _report(fd: int, status: dict) -> None:
    os.write(fd, (json.dumps(status) + "\n").encode())


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


if __name__ == "__main__":
    main()
