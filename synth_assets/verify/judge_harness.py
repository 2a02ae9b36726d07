"""The two halves of a judged run, each in its own sandboxed process, and the plain-data wire
format between them. Standard library only: the sandbox preloads this module as
`judge_harness` in every program (sandbox.PRELOADED_MODULES), and each program of a judged
run calls one role (synth_assets.verify.harness).

- serve_solution (the candidate's process) loads the model's code and answers calls of its
  entry point; arguments arrive and return values leave as plain data (a subclass of a
  built-in type leaves as the built-in value it holds).
- run_tests (the judging process, another uid) runs the prompt's own helper definitions and
  the seed's tests with untouched builtins, calls the candidate through a proxy that crosses
  the pipe, and alone writes the report on REPORT_FD, a pipe the candidate never holds.
No object of the candidate's making reaches an assert: every value is rebuilt from the wire
by the judging process. Protocol exceptions derive from BaseException, so a test's own
`except Exception` cannot swallow them.
"""

import builtins
import json
import linecache
import os
import traceback
from decimal import Decimal
from fractions import Fraction

CHANNEL_FD = 3  # the socket between the two processes
REPORT_FD = 4  # the judging process's report to the host
FIRST_STATUS_WANTED = 3  # the exit status asking for the candidate's (sandbox.run_pair)
MAX_DEPTH = 100
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_HEADER_BYTES = 8
_TEXT_CLIP = 2000
_VALUE_TYPES = (int, float, complex, str, Fraction, Decimal)


class JudgingError(BaseException):
    """The candidate broke the rules of the exchange: not plain data, a malformed or oversized
    message, or its process ended during a call."""


class SolutionEnded(JudgingError):
    """The candidate's process closed the channel (exited, was killed or crashed)."""


# ---- plain data on the wire: tagged JSON of exact built-in types, rebuilt by the receiver,
# so no class of the sender's (and no rigged __eq__) crosses; int vs float vs bool and tuple
# vs list are kept.

def encode(value, depth=0):
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if depth > MAX_DEPTH:
        raise JudgingError(f"a value nested more than {MAX_DEPTH} levels deep (or containing "
                           "itself), not plain data")
    if kind is int:
        return ["i", hex(value)]
    if kind is float:
        return ["f", value.hex()]
    if kind is complex:
        return ["c", value.real.hex(), value.imag.hex()]
    if kind is bytes:
        return ["y", value.hex()]
    if kind is Fraction:
        return ["q", hex(value.numerator), hex(value.denominator)]
    if kind is Decimal:
        return ["m", str(value)]
    if kind in _SEQUENCE_TAGS:
        return [_SEQUENCE_TAGS[kind], [encode(item, depth + 1) for item in value]]
    if kind is dict:
        return ["d", [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]]
    base = next((base for base in kind.__mro__[1:] if base in _BASE_VALUE), None)
    if base is None:
        raise JudgingError(f"a {kind.__name__!r} object, not plain data")
    # A subclass (Counter, a namedtuple, an IntEnum, or an int with a rigged __eq__) crosses
    # as the value its built-in base holds, read with the base's own methods: whatever its
    # class overrides stays in this process.
    return encode(_BASE_VALUE[base](value), depth + 1)


def decode(data, depth=0):
    kind = type(data)
    if data is None or kind is bool or kind is str:
        return data
    if kind is not list or not data or type(data[0]) is not str or depth > MAX_DEPTH:
        raise JudgingError("malformed value on the wire")
    tag, fields = data[0], data[1:]
    if tag in _SEQUENCE_BUILDERS and len(fields) == 1 and type(fields[0]) is list:
        return _SEQUENCE_BUILDERS[tag](decode(item, depth + 1) for item in fields[0])
    if tag == "d" and len(fields) == 1 and type(fields[0]) is list:
        pairs = fields[0]
        if not all(type(pair) is list and len(pair) == 2 for pair in pairs):
            raise JudgingError("malformed dict on the wire")
        return {decode(k, depth + 1): decode(v, depth + 1) for k, v in pairs}
    if tag not in _SCALAR_BUILDERS or not all(type(field) is str for field in fields):
        raise JudgingError(f"malformed value on the wire (tag {tag[:10]!r})")
    build, arity = _SCALAR_BUILDERS[tag]
    if len(fields) != arity:
        raise JudgingError(f"malformed value on the wire (tag {tag!r})")
    try:
        return build(*fields)
    except (ValueError, ArithmeticError) as error:
        raise JudgingError(f"malformed value on the wire: {error}") from None


