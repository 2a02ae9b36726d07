"""The hostile-code list: each program is a model "solution" judged by the python_tests
verifier. Each ends as a failed verdict with a reason, the rest of the batch is judged
normally, and the host and the DuckDB file are untouched."""

import hashlib
import os
import socket
import subprocess
import textwrap
from pathlib import Path

import pytest

from synth_assets.lineage.store import LineageStore
from synth_assets.verify import Candidate, build_verifier, verify_all
from synth_assets.verify.sandbox import run_python

ISOLATED = run_python("pass", timeout_s=10, memory_mb=256).network_isolated
needs_isolation = pytest.mark.skipif(not ISOLATED, reason="namespaces unavailable (not root?)")

SEED = {
    "prompt": "def add(a: int, b: int) -> int:\n    \"\"\"Return a + b.\"\"\"\n",
    "entry_point": "add",
    "tests": "def check(candidate):\n    assert candidate(2, 3) == 5\n"
             "    assert candidate(-1, 1) == 0\n",
}
CORRECT = "def add(a, b):\n    return a + b\n"


def solution(body: str) -> str:
    """A response whose module-level code is `body`, followed by a correct add()."""
    return "```python\n" + textwrap.dedent(body) + "\n" + CORRECT + "```"


def judge(*texts: str, timeout_s: float = 5, memory_mb: int = 256):
    verifier = build_verifier("python_tests", {"timeout_s": timeout_s, "memory_mb": memory_mb})
    return verify_all(verifier, [Candidate(text=t, seed=SEED) for t in texts])


def test_a_correct_solution_passes() -> None:
    assert judge(solution("")).pop().passed


# name -> (response, expected reason prefix)
HOSTILE = {
    "fork_bomb": (solution("""
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """), "timed out"),
    "infinite_loop": (solution("while True:\n    pass"), "timed out"),
    "allocate_10_gb": (solution("block = bytearray(10 * 1024**3)"), "tests failed: MemoryError"),
    "write_1_gb_file": (solution("""
        chunk = b"x" * (1024 * 1024)
        with open("big.bin", "wb") as handle:
            for _ in range(1024):
                handle.write(chunk)
        """), "tests failed: OSError"),
    "print_100_mb": (solution("""
        import sys
        block = "x" * (1024 * 1024)
        for _ in range(100):
            sys.stdout.write(block)
        raise SystemExit(0)
        """), "program exited before the tests finished"),
    "recursion_error": (solution("""
        def down(n):
            return down(n + 1)
        down(0)
        """), "tests failed: RecursionError"),
    "recursion_overflowing_the_c_stack": (solution("""
        import functools, sys
        sys.setrecursionlimit(10**9)
        down = functools.lru_cache(maxsize=None)(lambda n: down(n + 1))  # recursion in C
        down(0)
        """), "killed by signal SIGSEGV"),
    "os_exit_zero_before_tests": (solution("import os\nos._exit(0)"),
                                  "program exited before the tests finished"),
    "sys_exit_zero_inside_the_function": (
        "def add(a, b):\n    raise SystemExit(0)\n", "program exited before the tests finished"),
    "ctypes_null_write": (solution("import ctypes\nctypes.memset(0, 1, 8)"),
                          "killed by signal SIGSEGV"),
    "always_equal_object": (
        "class Anything:\n    def __eq__(self, other):\n        return True\n\n"
        "def add(a, b):\n    return Anything()\n",
        "tests failed: JudgingError: add() returned a 'Anything' object, not plain data"),
    "int_subclass_equal_to_everything": (
        "class Int(int):\n    def __eq__(self, other):\n        return True\n\n"
        "def add(a, b):\n    return Int(0)\n", "tests failed: AssertionError"),
    "own_check_that_always_passes": (
        "def check(candidate):\n    return True\n\ndef add(a, b):\n    return 0\n",
        "tests failed: AssertionError"),
    "fake_reports_on_every_descriptor": (solution("""
        import os
        # what a report looks like, on stdout, stderr and every descriptor we might hold
        for fd in range(1, 64):
            try:
                os.write(fd, b'\\n{"outcome": "passed"}\\n')
            except OSError:
                pass
        os._exit(0)
        """), "tests failed: JudgingError: the solution sent a message of"),
    "patched_print_stdout_and_exit": (solution("""
        import builtins, os, sys
        builtins.print = lambda *a, **k: None
        sys.stdout = open(os.devnull, "w")
        sys.exit = lambda *a: None
        os._exit = lambda *a: None
        """) .replace("return a + b", "return a - b"), "tests failed: AssertionError"),
    "atexit_hook_forcing_success": (solution("""
        import atexit, os
        atexit.register(lambda: os._exit(0))
        """).replace("return a + b", "return a - b"), "tests failed: AssertionError"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_solution_fails_with_a_reason(name: str) -> None:
    text, reason = HOSTILE[name]
    verdict = judge(text).pop()
    assert not verdict.passed and verdict.score == 0.0
    assert verdict.reason.startswith(reason), (verdict.reason, verdict.evidence)
    assert verdict.evidence


@needs_isolation
def test_network_secrets_files_and_processes_are_out_of_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One solution that tries everything at once and prints what it got; add() is correct, so
    the verdict passes only if every attempt was refused."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-secret-789")
    db_path = tmp_path / "synth.duckdb"
    store = LineageStore(db_path)
    with store.writer() as writer:
        writer.link([("a", "b", "test")])
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    bystander = subprocess.Popen(["sleep", "30"])
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        probe = f"""
            import ctypes, os, signal, socket
            leaks = []
            try:
                socket.create_connection(("127.0.0.1", {server.getsockname()[1]}), timeout=2)
                leaks.append("connected to 127.0.0.1")
            except OSError:
                pass
            if "sk-planted" in repr(dict(os.environ)):
                leaks.append("secret in environ")
            for path in [{str(db_path)!r}, "/etc/shadow", {str(Path.home())!r} + "/.bashrc",
                         "/proc/1/environ"]:
                try:
                    with open(path, "rb") as handle:
                        if b"sk-planted" in handle.read() or path != "/proc/1/environ":
                            leaks.append("read " + path)
                except OSError:
                    pass
            try:
                open({str(db_path)!r}, "ab").write(b"pwned")
                leaks.append("wrote the DuckDB file")
            except OSError:
                pass
            for pid in (os.getppid(), {os.getpid()}, {bystander.pid}):
                try:
                    os.kill(pid, signal.SIGKILL)
                    leaks.append(f"signalled {{pid}}")
                except OSError:
                    pass
            libc = ctypes.CDLL(None)
            if libc.setuid(0) == 0:
                leaks.append("became root")
            assert not leaks, leaks
            """
        verdicts = judge(solution(probe), solution(""), timeout_s=10)
    try:
        assert verdicts[0].passed, verdicts[0].evidence
        assert verdicts[1].passed
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert os.getpid() > 0 and subprocess.run(["true"]).returncode == 0  # host still forks


def test_the_whole_hostile_list_in_one_batch_leaves_the_rest_judged_normally() -> None:
    texts = [text for text, _ in HOSTILE.values()]
    verdicts = judge(*texts, solution(""), solution("").replace("a + b", "a * b"))
    assert [v.passed for v in verdicts] == [False] * len(HOSTILE) + [True, False]
