"""Check a code response by running the seed's tests against it in the sandbox: the code in
one process, the tests (with the prompt's own helpers) in another (see harness.py)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from synth_assets.verify.base import Candidate, Decision, Verifier
from synth_assets.verify.harness import Judgement, isolation_note, judge
from synth_assets.verify.options import require_sandbox_limits

_PYTHON_FENCE_LANGUAGES = ("", "python", "python3", "py")


def extract_code(text: str, entry_point: str) -> str:
    """The code in a response: the last fenced Python block defining `entry_point`, else the
    first fenced Python block, else the whole text. An unclosed fence (a response cut off at
    the token limit) counts as a block."""
    blocks = [
        code for language, code in _fenced_blocks(text) if language in _PYTHON_FENCE_LANGUAGES
    ]
    if not blocks:
        return text
    defining = [code for code in blocks if _defines_function(code, entry_point)]
    return defining[-1] if defining else blocks[0]


@dataclass(frozen=True)
class PythonTestsVerifier(Verifier):
    timeout_s: float = 10
    memory_mb: int = 512

    name = "python_tests"
    version = "3"
    # A response its parser rejected has no record: its entry point and tests are missing.
    reads_record_fields = True

    def __post_init__(self) -> None:
        require_sandbox_limits(self.name, self.timeout_s, self.memory_mb)

    def decide(self, candidate: Candidate) -> Decision:
        entry_point = self.seed_text(candidate.seed, "entry_point")
        code = extract_code(candidate.text, entry_point)
        tests = self.seed_text(candidate.seed, "tests")
        prompt = self.seed_text(candidate.seed, "prompt")
        judgement = judge(_solution_source(code, prompt, entry_point), _prompt_preamble(prompt),
                          tests, entry_point, mode="tests", timeout_s=self.timeout_s,
                          memory_mb=self.memory_mb)
        passed = judgement.outcome == "passed"
        return Decision(passed, self._reason(judgement),
                        "all tests passed" + isolation_note(judgement.isolated) if passed
                        else judgement.evidence)

    def _reason(self, judgement: Judgement) -> str:
        if judgement.outcome == "passed":
            return "all tests passed"
        if judgement.failure == "timeout":
            return f"timed out after {self.timeout_s:g}s"
        if judgement.failure == "killed":
            return f"killed by {judgement.detail}"
        if judgement.failure == "exited":
            return "program exited before the tests finished"
        return f"tests failed: {judgement.detail[:160]}"


def _defines_function(code: str, name: str) -> bool:
    """Whether `code` defines a top-level function called `name`."""
    pattern = rf"^(?:async\s+)?def\s+{re.escape(name)}\s*\("
    return re.search(pattern, code, re.MULTILINE) is not None


def _solution_source(code: str, prompt: str, entry_point: str) -> str:
    """The code to run: the response's code, completed with what the seed's prompt defines."""
    if _defines_function(code, entry_point):
        # A full solution still needs what the prompt defines (imports, and helpers such as
        # HumanEval/38's encode_cyclic); the prompt's own stub is then redefined by the code.
        return _prompt_preamble(prompt) + "\n" + code
    return prompt + code


def _fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) for each ``` fenced block, in order."""
    blocks: list[tuple[str, str]] = []
    language: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        fence = line.strip().startswith("```")
        if language is None and fence:
            language, lines = line.strip()[3:].strip().lower(), []
        elif language is not None and fence:
            blocks.append((language, "\n".join(lines)))
            language = None
        elif language is not None:
            lines.append(line)
    if language is not None:
        blocks.append((language, "\n".join(lines)))
    return blocks


def _prompt_preamble(prompt: str) -> str:
    """The prompt, when it is valid Python on its own; otherwise just its import lines."""
    try:
        ast.parse(prompt)
    except SyntaxError:
        return "\n".join(
            line for line in prompt.splitlines() if line.startswith(("import ", "from "))
        )
    return prompt
