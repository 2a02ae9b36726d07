"""LLM judge: a model grades a response against a rubric. This module builds the rubric prompt
and turns the judge's raw answer into a verdict; the call itself goes through the teacher path
(litellm, cached in teacher_calls, temperature 0) in synth_assets.teacher.judge, the one
judge call the contamination judge makes too."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from synth_assets.verify.base import Candidate, Decision, Verdict, Verifier

DEFAULT_RUBRIC = (
    "Grade the response to the task for correctness, helpfulness, completeness and clarity. "
    "A response that is wrong, refuses, or does not address the task gets a low score; a "
    "correct but unclear or incomplete one a middling score; a correct, complete and clear one "
    "a high score."
)
# A verdict passes at this share of the scale; the spec's `min_score` selects on any other
# threshold without asking the judge again.
DEFAULT_PASS_SCORE = 0.7

_NUMBER = r"(\d+(?:\.\d+)?)"
_OUT_OF = rf"(?:\s*(?:/|out\s+of|of)\s*{_NUMBER})?"
_SCORE_PATTERNS = [
    re.compile(rf"\[\[\s*{_NUMBER}\s*\]\]"),  # MT-Bench style: [[7]]
    re.compile(rf"\"(?:score|rating)\"\s*:\s*\"?{_NUMBER}", re.IGNORECASE),  # JSON
    re.compile(
        rf"\b(?:final\s+)?(?:score|rating|grade)\b[*_\s]*(?:is|of|=|:)?[*_\s:]*{_NUMBER}{_OUT_OF}",
        re.IGNORECASE,
    ),
    re.compile(rf"(?<![\w.]){_NUMBER}\s*(?:/|out\s+of)\s*{_NUMBER}", re.IGNORECASE),  # 7/10
    re.compile(rf"^\s*\**{_NUMBER}\**\s*\.?\s*$"),  # the whole answer is the number
]


def parse_score(answer: str, scale_max: int) -> float | None:
    """The judge's score as a share of the scale (0..1), or None when the answer holds none.

    Takes the last match of the most explicit form present: "[[7]]", a JSON "score", a
    "Score: 7" / "Rating - 8/10" line, a bare "7/10" or "7 out of 10", or an answer that is
    only a number. A score out of another denominator ("4/5") is scaled; one above its scale
    is rejected."""
    for pattern in _SCORE_PATTERNS:
        matches = list(pattern.finditer(answer))
        if not matches:
            continue
        groups = [group for group in matches[-1].groups()]
        value = float(groups[0])
        denominator = float(groups[1]) if len(groups) > 1 and groups[1] else float(scale_max)
        if denominator <= 0 or not 0 <= value <= denominator:
            return None
        return value / denominator
    return None


@dataclass(frozen=True)
class LlmJudgeVerifier(Verifier):
    teacher: str = ""  # the spec teacher (model) that judges
    rubric: str = DEFAULT_RUBRIC
    scale_max: int = 10
    max_tokens: int = 256

    name = "llm_judge"
    version = "1"

    def __post_init__(self) -> None:
        if not isinstance(self.teacher, str) or not self.teacher:
            raise ValueError("llm_judge needs `teacher`: the name of a teacher in the spec")
        if not isinstance(self.rubric, str) or not self.rubric.strip():
            raise ValueError("llm_judge rubric must be a non-empty string")
        if not isinstance(self.scale_max, int) or self.scale_max < 2:
            raise ValueError(f"llm_judge scale_max must be an int >= 2, got {self.scale_max!r}")
        if not isinstance(self.max_tokens, int) or self.max_tokens <= 0:
            raise ValueError(f"llm_judge max_tokens must be an int > 0, got {self.max_tokens!r}")

    def depends_on(self, teachers: Mapping[str, Any]) -> list[Any]:
        """The judging teacher's settings: another model grades differently."""
        return [teachers[self.teacher].model_dump()]

    def messages(self, candidate: Candidate) -> list[dict[str, str]]:
        """The rubric prompt for one response."""
        task = candidate.prompt or "(the task was not recorded)"
        return [
            {"role": "system", "content": "You are a strict, fair grader of answers written "
                                          "by an AI model."},
            {"role": "user", "content": (
                f"{self.rubric.strip()}\n\n[Task]\n{task}\n\n[Response]\n{candidate.text}\n\n"
                "Give a one-paragraph justification, then end with a line of the form "
                f"\"Score: N\" where N is an integer from 1 to {self.scale_max}."
            )},
        ]

    def verdict(self, answer: str, duration_s: float) -> Verdict:
        """The verdict from the judge's raw answer (kept as evidence), timed by the call."""
        score = parse_score(answer, self.scale_max)
        if score is None:
            return Decision(False, "no score found in the judge's answer",
                            answer).verdict(duration_s)
        return Decision(score >= DEFAULT_PASS_SCORE,
                        f"judge score {score * self.scale_max:g}/{self.scale_max}", answer,
                        score=score).verdict(duration_s)

    def decide(self, candidate: Candidate) -> Decision:
        raise TypeError(
            "llm_judge verdicts need a model call: the verify stage asks the judge through "
            "the teacher path (synth_assets.teacher.judge) and calls verdict()"
        )
