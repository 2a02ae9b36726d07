"""Program of thought (the TinyGSM idea): the response is a Python function that computes the
answer; run it in the sandbox and compare what it returns with the gold answer (or, for a seed
without one, with the majority result over the prompt's samples)."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from synth_assets.verify.base import Candidate, Verdict, clip_evidence
from synth_assets.verify.consensus import consensus_verdict, gold_answer
from synth_assets.verify.harness import judge
from synth_assets.verify.math_answer import answers_match
from synth_assets.verify.options import require_program_options
from synth_assets.verify.python_tests import extract_code


@dataclass(frozen=True)
class ProgramRun:
    answer: str | None  # what the function returned, as text; None when it did not return
    failure: str  # why there is no answer ("" when there is one)
    evidence: str


@dataclass(frozen=True)
class ProgramOfThoughtVerifier:
    entry_point: str = "solution"
    timeout_s: float = 5
    memory_mb: int = 256
    tolerance: float = 1e-6

    name = "program_of_thought"
    version = "2"

    def __post_init__(self) -> None:
        require_program_options(self.name, self.entry_point, self.timeout_s)
        if not isinstance(self.memory_mb, int) or self.memory_mb <= 0:
            raise ValueError(f"{self.name} memory_mb must be an int > 0, got {self.memory_mb!r}")
        if not isinstance(self.tolerance, int | float) or self.tolerance < 0:
            raise ValueError(f"{self.name} tolerance must be a number >= 0, got {self.tolerance!r}")

    def needs_siblings(self, seed: dict) -> bool:
        return gold_answer(seed, self.name) is None

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        gold = gold_answer(candidate.seed, self.name)
        run = self._run(candidate.text)
        if gold is None:
            answers = [self._run(text).answer for text in candidate.siblings]
            return consensus_verdict(run.answer, answers, self._same, start)
        if run.answer is None:
            passed, reason = False, run.failure
        elif self._same(run.answer, gold):
            passed, reason = True, "the program's result matches the gold answer"
        else:
            passed, reason = False, "the program's result differs from the gold answer"
        return Verdict(
            passed=passed,
            score=1.0 if passed else 0.0,
            reason=reason,
            evidence=clip_evidence(f"result={run.answer} gold={gold}"
                                   if run.answer is not None else run.evidence),
            duration_s=time.perf_counter() - start,
        )

    def _run(self, text: str) -> ProgramRun:
        return run_program(extract_code(text, self.entry_point), self.entry_point,
                           self.timeout_s, self.memory_mb)

    def _same(self, predicted: str, gold: str) -> bool:
        return answers_match(predicted, gold, self.tolerance)


# Self-consistency runs every sample's program once per sample of the prompt; the cache makes
# that once per program.
@functools.lru_cache(maxsize=4096)
def run_program(code: str, entry_point: str, timeout_s: float, memory_mb: int) -> ProgramRun:
    """Run `code` in the sandbox, call entry_point() from another sandboxed process and return
    its result as text."""
    judgement = judge(code, "", "", entry_point, mode="value", timeout_s=timeout_s,
                      memory_mb=memory_mb)
    if judgement.value is not None:
        return ProgramRun(answer=judgement.value, failure="", evidence="")
    if judgement.failure == "timeout":
        failure = f"the program timed out after {timeout_s:g}s"
    elif judgement.failure == "killed":
        failure = f"the program was killed by {judgement.detail}"
    elif judgement.failure == "exited":
        failure = "the program exited before returning its result"
    else:
        failure = f"the program failed: {judgement.detail[:160]}"
    return ProgramRun(answer=None, failure=failure, evidence=judgement.evidence or failure)
