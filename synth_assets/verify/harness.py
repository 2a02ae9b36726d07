"""Judge model-written code in two sandboxed processes, and read how the judging ended.

The candidate's code runs in one process (uid A); the seed's tests, with the prompt's own
helper definitions and untouched builtins, run in another (uid B), and call the candidate's
entry point across a socket (synth_assets/verify/judge_harness.py). Arguments and return
values cross as plain data only, so nothing the candidate builds (an object equal to
everything, a subclass with a rigged __eq__, a patched builtin or helper, a frame walk, a
hook in gc or sys.settrace) exists in the process that runs the asserts. Only the judging
process holds the pipe its report comes back on; the candidate's stdout, stderr and exit
status are never read as a verdict. See docs/verifiers.md for what this holds against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from synth_assets.verify.sandbox import PairResult, SandboxResult, run_pair

_UNISOLATED_NOTE = ("[sandbox without namespaces: the code ran as this user, with network "
                    "access and the host's files]")


@dataclass(frozen=True)
class Judgement:
    outcome: str  # "passed" (mode "tests"), "value" (mode "value") or "failed"
    value: str | None  # mode "value": what the entry point returned, as text
    failure: str  # "timeout", "killed", "exited" (status 0 before the end) or "error"
    detail: str  # the signal ("signal SIGSEGV") or the error line ("AssertionError")
    evidence: str  # the failing traceback or output tail; notes an unisolated sandbox
    isolated: bool  # False when the sandbox had no namespaces


def judge(solution: str, prelude: str, tests: str, entry_point: str, mode: str,
          timeout_s: float, memory_mb: int) -> Judgement:
    """Run `solution` (the candidate's module) against `tests` (defining check(candidate),
    for mode "tests") after `prelude` (the prompt's own definitions), or, in mode "value",
    call entry_point() and return its value as text."""
    if mode not in ("tests", "value"):
        raise ValueError(f"mode must be 'tests' or 'value', got {mode!r}")
    # judge_harness is preloaded in every sandboxed program (sandbox.PRELOADED_MODULES).
    solution_program = ("from judge_harness import serve_solution\n"
                        f"serve_solution({solution!r}, {entry_point!r})\n")
    tests_program = ("from judge_harness import run_tests\n"
                     f"run_tests({prelude!r}, {tests!r}, {entry_point!r}, {mode!r})\n")
    return read_judgement(run_pair(solution_program, tests_program, timeout_s, memory_mb))


def read_judgement(run: PairResult) -> Judgement:
    solution, tests = run.first, run.second
    report = _parse_report(run.report)
    isolated = tests.network_isolated
    if report.get("outcome") in ("passed", "value"):
        return Judgement(report["outcome"], report.get("value"), "", "", "", isolated)
    if tests.timed_out:
        failure, detail = "timeout", ""
        evidence = _tail(solution.stderr or tests.stderr) or "killed at the timeout, no output"
    elif report.get("solution_ended"):
        failure, detail, evidence = _how_it_ended(solution)
    elif report:
        failure, detail, evidence = "error", report["error"], report["evidence"]
    elif tests.killed_reason:
        failure, detail, evidence = "killed", tests.killed_reason, _tail(tests.stderr)
    else:
        failure, detail = "error", _last_line(tests.stderr) or "the judging process ended early"
        evidence = _tail(tests.stderr)
    if not isolated:
        evidence = f"{evidence}\n{_UNISOLATED_NOTE}".strip()
    return Judgement("failed", None, failure, detail, evidence, isolated)


def isolation_note(isolated: bool) -> str:
    """What to add to a passing verdict's evidence about the sandbox it ran in."""
    return "" if isolated else " " + _UNISOLATED_NOTE


def _how_it_ended(solution: SandboxResult) -> tuple[str, str, str]:
    """The candidate's process closed the channel: why, from its exit status."""
    evidence = _tail(solution.stderr) or f"exit_code={solution.exit_code} (no stderr)"
    if solution.exit_code == 0:
        return "exited", "", evidence
    if solution.killed_reason:
        return "killed", solution.killed_reason, evidence
    return "error", _last_line(solution.stderr) or f"exit status {solution.exit_code}", evidence


def _parse_report(text: str) -> dict:
    try:
        report = json.loads(text) if text else {}
    except ValueError:
        return {}
    return report if isinstance(report, dict) else {}


def _tail(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-8:])


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1].strip() if lines else ""
