"""Words, lemmas, sentences, numbers and named entities of English text: what the adherence,
grounding and rewrite verifiers compare. Lemmas come from simplemma (its English data ships
inside the package, so it works offline): "hugged" -> "hug", while "bakery" stays "bakery"."""

from __future__ import annotations

import functools
import re
from fractions import Fraction

import simplemma

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]*\s+|\n+")
# Digits with thousands separators and decimals ("1,250.5", "12.50", "3"), not list markers.
_DIGITS = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\w)|(?<![\w.,])-?\d+(?:\.\d+)?"
                     r"(?=st\b|nd\b|rd\b|th\b|(?!\w))")
_LIST_MARKER = re.compile(r"^\s*(?:\(?\d+[.)]|#+\s*\d+[.:])(?=\s)", re.MULTILINE)
# Number words that always mean a number ("one" does not: "the one who").
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000,
    "dozen": 12, "half": Fraction(1, 2), "twice": 2,
    # ordinals from "third" ("first" and "second" have other meanings)
    "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20,
}
STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
let me more most my myself no nor not now of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours yourself yourselves one ones may might must shall
yes okay ok oh well really very get got go going said says say
""".split())
# Capitalised words that are not names: sentence openers, pronouns, titles, speaker labels.
_NOT_NAMES = frozenset("i i'm i've i'd i'll question answer a b q dr mr mrs ms".split())


_POSSESSIVE = re.compile(r"['’]s$")


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased, apostrophes kept ("don't"), possessives dropped
    ("Moon's" -> "moon")."""
    return [_POSSESSIVE.sub("", word.lower()) for word in _WORD.findall(text)]


@functools.lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The dictionary form of one lower-case English word."""
    return simplemma.lemmatize(word, lang="en").lower()


def lemmas(text: str) -> list[str]:
    return [lemma(word) for word in words(text)]


def content_lemmas(text: str) -> set[str]:
    """Lemmas of the words that carry meaning (no stop words, no one-letter words)."""
    return {lemma(word) for word in words(text) if word not in STOP_WORDS and len(word) > 1}


def phrase_lemmas(phrase: str) -> tuple[str, ...]:
    """A required word or entity as the lemmas that must all appear ("wax cells" -> wax, cell);
    a phrase of stop words only keeps them ("the one")."""
    found = tuple(lemma(word) for word in words(phrase) if word not in STOP_WORDS)
    return found or tuple(lemma(word) for word in words(phrase))


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def _number_value(token: str) -> Fraction:
    word = token.lower()
    return Fraction(_NUMBER_WORDS[word]) if word in _NUMBER_WORDS else Fraction(
        token.replace(",", ""))


_NUMBER_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_COMPOUND = re.compile(rf"\b({_NUMBER_WORD})-({_NUMBER_WORD})\b", re.IGNORECASE)
_SCALED = re.compile(rf"(?<![\w.,])({_NUMBER_WORD}|\d+(?:\.\d+)?)\s+(hundred|thousand|million"
                     rf"|billion)\b", re.IGNORECASE)


def _spelled_out(text: str) -> str:
    """Compound number words as digits: "twenty-five" -> 25, "three hundred" -> 300."""
    text = _COMPOUND.sub(lambda m: str(_number_value(m[1]) + _number_value(m[2])), text)
    return _SCALED.sub(lambda m: str(_number_value(m[1]) * _number_value(m[2])), text)


def numbers(text: str) -> set[Fraction]:
    """Every number `text` states, in digits or words ("twenty" and "20" are the same),
    leaving out list markers ("1.", "2)") at the start of a line."""
    plain = _spelled_out(_LIST_MARKER.sub(" ", text))
    found = {_number_value(token) for token in _DIGITS.findall(plain)}
    return found | {_number_value(word) for word in words(plain) if word in _NUMBER_WORDS}


def named_entities(text: str) -> set[str]:
    """Capitalised words inside a sentence (not its first word), lower-cased: the names,
    places and brands a text states. Without a tagger a sentence's first word cannot be told
    from a name, so it is left out."""
    found = set()
    for sentence in sentences(text):
        body = re.sub(r"^\s*(?:[\w ]{1,20}:)\s*", "", sentence)  # "A:", "Question:" labels
        tokens = _WORD.findall(body)
        for token in tokens[1:]:
            name = _POSSESSIVE.sub("", token.lower())
            if token[0].isupper() and name not in _NOT_NAMES:
                found.add(name)
    return found