_SEQUENCE_TAGS = {list: "l", tuple: "t", set: "s", frozenset: "z"}
_SEQUENCE_BUILDERS = {"l": list, "t": tuple, "s": set, "z": frozenset}
_SCALAR_BUILDERS = {
    "i": (lambda text: int(text, 16), 1),
    "f": (float.fromhex, 1),
    "c": (lambda real, imag: complex(float.fromhex(real), float.fromhex(imag)), 2),
    "y": (bytes.fromhex, 1),
    "q": (lambda numerator, denominator: Fraction(int(numerator, 16), int(denominator, 16)), 2),
    "m": (Decimal, 1),
}
_BASE_VALUE = {
    int: int.__int__, float: float.__float__, complex: complex.__complex__, str: str.__str__,
    bytes: bytes.__bytes__, list: lambda value: list(list.__iter__(value)),
    tuple: lambda value: tuple(tuple.__iter__(value)),
    set: lambda value: set(set.__iter__(value)),
    frozenset: lambda value: frozenset(frozenset.__iter__(value)),
    dict: lambda value: dict(dict.items(value)),
}


def send(fd, message):
    payload = json.dumps(message).encode()
    if len(payload) > MAX_MESSAGE_BYTES:
        raise JudgingError(f"a value of {len(payload) / 2**20:.1f} MB serialized, over the "
                           f"{MAX_MESSAGE_BYTES // 2**20} MB limit")
    data = memoryview(len(payload).to_bytes(_HEADER_BYTES, "big") + payload)
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        raise SolutionEnded("the other process closed the channel") from None


def receive(fd):
    size = int.from_bytes(_read_exactly(fd, _HEADER_BYTES), "big")
    if size > MAX_MESSAGE_BYTES:
        raise JudgingError(f"the solution sent a message of {size / 2**20:.1f} MB, over the "
                           f"{MAX_MESSAGE_BYTES // 2**20} MB limit")
    try:
        return json.loads(_read_exactly(fd, size))
    except (ValueError, RecursionError):
        raise JudgingError("the solution sent a malformed message") from None


def _read_exactly(fd, size):
    chunks, missing = [], size
    while missing:
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise SolutionEnded("the solution's process ended before answering")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _clip(text):
    return text if len(text) <= _TEXT_CLIP else "..." + text[-_TEXT_CLIP:]


def _register_source(name, source):
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)


# ---- the candidate's process

def serve_solution(source, entry_point):
    """Wait for the judging process, load the candidate's module, then answer calls until the
    judging process closes the channel. An Exception of the candidate's is answered as such;
    anything else (SystemExit, os._exit, a crash) ends this process, which the judge sees."""
    channel = CHANNEL_FD
    try:
        receive(channel)  # "load": the judging process is set up and out of our reach
    except SolutionEnded:
        return
    namespace = {"__name__": "solution", "__builtins__": builtins}
    _register_source("solution.py", source)
    try:
        exec(compile(source, "solution.py", "exec"), namespace)
        function = namespace.get(entry_point)
        if not callable(function):
            raise NameError(f"the solution does not define {entry_point}()")
    except Exception as error:
        send(channel, ["raise", *_describe(error)])
        return
    send(channel, ["loaded"])
    while True:
        try:
            request = receive(channel)
            reply = _answer(function, request)
            try:
                send(channel, reply)
            except JudgingError as error:
                if isinstance(error, SolutionEnded):
                    raise
                send(channel, ["not plain", f"{function.__name__}() returned {error}"])
        except SolutionEnded:
            return  # the judging process is done


def _answer(function, request):
    _, arguments, keywords = request
    args, kwargs = decode(arguments), decode(keywords)
    sent_keywords = {name: data for name, data in keywords[1]}
    try:
        value = function(*args, **kwargs)
    except Exception as error:
        return ["raise", *_describe(error)]
    try:
        # Mutations of the arguments go back, so tests that look at an argument after the
        # call see what they would in one process.
        mutated = [[str(index), encode(arg)] for index, arg in enumerate(args)
                   if type(arg) in (list, dict, set) and encode(arg) != arguments[1][index]]
        mutated += [[name, encode(arg)] for name, arg in kwargs.items()
                    if type(arg) in (list, dict, set) and encode(arg) != sent_keywords[name]]
        return ["return", encode(value), mutated]
    except (JudgingError, RecursionError) as error:
        message = str(error) if isinstance(error, JudgingError) else "a value nested too deeply"
        return ["not plain", f"{function.__name__}() returned {message}"]


def _describe(error):
    """(name of the nearest built-in exception class, message, traceback) of `error`."""
    builtin = next(cls for cls in type(error).__mro__ if getattr(builtins, cls.__name__, None)
                   is cls)
    lines = traceback.format_exception(type(error), error, error.__traceback__.tb_next)
    return builtin.__name__, _clip(str(error)), _clip("".join(lines))


# ---- the judging process

