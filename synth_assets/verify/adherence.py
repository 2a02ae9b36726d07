"""Adherence to the prompt's own sampled attributes: the required words are used (as any
inflection), the required story feature is there where text can show it, the persona is in
the rewritten problem, the requested style is followed, both speakers of a conversation say
something, and both entities of a pair are discussed."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from synth_assets.verify.base import Candidate, Verdict
from synth_assets.verify.options import require_names
from synth_assets.verify.verdicts import (
    attribute,
    attribute_text,
    first_failure,
    output_text,
    pass_fail,
)
from synth_assets.verify.words import (
    STOP_WORDS,
    content_lemmas,
    lemma,
    lemmas,
    phrase_lemmas,
    sentences,
    words,
)


def _check_names(value: object, option: str, verifier: str) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v
                                                           for v in value):
        raise ValueError(f"{verifier} {option} must be a non-empty list of names, got {value!r}")


def missing_phrases(text: str, phrases: list[str]) -> list[str]:
    """The phrases whose every lemma is not among the text's lemmas (word or inflection)."""
    present = set(lemmas(text)) | set(words(text))
    return [phrase for phrase in phrases if not set(phrase_lemmas(phrase)) <= present]


@dataclass(frozen=True)
class RequiredWordsVerifier:
    """Every attribute named in `attributes` (a word or a list of words) is used."""

    attributes: list[str] = field(default_factory=list)
    field: str = "response"

    name = "required_words"
    version = "1"

    def __post_init__(self) -> None:
        _check_names(self.attributes, "attributes", self.name)
        require_names(self.name, field=self.field)

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        required: list[str] = []
        for name in self.attributes:
            value = attribute(candidate, name, self.name)
            required += value if isinstance(value, list) else [attribute_text(value, "name",
                                                                              self.name)]
        missing = missing_phrases(output_text(candidate, self.field, self.name), required)
        return pass_fail(not missing,
                         f"required word(s) not used: {', '.join(missing)}" if missing
                         else "every required word is used",
                         f"required={required}", start)


# Quoted speech: a quoted span of two words or more, or one ending in ! ? . or , ("Hi!").
_QUOTED_SPEECH = re.compile(r"[\"“]\s*(?:[^\"”\n]*?\w[^\"”\n]*?\s\w[^\"”\n]*?|\w+[!?.,])\s*[\"”]")
_FEATURE_CHECKS = {
    "dialogue": (_QUOTED_SPEECH, "no line of dialogue (quoted speech)"),
}


@dataclass(frozen=True)
class StoryFeatureVerifier:
    """The story feature the prompt asked for, where text shows it: dialogue has quoted
    speech. Other features (a moral, a twist) pass unchecked, saying so."""

    attribute: str = "feature"
    field: str = "response"

    name = "story_feature"
    version = "1"

    def __post_init__(self) -> None:
        require_names(self.name, attribute=self.attribute, field=self.field)

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        feature = attribute_text(attribute(candidate, self.attribute, self.name), "name",
                                 self.name)
        if feature not in _FEATURE_CHECKS:
            return pass_fail(True, f"feature {feature!r} is not checkable from the text",
                             feature, start)
        pattern, failure = _FEATURE_CHECKS[feature]
        found = pattern.search(output_text(candidate, self.field, self.name))
        return pass_fail(found is not None, f"has the {feature} feature" if found else failure,
                         found.group() if found else feature, start)


_PERSONA_HEAD_END = {"who", "that", "with", "at", "in", "on", "for", "of", "from", "and"}


def persona_head(persona: str) -> str:
    """The noun a persona is about: the last word before its first relative clause,
    preposition or -ing verb ("a night-shift nurse planning her week" -> "nurse")."""
    head = ""
    for word in words(persona):
        if word in _PERSONA_HEAD_END or (word.endswith("ing") and head):
            break
        if word not in STOP_WORDS:
            head = word
    return lemma(head) if head else ""


@dataclass(frozen=True)
class PersonaVerifier:
    """The rewritten problem is about the sampled persona: it names the persona's head noun
    ("nurse") or at least half of the persona's content words."""

    attribute: str = "persona"
    field: str = "question"

    name = "persona"
    version = "1"

    def __post_init__(self) -> None:
        require_names(self.name, attribute=self.attribute, field=self.field)

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        persona = attribute_text(attribute(candidate, self.attribute, self.name), "name",
                                 self.name)
        problem = content_lemmas(output_text(candidate, self.field, self.name))
        wanted = content_lemmas(persona)
        shared = wanted & problem
        head = persona_head(persona)
        passed = head in problem or 2 * len(shared) >= len(wanted)
        return pass_fail(passed, "the problem is about the persona" if passed
                         else "the problem is not about the persona",
                         f"persona={persona!r} head={head!r} shared={sorted(shared)}", start)


_QUESTION_LINE = re.compile(r"^\W*(?:question|q)\s*\d*\s*[:.]\s*\S.*\?",
                            re.IGNORECASE | re.MULTILINE)
