"""Check a math response by pulling out its final answer and comparing it to the gold one."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from fractions import Fraction

from synth_assets.verify.base import Candidate, Verdict, clip_evidence
from synth_assets.verify.consensus import consensus_verdict, gold_answer
from synth_assets.verify.symbolic import symbolically_equal

# One number as models write it: optional sign and currency (in either order), then a LaTeX
# fraction, a plain fraction, a number with thousands separators or a plain decimal, then an
# optional percent.
# The look-behind keeps us from starting inside a word or in the middle of a decimal.
_NUMBER = re.compile(
    r"""
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
    """,
    re.VERBOSE,
)
_LATEX_FRACTION = re.compile(r"\\[dt]?frac\{(-?\d+)\}\{(-?\d+)\}")
_PLAIN_FRACTION = re.compile(r"(\d+)/(\d+)")
_SIGN_AND_CURRENCY = re.compile(r"(-?)(?:\\?[$€£])?(-?)(.*)")

_BOXED_START = re.compile(r"\\(?:boxed|fbox)\s*\{")
# Cues that announce the final answer; the answer is the rest of the line after the last cue.
_HASHES = re.compile(r"####[ \t]*")
_ANSWER_PHRASE = re.compile(r"answer(?:\s*\*\*)?\s*(?:(?:is|was)\s*[:=]?|[:=])\s*", re.IGNORECASE)

_INLINE_MATH = re.compile(r"[\s*]*(?:\$([^$]+)\$|\\\((.+?)\\\))")
_TEXT_COMMAND = re.compile(r"\\(?:text|textbf|mathrm|mbox)\s*\{([^{}]*)\}")
_LATEX_SPELLINGS = (
    ("\u2212", "-"),  # unicode minus sign
    ("{,}", ","),  # LaTeX thousands separator: 1{,}200
    ("\\!", ""),
    ("\\,", ""),
    ("\\ ", " "),
    ("\\left", ""),
    ("\\right", ""),
    ("^{\\circ}", ""),
    ("^\\circ", ""),
)


def extract_final_answer(text: str) -> str | None:
    """The final answer a response commits to, or None when it gives none.

    Looks, in order, for the last \\boxed{...}, the last "#### ...", the last
    "answer is/answer: ...", and finally the last number anywhere in the text.
    """
    text = _normalize_latex(text)
    boxed = _last_boxed(text)
    if boxed:
        return boxed
    for cue in (_HASHES, _ANSWER_PHRASE):
        matches = list(cue.finditer(text))
        if matches:
            answer = _answer_in_span(text[matches[-1].end() :].split("\n", 1)[0])
            if answer:
                return answer
    numbers = _NUMBER.findall(text)
    return numbers[-1].strip() if numbers else None


def answers_match(predicted: str, gold: str, tolerance: float = 1e-6) -> bool:
    """True when both are the same number (exactly, or within an absolute tolerance);
    when either is not a single number, when they are the same text after normalization or
    math-verify finds them symbolically equal (e.g. \\sqrt{8} and 2\\sqrt{2})."""
    predicted_values = _numeric_values(predicted)
    gold_values = _numeric_values(gold)
    if predicted_values and gold_values:
        return any(_close(p, g, tolerance) for p in predicted_values for g in gold_values)
    if _normalize_text(predicted) == _normalize_text(gold):
        return True
    return bool(symbolically_equal(_for_math_verify(predicted), _for_math_verify(gold)))


@dataclass(frozen=True)
class MathAnswerVerifier:
    """Compares the final answer with the seed's gold `answer`; for a seed without one, with
    the majority answer over the prompt's samples (self-consistency)."""

    tolerance: float = 1e-6

    name = "math_answer"
    version = "2"

    def __post_init__(self) -> None:
        if not isinstance(self.tolerance, int | float) or self.tolerance < 0:
            raise ValueError(f"math_answer tolerance must be a number >= 0, got {self.tolerance!r}")

    def needs_siblings(self, seed: dict) -> bool:
        return gold_answer(seed, self.name) is None

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        gold = gold_answer(candidate.seed, self.name)
        extracted = extract_final_answer(candidate.text)
        if gold is None:
            answers = [extract_final_answer(text) for text in candidate.siblings]
            return consensus_verdict(extracted, answers, self._same, start)
        if extracted is None:
            passed, reason = False, "no final answer found"
        elif self._same(extracted, gold):
            passed, reason = True, "final answer matches the gold answer"
        else:
            passed, reason = False, "final answer differs from the gold answer"
        return Verdict(
            passed=passed,
            score=1.0 if passed else 0.0,
            reason=reason,
            evidence=clip_evidence(f"extracted={extracted} gold={gold}"),
            duration_s=time.perf_counter() - start,
        )

    def _same(self, predicted: str, gold: str) -> bool:
        return answers_match(predicted, gold, self.tolerance)


def _normalize_latex(text: str) -> str:
    for spelling, plain in _LATEX_SPELLINGS:
        text = text.replace(spelling, plain)
    return _TEXT_COMMAND.sub(r"\1", text)


def _last_boxed(text: str) -> str | None:
    for match in reversed(list(_BOXED_START.finditer(text))):
        content = _until_closing_brace(text, match.end())
        if content and content.strip():
            return content.strip()
    return None


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


def _answer_in_span(span: str) -> str | None:
    """What follows an answer cue: a whole inline-math expression ($x^2+1$, \\(...\\)) when
    the answer starts with one, else the first number, else the text (e.g. "B", "yes")."""
    math = _INLINE_MATH.match(span)
    if math:
        return (math.group(1) or math.group(2)).strip()
    number = _NUMBER.search(span)
    if number:
        return number.group().strip()
    cleaned = span.strip().strip("*$: ").rstrip(".").strip()
    return cleaned or None


def _numeric_values(answer: str) -> list[Fraction]:
    """The value(s) an answer that is exactly one number can mean; [] when it is not one number.

    A percentage has two readings ("25%" is 25 or 0.25), so it yields both.
    """
    tokens = _NUMBER.findall(_normalize_latex(answer))
    if len(tokens) != 1:
        return []
    token = re.sub(r"\s+", "", tokens[0])
    is_percent = token.endswith("%")
    token = token.removesuffix("%").removesuffix("\\")
    sign_before, sign_after, body = _SIGN_AND_CURRENCY.fullmatch(token).groups()
    value = _token_value(body)
    if value is None:
        return []
    if sign_before or sign_after:
        value = -value
    return [value, value / 100] if is_percent else [value]


def _token_value(token: str) -> Fraction | None:
    fraction = _LATEX_FRACTION.fullmatch(token) or _PLAIN_FRACTION.fullmatch(token)
    if fraction:
        numerator, denominator = int(fraction.group(1)), int(fraction.group(2))
        return Fraction(numerator, denominator) if denominator else None
    return Fraction(token.replace(",", ""))


def _close(predicted: Fraction, gold: Fraction, tolerance: float) -> bool:
    return abs(predicted - gold) <= Fraction(tolerance)


def _for_math_verify(answer: str) -> str:
    """The answer as bare LaTeX: math-verify gets it wrapped in one pair of $...$."""
    return _normalize_latex(answer).replace("\\$", "").replace("$", "").strip()


def _normalize_text(answer: str) -> str:
    cleaned = _normalize_latex(answer).lower().replace("$", "").replace("*", "")
    return re.sub(r"\s+", "", cleaned).rstrip(".")
