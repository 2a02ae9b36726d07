"""Checks of instructions a teacher wrote: Evol-Instruct's elimination of failed evolutions
(Xu et al. 2023, WizardLM, section 3.3) and Self-Instruct's new tasks. Refusals are the
`refusal` verifier's job; both built-ins list it beside these."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from synth_assets.verify.base import Candidate, Decision, Verifier, first_failure
from synth_assets.verify.options import require_fraction, require_names
from synth_assets.verify.words import content_lemmas, words

# Words of the rewriting prompt leaking into the instruction (WizardLM's "#Rewritten Prompt#"
# and "given prompt", ours "Rewrite an instruction ... Reply with the new instruction only").
_PROMPT_WORDS = re.compile(
    r"#\s*(?:given|rewritten|created|new)\s+prompt\s*#"
    r"|\b(?:given|rewritten|original|new|evolved)\s+(?:prompt|instruction)s?\b"
    r"|\brewrite\s+an\s+instruction\b|\bmake\s+sense\s+on\s+its\s+own\b"
    r"|\banswerable\s+by\s+a\s+person\b|\bdo\s+not\s+answer\s+it\b"
    r"|\bthe\s+(?:examples?|requirements)\s+(?:above|given)\b|\bdiffer\s+from\s+every\s+example\b",
    re.IGNORECASE,
)
# How answers, not instructions, begin.
_ANSWER_OPENING = re.compile(
    r"^\W*(?:the\s+answer\b|answer\s*:|sure\b|certainly\b|of\s+course\b|absolutely\b"
    r"|here\s+(?:is|are)\b|here['’]s\b|yes\b|no\b|great\s+question\b|okay\b)",
    re.IGNORECASE,
)
_IMPERATIVES = frozenset("""
write explain describe list give name compare contrast summarize summarise create design plan
suggest provide outline analyze analyse discuss calculate compute solve find identify classify
translate rewrite rephrase edit convert draft compose generate tell show recommend evaluate
estimate predict propose develop prepare construct imagine argue justify define determine choose
rank sort organize organise arrange brainstorm help teach make build assess critique review
correct fix implement debug count extract categorize categorise label rate select pick decide
recommend describe illustrate demonstrate prove derive convince persuade advise cite detail
elaborate expand shorten simplify paraphrase proofread note mention include consider read use
""".split())
_QUESTION_WORDS = frozenset(
    "what how why which who whom whose when where is are can could should would do does did "
    "will was were may might".split())
_REQUEST_PHRASES = re.compile(
    r"\b(?:please|can\s+you|could\s+you|would\s+you|i\s+need|i\s+want|i['’]d\s+like|help\s+me"
    r"|your\s+task|you\s+are\s+given)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[.!?:;,\n]+")


def reads_as_request(text: str) -> bool:
    """Whether `text` asks for something: a question, a request phrase, or a clause that
    starts with an imperative verb ("For a class of ten, explain ...")."""
    if "?" in text or _REQUEST_PHRASES.search(text):
        return True
    for clause in _CLAUSE.split(text):
        first = words(clause)[:1]
        if first and (first[0] in _QUESTION_WORDS or first[0] in _IMPERATIVES):
            return True
    return False


def near_identical(text: str, other: str, threshold: float) -> bool:
    """Whether two texts say the same in (nearly) the same words: their word sequences match
    at `threshold` or more (difflib ratio), or they have the same content words."""
    mine, theirs = words(text), words(other)
    if not mine or not theirs:
        return mine == theirs
    same_words = content_lemmas(text) == content_lemmas(other)
    return same_words or SequenceMatcher(None, mine, theirs, autojunk=False).ratio() >= threshold


def _instruction_checks(instruction: str) -> list[tuple[bool, str, str]]:
    leaked = _PROMPT_WORDS.search(instruction)
    opening = _ANSWER_OPENING.search(instruction)
    return [
        (bool(words(instruction)), "empty instruction", instruction),
        (leaked is None, "copies words of the rewriting prompt",
         leaked.group() if leaked else ""),
        (opening is None, "answers instead of writing an instruction",
         opening.group() if opening else ""),
        (reads_as_request(instruction),
         "reads as a statement, not as an instruction or a question", instruction[:200]),
    ]


@dataclass(frozen=True)
class EvolutionVerifier(Verifier):
    """WizardLM's elimination: an evolved instruction fails when it is (near-)identical to its
    original, copies words of the rewriting prompt, or answers instead of rewriting."""

    field: str = "instruction"
    original_field: str = "evolved_from"
    max_similarity: float = 0.9

    name = "evolution"
    version = "1"
    reads_record_fields = True

    def __post_init__(self) -> None:
        require_names(self.name, field=self.field, original_field=self.original_field)
        require_fraction(self.name, "max_similarity", self.max_similarity)

    def decide(self, candidate: Candidate) -> Decision:
        instruction = self.record_text(candidate, self.field)
        original = candidate.seed.get(self.original_field)
        if not isinstance(original, str):
            raise ValueError(f"{self.name} verifier needs the record field "
                             f"{self.original_field!r} (the original instruction)")
        return first_failure(
            [(not near_identical(instruction, original, self.max_similarity),
              "(near-)identical to the original instruction", instruction[:200]),
             *_instruction_checks(instruction)],
            "a new instruction", instruction[:200])


_REFERS_TO_INPUT = re.compile(
    r"\b(?:the\s+following|given|below|provided|this|these|the)\s+(?:text|sentence|paragraph"
    r"|passage|review|list|code|snippet|email|article|data|table|numbers|words|poem|story"
    r"|statement|question|function|program|input)s?\b|\bthe\s+following\b",
    re.IGNORECASE,
)
_PROMPT_INSTRUCTION = re.compile(r"^Instruction:[ \t]*(\S.*)$", re.MULTILINE)
_NO_INPUT = {"", "(none)", "none", "n/a", "(n/a)", "-", "no input"}
# Self-Instruct's filters (Wang et al. 2023, section 2.3): instructions of 3 words or fewer,
# and tasks a text-only model cannot do.
_MIN_INSTRUCTION_WORDS = 4
_NOT_TEXT = re.compile(r"\b(?:image|picture|photo|graph|video|audio|music|flowchart|diagram|"
                       r"map)s?\b|\b(?:draw|plot)\b|\bgo\s+to\b", re.IGNORECASE)


@dataclass(frozen=True)
class SelfInstructTaskVerifier(Verifier):
    """A new Self-Instruct task: its instruction asks for something in four words or more,
    needs no image, audio or drawing, is not (near-)identical to a task the prompt showed
    (the sampled `examples_attribute` and the seed task), has an input when it refers to one
    ("Classify the following review"), and its output is short and not the instruction."""

    examples_attribute: str = "examples"
    max_output_words: int = 120
    max_similarity: float = 0.8

    name = "self_instruct_task"
    version = "1"

    def __post_init__(self) -> None:
        require_names(self.name, examples_attribute=self.examples_attribute)
        require_fraction(self.name, "max_similarity", self.max_similarity)
        if not isinstance(self.max_output_words, int) or self.max_output_words <= 0:
            raise ValueError(f"{self.name} max_output_words must be an int > 0, "
                             f"got {self.max_output_words!r}")

    def decide(self, candidate: Candidate) -> Decision:
        instruction = self.record_text(candidate, "instruction")
        given = str(candidate.seed.get("input", "") or "").strip()
        # The record's instruction is the task's instruction followed by its input.
        task = instruction.removesuffix(given).strip() if given else instruction
        output = str(candidate.seed.get("output", "") or "")
        examples = self.prompt_attribute(candidate, self.examples_attribute)
        # The tasks the prompt showed: the sampled examples and the seed task (whose fields
        # the record's own overlay), read back from the prompt's "Instruction:" lines.
        known = [example.get("instruction", "") for example in examples
                 if isinstance(example, dict)] + _PROMPT_INSTRUCTION.findall(candidate.prompt)
        copied = next((k for k in known if near_identical(task, k, self.max_similarity)), None)
        needs_input = _REFERS_TO_INPUT.search(task)
        not_text = _NOT_TEXT.search(task)
        output_words = len(words(output))
        return first_failure(
            [(candidate.parse_error is None, "not an Instruction/Input/Output task",
              candidate.parse_error or ""),
             *_instruction_checks(task),
             (len(words(task)) >= _MIN_INSTRUCTION_WORDS,
              f"an instruction of fewer than {_MIN_INSTRUCTION_WORDS} words", task),
             (not_text is None, "a task a text-only model cannot do",
              not_text.group() if not_text else ""),
             (copied is None, "(near-)identical to an example task", copied or ""),
             (not needs_input or given.lower() not in _NO_INPUT,
              "the instruction refers to an input but none is given",
              needs_input.group() if needs_input else ""),
             (output_words > 0, "empty output", output),
             (output_words <= self.max_output_words,
              f"output of {output_words} words, more than {self.max_output_words}", output[-200:]),
             (not near_identical(output, task, 0.9), "the output repeats the instruction",
              output[:200])],
            "a new, complete task", instruction[:200])
