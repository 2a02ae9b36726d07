"""Adherence to the prompt's own sampled attributes: the required words are used (as any
inflection), the required story feature is there where text can show it, the persona is in
the rewritten problem, the requested style is followed, both speakers of a conversation say
something, and both entities of a pair are discussed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from synth_assets.verify.base import Candidate, Decision, Verifier, first_failure
from synth_assets.verify.options import require_names
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
class RequiredWordsVerifier(Verifier):
    """Every attribute named in `attributes` (a word or a list of words) is used."""

    attributes: list[str] = field(default_factory=list)
    field: str = "response"

    name = "required_words"
    version = "1"

    def __post_init__(self) -> None:
        _check_names(self.attributes, "attributes", self.name)
        require_names(self.name, field=self.field)

    def decide(self, candidate: Candidate) -> Decision:
        required: list[str] = []
        for name in self.attributes:
            value = self.prompt_attribute(candidate, name)
            required += value if isinstance(value, list) else [self.attribute_text(value)]
        missing = missing_phrases(self.record_text(candidate, self.field), required)
        return Decision(not missing,
                        f"required word(s) not used: {', '.join(missing)}" if missing
                        else "every required word is used",
                        f"required={required}")


# Quoted speech: a quoted span of two words or more, or one ending in ! ? . or , ("Hi!").
_QUOTED_SPEECH = re.compile(r"[\"“]\s*(?:[^\"”\n]*?\w[^\"”\n]*?\s\w[^\"”\n]*?|\w+[!?.,])\s*[\"”]")
_FEATURE_CHECKS = {
    "dialogue": (_QUOTED_SPEECH, "no line of dialogue (quoted speech)"),
}


@dataclass(frozen=True)
class StoryFeatureVerifier(Verifier):
    """The story feature the prompt asked for, where text shows it: dialogue has quoted
    speech. Other features (a moral, a twist) pass unchecked, saying so."""

    attribute: str = "feature"
    field: str = "response"

    name = "story_feature"
    version = "1"

    def __post_init__(self) -> None:
        require_names(self.name, attribute=self.attribute, field=self.field)

    def decide(self, candidate: Candidate) -> Decision:
        feature = self.attribute_text(self.prompt_attribute(candidate, self.attribute))
        if feature not in _FEATURE_CHECKS:
            return Decision(True, f"feature {feature!r} is not checkable from the text", feature)
        pattern, failure = _FEATURE_CHECKS[feature]
        found = pattern.search(self.record_text(candidate, self.field))
        return Decision(found is not None, f"has the {feature} feature" if found else failure,
                        found.group() if found else feature)


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
class PersonaVerifier(Verifier):
    """The rewritten problem is about the sampled persona: it names the persona's head noun
    ("nurse") or at least half of the persona's content words."""

    attribute: str = "persona"
    field: str = "question"

    name = "persona"
    version = "1"

    def __post_init__(self) -> None:
        require_names(self.name, attribute=self.attribute, field=self.field)

    def decide(self, candidate: Candidate) -> Decision:
        persona = self.attribute_text(self.prompt_attribute(candidate, self.attribute))
        problem = content_lemmas(self.record_text(candidate, self.field))
        wanted = content_lemmas(persona)
        shared = wanted & problem
        head = persona_head(persona)
        passed = head in problem or 2 * len(shared) >= len(wanted)
        return Decision(passed, "the problem is about the persona" if passed
                        else "the problem is not about the persona",
                        f"persona={persona!r} head={head!r} shared={sorted(shared)}")


_QUESTION_LINE = re.compile(r"^\W*(?:question|q)\s*\d*\s*[:.]\s*\S.*\?",
                            re.IGNORECASE | re.MULTILINE)
_ANSWER_LINE = re.compile(r"^\W*(?:answer|a)\s*\d*\s*[:.]\s*\S", re.IGNORECASE | re.MULTILINE)
_MAX_EASY_SENTENCE_WORDS = 15


@dataclass(frozen=True)
class RephraseStyleVerifier(Verifier):
    """The requested rewriting style where text shows it: `qa` has at least two question
    lines ("Question: ...?") each answered ("Answer: ..."); `easy` has short sentences
    (mean under 15 words). Other styles pass unchecked, saying so."""

    attribute: str = "style"
    field: str = "response"

    name = "rephrase_style"
    version = "1"

    def __post_init__(self) -> None:
        require_names(self.name, attribute=self.attribute, field=self.field)

    def decide(self, candidate: Candidate) -> Decision:
        style = self.attribute_text(self.prompt_attribute(candidate, self.attribute))
        text = self.record_text(candidate, self.field)
        if style == "qa":
            questions = len(_QUESTION_LINE.findall(text))
            answers = len(_ANSWER_LINE.findall(text))
            return first_failure(
                [(questions >= 2, "fewer than two 'Question: ...?' lines", text[:200]),
                 (answers >= questions, "a question without its 'Answer:' line", text[:200])],
                "question-and-answer style", f"questions={questions} answers={answers}")
        if style == "easy":
            lengths = [len(words(sentence)) for sentence in sentences(text)]
            mean = sum(lengths) / len(lengths) if lengths else 0.0
            easy = 0 < mean <= _MAX_EASY_SENTENCE_WORDS
            return Decision(easy, "short, simple sentences" if easy
                            else f"sentences too long for a young child (mean {mean:.1f} words)",
                            f"mean words per sentence {mean:.1f}")
        return Decision(True, f"style {style!r} is not checkable from the text", style)


def _real_question(turn: str) -> bool:
    """A question of three words or more ("Only one bulge?"), not "Why?" or "And?"."""
    return turn.rstrip().endswith("?") and len(words(turn)) >= 3


def is_filler(turn: str) -> bool:
    """A turn that adds nothing: fewer than two content words ("I see.", "Yes, right.",
    "Heat."), unless it is a real question."""
    return not _real_question(turn) and len(content_lemmas(turn)) < 2


@dataclass(frozen=True)
class ConversationTurnsVerifier(Verifier):
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

    def decide(self, candidate: Candidate) -> Decision:
        turns = candidate.seed.get("turns")
        if candidate.parse_error is not None or not isinstance(turns, list):
            return Decision(False, "not a conversation of speaker turns",
                            candidate.parse_error or candidate.text[:200])
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
                             ", ".join(f"{s}: {len(t)} turns" for s, t in by_speaker.items()))


@dataclass(frozen=True)
class EntitiesDiscussedVerifier(Verifier):
    """Both entities of the sampled pair are discussed: each is named (as any inflection)
    and some two consecutive sentences name both, where the relation is stated."""

    attribute: str = "pair"
    field: str = "response"

    name = "entities_discussed"
    version = "1"

    def __post_init__(self) -> None:
        require_names(self.name, attribute=self.attribute, field=self.field)

    def decide(self, candidate: Candidate) -> Decision:
        pair = self.prompt_attribute(candidate, self.attribute)
        if not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(e, str)
                                                                   for e in pair):
            raise ValueError(f"{self.name} verifier needs attribute {self.attribute!r} as a "
                             f"list of two entity names, got {pair!r}")
        text = self.record_text(candidate, self.field)
        missing = missing_phrases(text, pair)
        parts = sentences(text)
        windows = [" ".join(parts[i:i + 2]) for i in range(max(1, len(parts) - 1))]
        related = any(not missing_phrases(window, pair) for window in windows)
        return first_failure(
            [(not missing, f"entity not discussed: {', '.join(missing)}", f"pair={pair}"),
             (related, "the two entities are never discussed together", f"pair={pair}")],
            "both entities are discussed together", f"pair={pair}")
