"""The LLM judge of the LLM Decontaminator (Yang et al. 2023): shown a benchmark item and a
training text that retrieval found close to it, a model says whether the text is the same
problem, possibly rephrased or translated, or a different one."""

import re

from synth_assets.decontam.items import excerpt

DETECTOR = "llm_judge"
JUDGE_CHARS = 2000
_INSTRUCTION = (
    "You compare a benchmark item with a text from a training set. Answer True if the training "
    "text contains the same problem as the benchmark item, even when it is rephrased, "
    "translated, has different names or word order, or is embedded in other text; answer False "
    "if it is a different problem. Reply with the single word True or False."
)
_ANSWER = re.compile(r"\b(true|false)\b", re.IGNORECASE)


def judge_messages(item_text: str, record_text: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": _INSTRUCTION},
        {"role": "user", "content": (
            f"Benchmark item:\n{{{excerpt(item_text, JUDGE_CHARS)}}}\n\n"
            f"Training text:\n{{{excerpt(record_text, JUDGE_CHARS)}}}\n\n"
            "Same problem? True or False:"
        )},
    ]


def parse_judgement(reply: str) -> bool | None:
    """True or False from the first such word of the reply; None if it has neither."""
    found = _ANSWER.search(reply)
    return None if found is None else found.group(1).lower() == "true"
