"""The sandbox server: a warm, root-owned Python process that forks one sandboxed run per
request, so a run costs a few forks and mounts instead of starting a new interpreter.

It is started by synth_assets.verify.sandbox as `python -I -S - FD`, its source on stdin (so
its command line, which any process may read, names no host path), inside its own network
namespace (only a down loopback) and mount namespace. Its first message on the socket FD is
its configuration: {"root", "paths", "modules"}. It then builds the runs' root filesystem
once at `root`: a tmpfs holding read-only bind mounts of the host `paths` (the interpreter's
prefix, the shared libraries, /dev/null ...; a path that is a symlink is copied as that
symlink), made read-only itself; it imports `modules` ({name: source}, standard-library-only
modules the programs import for free), then pivots into the root: from then on the server and
its runs see nothing else of the host. It imports the standard library only. Then, over
that SOCK_SEQPACKET socket, each request is one JSON message carrying its file descriptors:
a status pipe, then the source (an in-memory file), stdin, stdout and stderr of each
program, then (with two programs) the second program's report pipe. The server never answers
on the socket; each run reports on its own status pipe.

Per run:
  supervisor (forked from the server, root): new pid, mount and IPC namespaces; waits for
      init with the wall-clock timeout and SIGKILLs it when the time is up, which kills every
      process of the run (a pid namespace dies with its init); reports {"timed_out": true}.
  init (pid 1 of the run, root): mounts a private /proc, forks the programs
      and reports {"exit_codes": [...]} once the last program has ended (the first of two is
      waited for briefly only if the last asked for it by its exit status; it then dies
      with the rest of the run).
  program (its own uid): its own mount namespace with a size-capped tmpfs as /tmp and working
      directory, rlimits, no supplementary groups, no_new_privs, a clean environment; then
      its source (read from its in-memory file) runs as __main__ in this warm interpreter.
      Two programs are connected by a socket at fd 3; the second also holds the report pipe
      at fd 4.
"""

import ctypes
import fcntl
import gc
import json
import linecache
import os
import platform
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
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 0x4000
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS = 38
SETUP_FAILED_EXIT = 125
ROOT_BYTES = 1024 * 1024
# How long the first of two programs may take to exit once the second one (the judge) ended
# asking for its status: it normally has ended already; its exit status tells how.
FIRST_PROGRAM_GRACE_S = 0.5
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}

_libc = ctypes.CDLL(None, use_errno=True)
# Our own references: the program may replace os._exit (and must never return into our code)
# or print (and its traceback must still reach stderr).
_exit, _write = os._exit, os.write


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    config = json.loads(control.recv(1 << 22))
    _build_root(config["root"], config["paths"])
    for name, source in config["modules"].items():
        _preload(name, source)
    _pivot_into(config["root"])  # from here on, nothing else of the host exists for us or runs
    # Keep the collector off the server's objects in the forked runs: its passes would write
    # to (and so copy) every page they share with the server.
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps finished supervisors
    control.send(b"ready")
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1 << 16, 16)
        if not message:
            return  # our parent closed its end: nothing more to run
        if os.fork() == 0:
            status_fd = fds[0]
            try:
                control.close()
                _supervise(json.loads(message), fds)
            except BaseException:
                _report(status_fd, {"error": traceback.format_exc(limit=3)})
            finally:
                _exit(0)
        for fd in fds:
            os.close(fd)


def _preload(name: str, source: str) -> None:
    """Import `source` as module `name`, known by a file name that says nothing of the host."""
    module = types.ModuleType(name)
    module.__file__ = f"{name}.py"
    linecache.cache[module.__file__] = (len(source), None, source.splitlines(True),
                                        module.__file__)
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)


def _build_root(root: str, paths: list[str]) -> None:
    """A read-only tmpfs at `root` with each host path bind-mounted read-only at its own place,
    plus empty /proc and /tmp to mount on. Device files keep working (no nodev on them)."""
    _mount(b"tmpfs", root, b"tmpfs", MS_NOSUID | MS_NODEV, f"size={ROOT_BYTES},mode=0755")
    for directory in ("proc", "tmp"):
        os.mkdir(os.path.join(root, directory), 0o755)
    for path in paths:
        target = root + path
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        if os.path.islink(path):
            os.symlink(os.readlink(path), target)
            continue
        if os.path.isdir(path):
            os.mkdir(target, 0o755)
        else:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
        device = path.startswith("/dev/")
        _mount(path.encode(), target, None, MS_BIND | MS_REC, None)
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | (0 if device else MS_NODEV)
        _mount(None, target, None, flags, None)
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)


