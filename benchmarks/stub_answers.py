"""Answers of the fast local stub teacher the whole-pipeline benchmark runs against: varied as a
sampling teacher's are (the request's seed draws an opening sentence), mostly right and
sometimes wrong, so every verifier has work that passes and work that fails.

- math: the GSM8K question in the prompt is looked up in the answers file; 3 of 4 samples end
  with the right final answer, the fourth with a wrong one;
- code: the benchmark's generated tasks `def add_K(x)` are answered `x + K` (right) or, for 1
  sample in 4, `x - K`;
- anything else: a few sentences of words drawn from the seed.
"""

import random
import re
import zlib

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "po", "la", "gu", "fe", "zo",
              "ri", "ba", "mo", "ti", "se", "nu"]
VOCABULARY = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in ("", "n", "s", "r")]
_ENTRY_POINT = re.compile(r"def (add_(\d+))\(")


class StubAnswers:
    def __init__(self, math_answers: dict[str, str]) -> None:
        self.math_answers = math_answers  # GSM8K question -> final answer

    def answer(self, request: dict) -> str:
        prompt = request["messages"][-1]["content"]
        rng = random.Random(zlib.crc32(prompt.encode()) ^ int(request.get("seed", 0)))
        opening = " ".join(rng.choices(VOCABULARY, k=rng.randint(10, 24))).capitalize() + "."
        right = rng.random() >= 0.25
        if code := _ENTRY_POINT.search(prompt):
            name, k = code.group(1), int(code.group(2))
            body = f"x + {k}" if right else f"x - {k}"
            return f"{opening}\n\n```python\ndef {name}(x: int) -> int:\n    return {body}\n```"
        question = next((q for q in _questions_in(prompt) if q in self.math_answers), None)
        if question is not None:
            gold = self.math_answers[question]
            given = gold if right else f"{gold}1"
            return f"{opening}\nStep by step, the working gives {given}.\nThe answer is {given}"
        more = " ".join(rng.choices(VOCABULARY, k=rng.randint(20, 60)))
        return f"{opening} {more.capitalize()}."


def _questions_in(prompt: str) -> list[str]:
    """Candidate questions: each paragraph of the prompt (the template puts it on its own)."""
    return [part.strip() for part in prompt.split("\n\n")]
