"""Check a math response by pulling out its final answer and comparing it to the gold one.

A plain-number gold (18, 1,200, $4.50, 3/4, 25%) is compared with a plain-number answer exactly as
rationals; everything else (a radical, pi, a polynomial, a set, an interval, an inequality, a
matrix, \\pm) goes to math-verify's parser and our structural comparison (symbolic_worker.py), so
an answer is never reduced to "the single number in it". docs/verifiers.md lists every rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from functools import partial

from synth_assets.verify.base import Candidate, Decision, Verifier
from synth_assets.verify.consensus import consensus_decision, gold_answer
from synth_assets.verify.symbolic import symbolically_equal

# One number as models write it: optional sign and currency (in either order), then a LaTeX
# fraction, a plain fraction, a number with thousands separators or a plain decimal, then an
# optional percent.
# The look-behind keeps us from starting inside a word or in the middle of a decimal.
_NUMBER_PATTERN = r"""
    (?<![\w.])
    (?:-\s?)?
    (?:\\?[$€£]\s?)?
    (?:-\s?)?
    (?:
        \\[dt]?frac\{\s*-?\d+\s*\}\{\s*-?\d+\s*\}
      | \d+\s?/\s?\d+
      | \d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)
      | \d+(?:\.\d+)?
      | \.\d+
    )
    (?:\s?\\?%)?
    """
_NUMBER = re.compile(_NUMBER_PATTERN, re.VERBOSE)
# A unit word after a number ("18 apples", "12 cm^2"): three letters or more, or a common short
# unit. Not a function, constant, operation or number word: "5 pi", "5 squared", "3 million",
# "3 or 4" and "3x" are not a number with a unit.
_UNIT_WORD = r"""
    (?!(?:and|not|sqrt|sin|cos|tan|log|exp|mod|squared|cubed|factorial|times|over|plus|minus
        |divided|power|root|half|halves|thirds?|quarters?|dozens?|hundreds?|thousands?
        |millions?|billions?|trillions?)\b)
    (?:[A-Za-z]{3,}|cm|mm|km|kg|mg|ml|ft|lb|oz|hr|yd|mi)(?![A-Za-z])\.?(?:\^\{?\d\}?)?
    """
# A whole answer that is one number, optionally with "percent" and unit words after it.
_PLAIN_NUMBER = re.compile(
    rf"""\s*(?P<number>{_NUMBER_PATTERN})(?P<percent>\s*percent\b)?
    (?P<units>(?:\s*{_UNIT_WORD})*)[\s.]*""",
    re.VERBOSE | re.IGNORECASE,
)
_UNITS_AFTER = re.compile(rf"(?:\s*{_UNIT_WORD})*", re.VERBOSE | re.IGNORECASE)
_LATEX_FRACTION = re.compile(r"\\[dt]?frac\{(-?\d+)\}\{(-?\d+)\}")
_PLAIN_FRACTION = re.compile(r"(\d+)/(\d+)")
_SIGN_AND_CURRENCY = re.compile(r"(-?)(?:\\?[$€£])?(-?)(.*)")

_BOXED_START = re.compile(r"\\(?:boxed|fbox)\s*\{")
# What may stand between boxes that give one answer together: "\boxed{2} and \boxed{3}",
# "x = \boxed{2}, y = \boxed{3}", "x &= \boxed{2} \\ y &= \boxed{3}". Any other text between
# them ("wait, it is", a full stop) starts a new answer.
_BOX_SEPARATOR = re.compile(
    r"(?:[\s$,;&]|\\[()\[\]]|\\q?quad|\\\\|\b(?:and|or)\b|[A-Za-z](?:_\{?\w+\}?)?\s*&?=)*")
# Cues that announce the final answer; the answer is the rest of the line after the last cue.
_HASHES = re.compile(r"####[ \t]*")
_ANSWER_PHRASE = re.compile(r"answer(?:\s*\*\*)?\s*(?:(?:is|was)\s*[:=]?|[:=])\s*", re.IGNORECASE)
# Words that make an answer a hedge rather than a commitment ("not 5", "maybe 6", "between 3
# and 5", "about 7"): such an answer matches no gold that does not say the same.
_HEDGE = re.compile(
    r"\b(?:not|maybe|perhaps|possibly|probably|either|neither|between|approximately|about"
    r"|around|roughly|unsure|unclear)\b|n't\b|\\approx|≈",
    re.IGNORECASE,
)
# Between the items of a listed answer: "3, 4 or 5", "$2$ and $3$".
_CONNECTOR = re.compile(r"\s*(?:,\s*(?:(?:or|and)\b\s*)?|;\s*|(?:or|and)\b\s*)")
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")

_INLINE_MATH = re.compile(r"[\s*]*(?:\$([^$]+)\$|\\\((.+?)\\\))")
_TEXT_COMMAND = re.compile(r"\\(?:text|textbf|textrm|mathrm|mbox)\s*\{([^{}]*)\}")
_LATEX_SPELLINGS = (
    ("\u2212", "-"),  # unicode minus sign
    ("{,}", ","),  # LaTeX thousands separator: 1{,}200
    ("\\$", ""),  # an escaped dollar is a currency sign: \$4.50
    ("\\,", ""),
    ("\\left", ""),
    ("\\right", ""),
    ("^{\\circ}", ""),
    ("^\\circ", ""),
)
# 32,\! 349: a negative thin space (and any space after it) inside a number.
_NEGATIVE_SPACE = re.compile(r"\\!\s*")
# A LaTeX space "\ ", but not the second half of a row break "\\".
_LATEX_SPACE = re.compile(r"(?<!\\)\\ ")
# 1 200 000: thousands separated by single spaces.
_SPACED_THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?: \d{3})+(?![\d.])")
# A decimal comma: 1000,99. Only when the digits before the comma cannot be a thousands group
# (four or more) and one or two digits follow; "1,5" and "12,5" stay the list they may be.
_DECIMAL_COMMA = re.compile(r"(?<![\d.,])(\d{4,}),(\d{1,2})(?![\d,])")

# A repeating decimal: 0.\overline{3}, 1.2\overline{45}.
_REPEATING_DECIMAL = re.compile(r"(?<![\d.])(\d*)\.(\d*)\\overline\{(\d+)\}")

# A rounding the question asks for, in decimal places (negative: tens, hundreds).
_PRECISION_WORDS = {
    "tenth": 1, "hundredth": 2, "thousandth": 3, "ten-thousandth": 4, "ten thousandth": 4,
    "whole number": 0, "integer": 0, "whole": 0, "unit": 0, "dollar": 0, "cent": 2,
    "ten": -1, "hundred": -2, "thousand": -3,
}
_COUNT_WORDS = {"one": 1, "a": 1, "a single": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                "six": 6}
_PRECISION = re.compile(
    r"nearest\s+(?P<place>ten[- ]thousandth|tenth|hundredth|thousandth|whole number|integer"
    r"|whole|unit|dollar|cent|ten|hundred|thousand)s?\b"
    r"|(?P<count>\d+|one|a single|a|two|three|four|five|six)\s+decimal\s+places?",
    re.IGNORECASE,
)
# Final answers are short; longer text is not sent to sympy.
MAX_ANSWER_CHARS = 1000


def extract_final_answer(text: str) -> str | None:
    """The final answer a response commits to, or None when it gives none.

    Looks, in order, for the last group of \\boxed{...} (several boxes joined only by "and",
    commas or "x =" are one answer, listed as "a, b"), the last "#### ...", the last
    "answer is/answer: ..." (a listed answer "3, 4 or 5" is kept whole), and finally the last
    number anywhere in the text (with the numbers listed just before it).
    """
    answers = final_answers(text)
    return answers[0] if answers else None


def final_answers(text: str) -> list[str]:
    """The boxed answer and, when an answer line starting with a number or math ("#### 6",
    "The answer is 6"; not "the answer is reasonable") follows the last box, that line's
    answer too: a response committing to two answers must mean the same one twice. Without a
    box: the one answer extract_final_answer finds, or [] for none."""
    text = _normalize_latex(text)
    boxed = _last_boxed_group(text)
    if boxed is not None:
        answer, end = boxed
        later = _cued_answer(text[end:], prose=False)
        return [answer, later] if later else [answer]
    cued = _cued_answer(text)
    if cued:
        return [cued]
    last = _last_numbers(text)
    return [last] if last else []


def answers_match(predicted: str, gold: str, tolerance: float = 1e-6,
                  decimals: int | None = None) -> bool:
    """Whether the predicted answer equals the gold one.

    Both plain numbers: equal as rationals within the absolute `tolerance`, or, with `decimals`
    (the rounding the question asks for), when both round to the same value. Else: the same
    text after normalization, or equal by symbolic_worker's structural comparison. A hedged
    answer ("not 5", "maybe 6") matches no gold that does not hedge the same way.
    """
    if _HEDGE.search(_normalize_latex(predicted)) and not _HEDGE.search(_normalize_latex(gold)):
        return False
    predicted_values = _plain_number_values(predicted)
    gold_values = _plain_number_values(gold)
    if predicted_values and gold_values:
        if _units(predicted) and _units(gold) and _units(predicted) != _units(gold):
            return False  # 5 km is not 5 cm; a unit on one side only is decoration
        return any(_numbers_equal(p, g, tolerance, decimals)
                   for p in predicted_values for g in gold_values)
    if _normalize_text(predicted) == _normalize_text(gold):
        return True
    if len(predicted) > MAX_ANSWER_CHARS or len(gold) > MAX_ANSWER_CHARS:
        return False
    return bool(symbolically_equal(_for_math_verify(predicted), _for_math_verify(gold),
                                   tolerance, decimals))


def stated_decimals(question: str) -> int | None:
    """The rounding a question asks for ("to the nearest hundredth": 2, "to one decimal
    place": 1, "to the nearest whole number": 0), the last one stated; None when it asks none."""
    matches = list(_PRECISION.finditer(question))
    if not matches:
        return None
    place, count = matches[-1].group("place"), matches[-1].group("count")
    if place:
        return _PRECISION_WORDS[re.sub(r"\s+", " ", place.lower())]
    return int(count) if count.isdigit() else _COUNT_WORDS[count.lower()]


@dataclass(frozen=True)
class MathAnswerVerifier(Verifier):
    """Compares the final answer with the seed's gold `answer`; for a seed without one, with
    the majority answer over the prompt's samples (self-consistency). A rounding asked for in
    the prompt (or the seed's `question`) is the precision of the comparison; the response
    cannot set its own."""

    tolerance: float = 1e-6

    name = "math_answer"
    version = "3"

    def __post_init__(self) -> None:
        if not isinstance(self.tolerance, int | float) or self.tolerance < 0:
            raise ValueError(f"math_answer tolerance must be a number >= 0, got {self.tolerance!r}")

    def needs_siblings(self, seed: dict) -> bool:
        return gold_answer(seed, self.name) is None

    def decide(self, candidate: Candidate) -> Decision:
        gold = gold_answer(candidate.seed, self.name)
        question = candidate.prompt or str(candidate.seed.get("question") or "")
        same = partial(answers_match, tolerance=self.tolerance,
                       decimals=stated_decimals(question))
        answers = final_answers(candidate.text)
        extracted = answers[0] if answers else None
        if gold is None:
            siblings = [extract_final_answer(text) for text in candidate.siblings]
            return consensus_decision(extracted, siblings, same)
        if extracted is None:
            passed, reason = False, "no final answer found"
        elif any(not same(later, extracted) for later in answers[1:]):
            passed, reason = False, "the response gives two different final answers"
        elif same(extracted, gold):
            passed, reason = True, "final answer matches the gold answer"
        else:
            passed, reason = False, "final answer differs from the gold answer"
        shown = " then ".join(answers) if len(answers) > 1 else extracted
        return Decision(passed, reason, f"extracted={shown} gold={gold}")


def _normalize_latex(text: str) -> str:
    for spelling, plain in _LATEX_SPELLINGS:
        text = text.replace(spelling, plain)
    text = _NEGATIVE_SPACE.sub("", text)
    text = _LATEX_SPACE.sub(" ", text)
    text = _SPACED_THOUSANDS.sub(lambda match: match.group().replace(" ", ""), text)
    text = _DECIMAL_COMMA.sub(r"\1.\2", text)
    text = _REPEATING_DECIMAL.sub(_repeating_decimal_as_fraction, text)
    return _TEXT_COMMAND.sub(r"\1", text)


def _repeating_decimal_as_fraction(match: re.Match) -> str:
    """0.1\\overline{6} as \\frac{1}{6}: whole + (digits with one period - digits without) /
    (10^fixed * (10^period - 1))."""
    whole, fixed, period = match.group(1) or "0", match.group(2), match.group(3)
    value = int(whole) + Fraction(int(fixed + period) - int(fixed or "0"),
                                  10 ** len(fixed) * (10 ** len(period) - 1))
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def _boxes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every non-empty \\boxed{...} / \\fbox{...}."""
    boxes = []
    for match in _BOXED_START.finditer(text):
        content = _until_closing_brace(text, match.end())
        if content and content.strip():
            boxes.append((match.start(), match.end() + len(content) + 1, content.strip()))
    return boxes


def _last_boxed_group(text: str) -> tuple[str, int] | None:
    """The last group of boxes as one answer ("2, 3" for two boxes) and where it ends."""
    every_box = _boxes(text)
    # a box inside a box is content, not an answer of its own
    boxes = [box for box in every_box if not any(o[0] < box[0] < o[1] for o in every_box)]
    if not boxes:
        return None
    group = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        if not _BOX_SEPARATOR.fullmatch(text[box[1]:group[0][0]]):
            break
        group.insert(0, box)
    contents = [content for _, _, content in group]
    answer = ", ".join(map(_list_item, contents)) if len(contents) > 1 else contents[0]
    return answer, group[-1][1]


def _until_closing_brace(text: str, start: int) -> str | None:
    depth = 1
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start:index]
    return None


def _cued_answer(text: str, prose: bool = True) -> str | None:
    """The answer after the last "####" (or, without one, the last "answer is/answer:"); with
    `prose` False, only one that starts with numbers or inline math."""
    for cue in (_HASHES, _ANSWER_PHRASE):
        matches = list(cue.finditer(text))
        if matches:
            answer = _answer_in_span(text[matches[-1].end() :].split("\n", 1)[0], prose)
            if answer:
                return answer
    return None


def _answer_in_span(span: str, prose: bool = True) -> str | None:
    """What follows an answer cue: the inline-math expressions ($x^2+1$, \\(...\\)) or numbers
    it starts with (several when listed: "3, 4 or 5"); else the one number of its sentence;
    else the sentence (e.g. "B", "yes", or a hedge such as "not 5, it is 6", kept whole so it
    matches nothing)."""
    span = span.lstrip(" \t*:")
    sentence = _SENTENCE_END.split(span, 1)[0].strip().strip("*$: ")
    items: list[str] = []
    rest = span
    while True:
        item = _leading_item(rest)
        if item is None:
            break
        items.append(item[0])
        rest = rest[item[1]:]
        connector = _CONNECTOR.match(rest)
        if connector is None or _leading_item(rest[connector.end():]) is None:
            break
        rest = rest[connector.end():]
    if not items and not prose:
        return None
    if _HEDGE.search(sentence):
        return sentence
    if items:
        return ", ".join(_list_item(item) for item in items) if len(items) > 1 else items[0]
    numbers = _NUMBER.findall(sentence)
    return numbers[0].strip() if len(numbers) == 1 else sentence or None


def _leading_item(text: str) -> tuple[str, int] | None:
    """The inline-math expression or number `text` starts with, and where it ends."""
    math = _INLINE_MATH.match(text)
    if math:
        return (math.group(1) or math.group(2)).strip(), math.end()
    number = _NUMBER.match(text, len(text) - len(text.lstrip(" \t*")))
    if number:
        return number.group().strip(), _UNITS_AFTER.match(text, number.end()).end()
    return None


def _last_numbers(text: str) -> str | None:
    """The last number in the text, with the numbers listed just before it ("3, 4 or 5");
    the whole clause when it hedges ("6, not 5")."""
    numbers = list(_NUMBER.finditer(text))
    if not numbers:
        return None
    chain = [numbers[-1]]
    for number in reversed(numbers[:-1]):
        if not _CONNECTOR.fullmatch(text[number.end() : chain[0].start()]):
            break
        chain.insert(0, number)
    clause_start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, chain[0].start())),
                       default=0)
    if _HEDGE.search(text[clause_start : chain[-1].end()]):
        return text[clause_start : chain[-1].end()].strip()
    if len(chain) == 1:
        return chain[0].group().strip()
    return ", ".join(_list_item(number.group()) for number in chain)


def _list_item(item: str) -> str:
    """One item of a listed answer, written so the list stays unambiguous: 1,200 as 1200."""
    return item.replace(",", "") if _plain_number_values(item) else item


def _plain_number_values(answer: str) -> list[Fraction]:
    """The value(s) of an answer that is exactly one number (units words allowed after it);
    [] when it is anything else.

    A percentage has two readings ("25%" is 25 or 0.25), so it yields both.
    """
    match = _PLAIN_NUMBER.fullmatch(_normalize_latex(answer))
    if match is None:
        return []
    token = re.sub(r"\s+", "", match.group("number"))
    is_percent = token.endswith("%") or match.group("percent") is not None
    token = token.removesuffix("%").removesuffix("\\")
    sign_before, sign_after, body = _SIGN_AND_CURRENCY.fullmatch(token).groups()
    value = _token_value(body)
    if value is None:
        return []
    if sign_before or sign_after:
        value = -value
    return [value, value / 100] if is_percent else [value]


def _units(answer: str) -> str:
    """The unit words after a plain number, lowercased and singular ("" for none)."""
    match = _PLAIN_NUMBER.fullmatch(_normalize_latex(answer))
    words = re.findall(r"[a-z]+", match.group("units").lower()) if match else []
    return " ".join(map(_singular, words))


def _singular(word: str) -> str:
    if word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 3 else word


def _token_value(token: str) -> Fraction | None:
    fraction = _LATEX_FRACTION.fullmatch(token) or _PLAIN_FRACTION.fullmatch(token)
    if fraction:
        numerator, denominator = int(fraction.group(1)), int(fraction.group(2))
        return Fraction(numerator, denominator) if denominator else None
    return Fraction(token.replace(",", ""))


def _numbers_equal(predicted: Fraction, gold: Fraction, tolerance: float,
                   decimals: int | None) -> bool:
    if abs(predicted - gold) <= Fraction(tolerance):
        return True
    return decimals is not None and _rounded(predicted, decimals) == _rounded(gold, decimals)


def _rounded(value: Fraction, decimals: int) -> Decimal:
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _for_math_verify(answer: str) -> str:
    """The answer as bare LaTeX: math-verify gets it wrapped in one pair of $...$."""
    return _normalize_latex(answer).replace("$", "").strip()


def _normalize_text(answer: str) -> str:
    """Lowercase, without math delimiters, markdown bold or spaces, except a space between two
    digits ("1 2" stays two numbers) and the "*" of a product ("2*3" is not 23)."""
    cleaned = _normalize_latex(answer).lower().replace("$", "").replace("**", "")
    cleaned = re.sub(r"(?<=\d)\s+(?=\d)", " ", cleaned)
    return re.sub(r"(?<!\d)\s+|\s+(?!\d)", "", cleaned).rstrip(".")
