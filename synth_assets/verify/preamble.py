"""Reject chat preambles and meta-commentary leaking from the prompt into the data: "Sure, here
is ...", "Here's the rewritten ...", "As an AI ...", "the new instruction ...", "#Rewritten
Prompt#", "Sure, I can write a new response with the requested information."

A record is a training example: what the teacher says about the task ("Here is the revised
story:", "The new instruction asks ...") is not part of it. Matching ignores case and extra
whitespace and looks at every line, so meta-commentary in the middle of a text is caught too;
code blocks are left out. Openings that merely look alike pass: "Sure enough, the dog came
back", "Certainly not everyone agrees", "Here is why the sky is blue"."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from synth_assets.verify.base import Candidate, Decision, Verifier
from synth_assets.verify.prose import strip_code

_NAME = "preamble"
_AFFIRMATION = r"(?:sure|certainly|absolutely|of\s+course|okay|ok|alright|great\s+question)"
_REWORKED = (r"(?:rewritten|revised|evolved|improved|updated|modified|paraphrased|rephrased"
             r"|edited|corrected|requested|more\s+(?:complex|difficult|challenging))")
_PROMPT_WORD = r"(?:instruction|prompt)s?"
_OUTPUT_WORD = (r"(?:instruction|prompt|question|task|response|answer|version|text|story"
                r"|problem|conversation|passage)s?")
_PATTERNS: dict[str, str] = {
    # At the very start only (markdown emphasis allowed, not a quote), so a character saying
    # "Sure!" in a story is not one:
    # "Sure, here is", "Certainly! I can", "Of course. Below is", "**Sure!** Here's"
    "chat preamble": rf"\A[\s*_#>]*{_AFFIRMATION}\W*?(?:[,!.:]|\s+(?=here|i\b|i['’]|below|let))",
    # "Here's the rewritten", "Here is a more complex version", "Below is my new instruction"
    "announces its output": rf"\b(?:here(?:['’]s|\s+is|\s+are)|below\s+is)\s+"
                            rf"(?:(?:\w+\s+){{0,3}}?{_REWORKED}\b"
                            rf"|(?:a|an|the|my|your)\s+new\s+{_OUTPUT_WORD}\b)",
    "AI self-reference": r"\bas\s+an?\s+(?:ai\b|artificial\s+intelligence"
                         r"|(?:large\s+)?language\s+model)",
    # "the new instruction", "the given prompt", "the rewritten question"
    "talks about the prompt": rf"\bthe\s+(?:new|given|original|above|previous|{_REWORKED})\s+"
                              rf"{_PROMPT_WORD}\b|\bthe\s+{_REWORKED}\s+{_OUTPUT_WORD}\b",
    # "#Rewritten Prompt#", "#Given Prompt#:", "Rewritten Instruction:", "New question:"
    "prompt label": rf"#+\s*(?:new|given|created|original|{_REWORKED})\s+{_OUTPUT_WORD}\s*#"
                    rf"|^\W*(?:new|given|created|original|{_REWORKED})\s+{_OUTPUT_WORD}\W*(?::|$)",
    # "Sure, I can write a new response ...", "I'd be happy to rewrite the instruction"
    "offers to write": r"\bi(?:\s+can|\s+will|['’]ll|\s+would\s+be\s+happy\s+to"
                       r"|['’]d\s+be\s+happy\s+to)\s+(?:write|create|generate|provide|rewrite"
                       rf"|revise)\s+(?:\w+\s+){{0,3}}?{_OUTPUT_WORD}\b",
    "talks about the requested output": r"\b(?:the|your)\s+requested\s+(?:information|format"
                                        r"|changes|style|output)\b",
    # The chat role leaking into the answer: "A helpful AI assistant named Sarah:", "Assistant:",
    # "I am your helpful AI assistant". A person who works as an assistant, or an answer about
    # AI assistants ("An AI assistant can plan a trip"), is neither.
    "assistant persona": r"^\W*(?:an?\s+)?(?:(?:helpful|friendly)\s+)?(?:ai\s+)?assistant"
                         r"(?:\s+named\s+\w+)?\s*:"
                         r"|\bi(?:['’]m|\s+am)\s+(?:an?|your)\s+"
                         r"(?:(?:helpful|friendly)\s+(?:ai\s+)?|ai\s+)assistant\b",
}
_LABELS = list(_PATTERNS)


@functools.cache
def _search_for(allowed: frozenset[str]) -> re.Pattern[str]:
    """One regex for every pattern not allowed (one pass over the text), group g<i> naming
    pattern i."""
    return re.compile("|".join(f"(?P<g{index}>{_PATTERNS[label]})"
                               for index, label in enumerate(_LABELS) if label not in allowed),
                      re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class PreambleVerifier(Verifier):
    allow: list[str] = field(default_factory=list)

    name = _NAME
    version = "2"

    def __post_init__(self) -> None:
        if not isinstance(self.allow, list) or not all(
                isinstance(label, str) and label in _LABELS for label in self.allow):
            raise ValueError(f"preamble allow must be a list of pattern names out of "
                             f"{sorted(_PATTERNS)}, got {self.allow!r}")

    def decide(self, candidate: Candidate) -> Decision:
        prose = strip_code(candidate.text)
        allowed = frozenset(self.allow)
        found = _search_for(allowed).search(prose) if len(allowed) < len(_LABELS) else None
        if found:
            label = _LABELS[int(found.lastgroup[1:])]
            context = prose[max(0, found.start() - 40):found.end() + 60].strip()
            return Decision(False, f"prompt leak: {label}",
                            f"matched {found.group().strip()!r} in: {context}")
        return Decision(True, "no preamble or meta-commentary")
