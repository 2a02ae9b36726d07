"""Check a code response by running the seed's tests against it in the sandbox: the code in
one process, the tests (with the prompt's own helpers) in another (see harness.py)."""

from __future__ import annotations

import ast
import re
import time
from dataclasses import dataclass

from synth_assets.verify.base import Candidate, Verdict, clip_evidence, seed_field
from synth_assets.verify.harness import Judgement, isolation_note, judge

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
class PythonTestsVerifier:
    timeout_s: float = 10
    memory_mb: int = 512

    name = "python_tests"
    version = "3"

    def __post_init__(self) -> None:
        if not isinstance(self.timeout_s, int | float) or self.timeout_s <= 0:
            raise ValueError(f"python_tests timeout_s must be a number > 0, got {self.timeout_s!r}")
        if not isinstance(self.memory_mb, int) or self.memory_mb <= 0:
            raise ValueError(f"python_tests memory_mb must be an int > 0, got {self.memory_mb!r}")

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        entry_point = seed_field(candidate.seed, "entry_point", self.name)
        code = extract_code(candidate.text, entry_point)
        tests = seed_field(candidate.seed, "tests", self.name)
        prompt = seed_field(candidate.seed, "prompt", self.name)
        judgement = judge(_solution_source(code, candidate.seed), _prompt_preamble(prompt),
                          tests, entry_point, mode="tests", timeout_s=self.timeout_s,
                          memory_mb=self.memory_mb)
        passed = judgement.outcome == "passed"
        return Verdict(
            passed=passed,
            score=1.0 if passed else 0.0,
            reason=self._reason(judgement),
            evidence=("all tests passed" + isolation_note(judgement.isolated) if passed
                      else clip_evidence(judgement.evidence)),
            duration_s=time.perf_counter() - start,
        )

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


def _solution_source(code: str, seed: dict) -> str:
    """The code to run: the response's code, completed with what the seed's prompt defines."""
    prompt = seed_field(seed, "prompt", "python_tests")
    entry_point = seed_field(seed, "entry_point", "python_tests")
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
