"""Program of thought (the TinyGSM idea): the response is a Python function that computes the
answer; run it in the sandbox and compare what it returns with the gold answer (or, for a seed
without one, with the majority result over the prompt's samples)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from synth_assets.verify.base import Candidate, Decision, Verifier
from synth_assets.verify.consensus import consensus_decision, gold_answer
from synth_assets.verify.harness import judge
from synth_assets.verify.math_answer import answers_match
from synth_assets.verify.options import require_non_negative, require_program_options
from synth_assets.verify.python_tests import extract_code


@dataclass(frozen=True)
class ProgramRun:
    answer: str | None  # what the function returned, as text; None when it did not return
    failure: str  # why there is no answer ("" when there is one)
    evidence: str


@dataclass(frozen=True)
class ProgramOfThoughtVerifier(Verifier):
    entry_point: str = "solution"
    timeout_s: float = 5
    memory_mb: int = 256
    tolerance: float = 1e-6

    name = "program_of_thought"
    version = "2"

    def __post_init__(self) -> None:
        require_program_options(self.name, self.entry_point, self.timeout_s, self.memory_mb)
        require_non_negative(self.name, "tolerance", self.tolerance)

    def needs_siblings(self, seed: dict) -> bool:
        return gold_answer(seed, self.name) is None

    def decide(self, candidate: Candidate) -> Decision:
        gold = gold_answer(candidate.seed, self.name)
        run = self._run(candidate.text)
        if gold is None:
            answers = [self._run(text).answer for text in candidate.siblings]
            return consensus_decision(run.answer, answers, self._same)
        if run.answer is None:
            return Decision(False, run.failure, run.evidence)
        if self._same(run.answer, gold):
            return Decision(True, "the program's result matches the gold answer",
                            f"result={run.answer} gold={gold}")
        return Decision(False, "the program's result differs from the gold answer",
                        f"result={run.answer} gold={gold}")

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