def _supervise(request: dict, fds: list[int]) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _check(_libc.unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    status_fd = fds[0]
    init = os.fork()
    if init == 0:
        _init(request, fds)
    for fd in fds[1:]:
        os.close(fd)
    pidfd = os.pidfd_open(init)
    ready, _, _ = select.select([pidfd], [], [], request["timeout_s"])
    if not ready:
        os.kill(init, signal.SIGKILL)
        _report(status_fd, {"timed_out": True})
    os.waitpid(init, 0)


def _init(request: dict, fds: list[int]) -> None:
    status_fd = fds[0]
    try:
        _mount(b"proc", "/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
        count = len(request["programs"])
        # Per program: its source (an in-memory file), stdin, stdout, stderr.
        program_fds = [fds[1 + 4 * index: 5 + 4 * index] for index in range(count)]
        links = []
        if count == 2:
            links = [end.detach() for end in socket.socketpair()]
            program_fds[0].append(links[0])
            program_fds[1] += [links[1], fds[-1]]
        pids = []
        for program, own in zip(request["programs"], program_fds, strict=True):
            pid = os.fork()
            if pid == 0:
                os.close(status_fd)
                _run_program(request, program, own[0], own[1:])
            pids.append(pid)
        for fd in fds[1:] + links:
            os.close(fd)
        _report(status_fd, {"exit_codes": _wait_for_programs(pids, request)})
    except BaseException:
        _report(status_fd, {"error": traceback.format_exc(limit=3)})
    finally:
        _exit(0)


def _pivot_into(root: str) -> None:
    """Make the prepared root our / and drop every other mount of the host: the runs' mount
    namespaces, copies of ours, hold nothing else."""
    syscall = _SYS_PIVOT_ROOT.get(platform.machine())
    if syscall is None:
        raise OSError(f"pivot_root: unknown syscall number on {platform.machine()}")
    os.chdir(root)
    _check(_libc.syscall(syscall, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detach the host's root")
    os.chdir("/")


def _wait_for_programs(pids: list[int], request: dict) -> list[int | None]:
    """Exit codes (None: still running when the run ended) once the last program has ended.
    The first of two is waited for only when the last exits with the status the request
    names: otherwise its end does not matter and it dies with the run."""
    codes: list[int | None] = [None] * len(pids)
    codes[-1] = os.waitstatus_to_exitcode(os.waitpid(pids[-1], 0)[1])
    if codes[-1] != request.get("first_status_wanted_on"):
        return codes
    for index, pid in enumerate(pids[:-1]):
        pidfd = os.pidfd_open(pid)
        if select.select([pidfd], [], [], FIRST_PROGRAM_GRACE_S)[0]:
            codes[index] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return codes


def _run_program(request: dict, program: dict, source_fd: int, fds: list[int]) -> None:
    status = SETUP_FAILED_EXIT
    try:
        with os.fdopen(source_fd, encoding="utf-8") as handle:
            source = handle.read()
        _check(_libc.unshare(CLONE_NEWNS), "unshare the program's mounts")
        uid = program["uid"]
        _mount(b"tmpfs", "/tmp", b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
               f"size={request['tmp_bytes']},mode=0700,uid={uid},gid={uid}")
        _install_fds(fds)
        for name, limit in request["rlimits"].items():
            resource.setrlimit(getattr(resource, name), (limit[0], limit[1]))
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        os.chdir("/tmp")
        os.environ.clear()
        os.environ.update(request["env"])
        os.setsid()
        status = _execute(source, "/tmp/main.py")
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        _exit(status)


def _install_fds(fds: list[int]) -> None:
    """fds[i] becomes fd i; every other descriptor is closed."""
    # Move them all above the target range first, so no dup2 overwrites one still needed.
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, len(fds)) for fd in fds]
    for target, fd in enumerate(moved):
        os.dup2(fd, target)
    os.closerange(len(fds), resource.getrlimit(resource.RLIMIT_NOFILE)[0])


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


def _mount(source: bytes | None, target: str, kind: bytes | None, flags: int,
           options: str | None) -> None:
    _check(_libc.mount(source, target.encode(), kind, flags,
                       options.encode() if options else None), f"mount {target}")


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


if __name__ == "__main__":
    main()
