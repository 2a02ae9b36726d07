"""A generated math problem and its worked solution, checked without a teacher: the problem
changed the seed problem's numbers, every explicit calculation in the solution is right
("17 x 12.50 = 212.50" is recomputed), and an independent recomputation agrees with the
solution's final answer: the response's program (its "Program:" part, a `solution()` that
computes the answer) is run in the sandbox and must return the same number."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from synth_assets.verify.base import (
    Candidate,
    Decision,
    Verifier,
    failed_check,
    first_failure,
)
from synth_assets.verify.computes import computes
from synth_assets.verify.math_answer import answers_match
from synth_assets.verify.options import (
    require_names,
    require_non_negative,
    require_program_options,
)
from synth_assets.verify.program_of_thought import run_program
from synth_assets.verify.python_tests import extract_code
from synth_assets.verify.words import numbers

# An arithmetic expression as solutions write it: numbers (with $ and thousands commas),
# + - * / x × ÷ ( ), then "=" and a number.
_OPERAND = r"\$?\d[\d,]*(?:\.\d+)?%?"
_CALCULATION = re.compile(
    rf"((?:\(\s*)*{_OPERAND}(?:\s*\)*\s*[-+*/x×÷·]\s*(?:\(\s*)*{_OPERAND}\s*\)*)+)"
    rf"\s*(=|≈)\s*(-?{_OPERAND})"
)
_TIMES = re.compile(r"(?<=[\d)])\s*[x×·]\s*(?=[\d$(])")


def _number(token: str) -> Fraction:
    return Fraction(Decimal(token.replace("$", "").replace(",", "").rstrip("%")))


def _evaluate(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return Fraction(Decimal(str(node.value)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand)
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left), _evaluate(node.right)
        operations = {ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
                      ast.Mult: lambda: left * right, ast.Div: lambda: left / right}
        if type(node.op) in operations:
            return operations[type(node.op)]()
    raise ValueError("not plain arithmetic")


def wrong_calculations(solution: str) -> list[str]:
    """The explicit calculations ("3 + 4 = 7", "17 x 12.50 = 212.50") whose stated result is
    wrong. "≈" allows rounding to the stated decimals; a percentage is not recomputed."""
    wrong = []
    for match in _CALCULATION.finditer(solution):
        expression, sign, stated = match.groups()
        if "%" in expression or "%" in stated:
            continue
        plain = _TIMES.sub("*", expression).replace("÷", "/").replace("$", "").replace(",", "")
        try:
            value = _evaluate(ast.parse(plain, mode="eval"))
            claimed = _number(stated)
        except (SyntaxError, ValueError, ZeroDivisionError, InvalidOperation):
            continue
        decimals = len(stated.split(".")[1]) if "." in stated else 0
        # A result rounded to the decimals it states ("10 / 3 = 3.33", "≈ 3") is right.
        rounded = sign == "≈" or decimals > 0
        tolerance = Fraction(1, 2 * 10**decimals) if rounded else Fraction(0)
        if abs(value - claimed) > tolerance:
            wrong.append(match.group().strip())
    return wrong


def _is_number(text: str) -> bool:
    """Whether a returned value's text is a number ("540", "4.5", "9/2"), not "540 km"."""
    try:
        Fraction(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class WorkedSolutionVerifier(Verifier):
    problem_field: str = "question"
    solution_field: str = "response"
    original_field: str = "rewritten_from"
    program_field: str = "program"
    entry_point: str = "solution"
    timeout_s: float = 5
    memory_mb: int = 256
    tolerance: float = 1e-6

    name = "worked_solution"
    version = "1"
    reads_record_fields = True

    def __post_init__(self) -> None:
        require_names(self.name, problem_field=self.problem_field,
                      solution_field=self.solution_field, original_field=self.original_field,
                      program_field=self.program_field)
        require_program_options(self.name, self.entry_point, self.timeout_s, self.memory_mb)
        require_non_negative(self.name, "tolerance", self.tolerance)

    def decide(self, candidate: Candidate) -> Decision:
        problem = self.record_text(candidate, self.problem_field)
        solution = self.record_text(candidate, self.solution_field)
        original = self.record_text(candidate, self.original_field)
        answer = candidate.seed.get("answer")
        program = extract_code(self.record_text(candidate, self.program_field), self.entry_point)
        new_numbers, old_numbers = numbers(problem), numbers(original)
        wrong = wrong_calculations(solution)
        cheap = [
            (isinstance(answer, str) and bool(answer), "the solution states no final answer",
             solution[-200:]),
            (bool(new_numbers - old_numbers), "the problem keeps the original problem's numbers",
             f"new={sorted(map(str, new_numbers))} original={sorted(map(str, old_numbers))}"),
            (not wrong, f"wrong calculation: {wrong[0] if wrong else ''}", "; ".join(wrong)),
            (computes(program, self.entry_point),
             f"the program's {self.entry_point}() computes nothing (or is missing)", program),
        ]
        failed = failed_check(cheap)
        if failed is not None:
            return failed
        run = run_program(program, self.entry_point, self.timeout_s, self.memory_mb)
        return first_failure(
            [(run.answer is not None, f"the program gave no answer: {run.failure}", run.evidence),
             (run.answer is not None and _is_number(run.answer),
              "the program did not return a number", f"program={run.answer}"),
             (run.answer is not None and answers_match(run.answer, answer, self.tolerance),
              "the program's result differs from the solution's answer",
              f"program={run.answer} solution={answer}")],
            "calculations right and the program agrees with the answer",
            f"program={run.answer} solution={answer}")
