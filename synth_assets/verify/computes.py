"""Check that a program's entry point computes its answer (an RL policy learns that
`return 79` passes a test comparing with 79; such a program teaches nothing)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from synth_assets.verify.base import Candidate, Decision, Verifier
from synth_assets.verify.options import require_names
from synth_assets.verify.python_tests import extract_code


def computes(program: str, entry_point: str) -> bool:
    """Whether `entry_point`, or a function of the program it calls, does arithmetic rather
    than return a number written in it."""
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return False
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    seen: set[str] = set()
    todo = [entry_point]
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        nodes = list(ast.walk(functions[name]))
        if any(isinstance(node, ast.BinOp | ast.AugAssign) for node in nodes):
            return True
        todo += [node.func.id for node in nodes
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
    return False


@dataclass(frozen=True)
class ProgramComputesVerifier(Verifier):
    field: str = "program"
    entry_point: str = "solution"

    name = "program_computes"
    version = "1"

    def __post_init__(self) -> None:
        require_names(self.name, field=self.field, entry_point=self.entry_point)

    def decide(self, candidate: Candidate) -> Decision:
        program = extract_code(self.record_text(candidate, self.field), self.entry_point)
        passed = computes(program, self.entry_point)
        return Decision(passed, f"{self.entry_point}() computes its result" if passed else
                        f"{self.entry_point}() computes nothing (a written-in answer, or no "
                        "such function)", program)