_ANSWER_LINE = re.compile(r"^\W*(?:answer|a)\s*\d*\s*[:.]\s*\S", re.IGNORECASE | re.MULTILINE)
_MAX_EASY_SENTENCE_WORDS = 15


@dataclass(frozen=True)
class RephraseStyleVerifier:
    """The requested rewriting style where text shows it: `qa` has at least two question
    lines ("Question: ...?") each answered ("Answer: ..."); `easy` has short sentences
    (mean under 15 words). Other styles pass unchecked, saying so."""

    attribute: str = "style"
    field: str = "response"

    name = "rephrase_style"
    version = "1"

    def __post_init__(self) -> None:
        require_names(self.name, attribute=self.attribute, field=self.field)

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        style = attribute_text(attribute(candidate, self.attribute, self.name), "name",
                               self.name)
        text = output_text(candidate, self.field, self.name)
        if style == "qa":
            questions = len(_QUESTION_LINE.findall(text))
            answers = len(_ANSWER_LINE.findall(text))
            return first_failure(
                [(questions >= 2, "fewer than two 'Question: ...?' lines", text[:200]),
                 (answers >= questions, "a question without its 'Answer:' line", text[:200])],
                "question-and-answer style", f"questions={questions} answers={answers}", start)
        if style == "easy":
            lengths = [len(words(sentence)) for sentence in sentences(text)]
            mean = sum(lengths) / len(lengths) if lengths else 0.0
            return pass_fail(0 < mean <= _MAX_EASY_SENTENCE_WORDS,
                             "short, simple sentences" if 0 < mean <= _MAX_EASY_SENTENCE_WORDS
                             else f"sentences too long for a young child (mean {mean:.1f} "
                                  f"words)", f"mean words per sentence {mean:.1f}", start)
        return pass_fail(True, f"style {style!r} is not checkable from the text", style, start)


def _real_question(turn: str) -> bool:
    """A question of three words or more ("Only one bulge?"), not "Why?" or "And?"."""
    return turn.rstrip().endswith("?") and len(words(turn)) >= 3


def is_filler(turn: str) -> bool:
    """A turn that adds nothing: fewer than two content words ("I see.", "Yes, right.",
    "Heat."), unless it is a real question."""
    return not _real_question(turn) and len(content_lemmas(turn)) < 2


@dataclass(frozen=True)
class ConversationTurnsVerifier:
    """Both speakers of a conversation say something substantive: each asks a real question
    or has a turn of at least `min_content_words` content words, and at most half of each
    speaker's turns are fillers ("Yes.", "I see.", "Interesting!")."""

    min_content_words: int = 3

    name = "conversation_turns"
    version = "1"

    def __post_init__(self) -> None:
        if not isinstance(self.min_content_words, int) or self.min_content_words < 1:
            raise ValueError(f"{self.name} min_content_words must be an int >= 1, "
                             f"got {self.min_content_words!r}")
    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        turns = candidate.seed.get("turns")
        if candidate.parse_error is not None or not isinstance(turns, list):
            return pass_fail(False, "not a conversation of speaker turns",
                             candidate.parse_error or candidate.text[:200], start)
        by_speaker: dict[str, list[str]] = {}
        for turn in turns:
            by_speaker.setdefault(turn["speaker"], []).append(turn["text"])
        checks = []
        for speaker, said in by_speaker.items():
            fillers = [text for text in said if is_filler(text)]
            substantive = any(_real_question(text)
                              or len(content_lemmas(text)) >= self.min_content_words
                              for text in said)
            checks += [
                (substantive,
                 f"speaker {speaker} never says anything substantive", " | ".join(said)),
                (2 * len(fillers) <= len(said),
                 f"speaker {speaker} mostly only acknowledges ({len(fillers)} of {len(said)} "
                 "turns are fillers)", " | ".join(fillers)),
            ]
        return first_failure(checks, "both speakers contribute",
                             ", ".join(f"{s}: {len(t)} turns" for s, t in by_speaker.items()),
                             start)


@dataclass(frozen=True)
class EntitiesDiscussedVerifier:
    """Both entities of the sampled pair are discussed: each is named (as any inflection)
    and some two consecutive sentences name both, where the relation is stated."""

    attribute: str = "pair"
    field: str = "response"

    name = "entities_discussed"
    version = "1"

    def __post_init__(self) -> None:
        require_names(self.name, attribute=self.attribute, field=self.field)

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        pair = attribute(candidate, self.attribute, self.name)
        if not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(e, str)
                                                                   for e in pair):
            raise ValueError(f"{self.name} verifier needs attribute {self.attribute!r} as a "
                             f"list of two entity names, got {pair!r}")
        text = output_text(candidate, self.field, self.name)
        missing = missing_phrases(text, pair)
        parts = sentences(text)
        windows = [" ".join(parts[i:i + 2]) for i in range(max(1, len(parts) - 1))]
        related = any(not missing_phrases(window, pair) for window in windows)
        return first_failure(
            [(not missing, f"entity not discussed: {', '.join(missing)}", f"pair={pair}"),
             (related, "the two entities are never discussed together", f"pair={pair}")],
            "both entities are discussed together", f"pair={pair}", start)