def run_tests(prompt, tests, entry_point, mode):
    """Judge the candidate across the channel and write one JSON report on REPORT_FD.
    mode "tests": run check(candidate). mode "value": call candidate() and report its value
    as text (a number or a string)."""
    _make_undumpable()
    channel, report_fd = CHANNEL_FD, REPORT_FD
    try:
        send(channel, ["load"])
        # The tests load while the candidate's module does.
        namespace = {"__name__": "tests", "__builtins__": builtins}
        for name, source in (("prompt.py", prompt), ("tests.py", tests)):
            _register_source(name, source)
            exec(compile(source, name, "exec"), namespace)
        reply = receive(channel)
        if type(reply) is list and reply[:1] == ["raise"]:
            raise _rebuild_exception(reply[1:])
        if reply != ["loaded"]:
            raise JudgingError("the solution answered the load request with a malformed reply")
        candidate = _proxy(channel, entry_point)
        namespace[entry_point] = candidate  # tests that call the function by its name
        if mode == "tests":
            namespace["check"](candidate)
            report = {"outcome": "passed"}
        else:
            value = candidate()
            if type(value) not in _VALUE_TYPES:
                raise TypeError(f"{entry_point}() returned a {type(value).__name__!r}, not a "
                                "number or a string")
            report = {"outcome": "value", "value": str(value)}
    except BaseException as error:
        lines = traceback.format_exception(type(error), error, error.__traceback__.tb_next)
        report = {
            "outcome": "failed",
            "error": traceback.format_exception_only(type(error), error)[-1].strip()
            .removeprefix(f"{__name__}."),  # JudgingError, not judge_harness.JudgingError
            "solution_ended": isinstance(error, SolutionEnded),
            "evidence": _clip("".join(lines)),
        }
    payload = json.dumps(report).encode()
    while payload:
        payload = payload[os.write(report_fd, payload):]
    # When the candidate's process ended, its exit status says how: ask the sandbox for it.
    os._exit(FIRST_STATUS_WANTED if report.get("solution_ended") else 0)


def _proxy(channel, entry_point):
    def candidate(*args, **kwargs):
        try:
            request = ["call", encode(args), encode(kwargs)]
        except JudgingError as error:
            raise JudgingError(f"the tests passed {error}, to the solution; only plain "
                               "data crosses to the solution's process") from None
        send(channel, request)
        reply = receive(channel)
        if type(reply) is not list or not reply:
            raise JudgingError("the solution sent a malformed reply")
        if reply[0] == "return" and len(reply) == 3 and type(reply[2]) is list:
            _apply_mutations(args, kwargs, reply[2])
            return _decode_reply(reply[1])
        if reply[0] == "raise" and len(reply) == 4:
            raise _rebuild_exception(reply[1:])
        if reply[0] == "not plain" and len(reply) == 2 and type(reply[1]) is str:
            raise JudgingError(_clip(reply[1]))
        raise JudgingError("the solution sent a malformed reply")

    candidate.__name__ = candidate.__qualname__ = entry_point
    return candidate


def _apply_mutations(args, kwargs, mutated):
    for entry in mutated:
        if type(entry) is not list or len(entry) != 2 or type(entry[0]) is not str:
            raise JudgingError("the solution sent a malformed reply")
        key, data = entry
        original = args[int(key)] if key.isdigit() and int(key) < len(args) else kwargs.get(key)
        value = _decode_reply(data)
        if type(original) is not type(value) or type(value) not in (list, dict, set):
            raise JudgingError("the solution sent a malformed reply")
        if type(value) is list:
            original[:] = value
        else:
            original.clear()
            original.update(value)


def _decode_reply(data):
    """decode(), where anything going wrong is the solution's fault, never an exception a
    test could catch as the expected one."""
    try:
        return decode(data)
    except (TypeError, ValueError, RecursionError):
        raise JudgingError("the solution sent a malformed value") from None


def _rebuild_exception(fields):
    """The candidate's exception as the nearest built-in Exception class of this process, with
    the candidate's traceback as a note; anything else is a protocol error."""
    if len(fields) != 3 or not all(type(field) is str for field in fields):
        raise JudgingError("the solution sent a malformed exception")
    name, message, remote_traceback = fields[0], _clip(fields[1]), _clip(fields[2])
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        raise JudgingError(f"the solution raised a non-Exception {name[:40]!r}")
    for base in cls.__mro__:
        try:
            error = base(message)
            break
        except TypeError:
            continue  # e.g. UnicodeDecodeError wants five arguments
    error.add_note("in the solution's process:\n" + remote_traceback.rstrip())
    return error


def _make_undumpable():
    """Without namespaces both processes share a uid: being undumpable keeps this process's
    memory and file descriptors (/proc/PID/mem, /proc/PID/fd) out of the candidate's reach."""
    import ctypes

    pr_set_dumpable = 4
    ctypes.CDLL(None).prctl(pr_set_dumpable, 0, 0, 0, 0)
