"""Reject repetitive text with the repetition filters of Gopher (Rae et al. 2021, "Scaling
Language Models: Methods, Analysis & Insights from Training Gopher", appendix A, table A1), the
thresholds datatrove's GopherRepetitionFilter also ships. Code blocks are left out.

The table was set for web documents of 50 words or more (Gopher's own minimum length). Our
texts are short answers, so one statistic changes: the top 2/3/4-gram character fractions are
only judged from `top_ngram_min_words` words on (in a 20-word answer a bigram said three times,
"the ball", is already 0.2 of the characters). The duplicate-line/paragraph fractions and the
duplicate 5..10-gram character fractions keep Gopher's values for every length: repeating a
line or five words in a row is as telling in a short answer as in a long one. Lines and words
are compared lowercased with whitespace collapsed, so changing the case or spacing of a
repeated sentence does not hide it.

One addition: sentences are judged like lines (duplicate sentence fraction and character
fraction, at the line thresholds), since a one-paragraph answer has one line. A sentence or
line repeated exactly is judged by those statistics only (its words count once in the n-gram
statistics), so a poem's refrain line or a story's refrain sentence is not counted twice; a
loop of one sentence, or sentences repeated with small changes, is still caught."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field

from synth_assets.verify.base import Candidate, Verdict, clip_evidence
from synth_assets.verify.options import fractions_by_n, require_count, require_fraction
from synth_assets.verify.prose import nonempty_lines, strip_code, words_of

_NAME = "repetition"
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|\n")


def _duplicates(items: list[str]) -> tuple[int, int]:
    """(items equal to an earlier one, their characters)."""
    seen: set[str] = set()
    count = chars = 0
    for item in items:
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return count, chars


def _top_ngram_chars(words: list[str], n: int) -> int:
    """Characters covered by the most frequent n-gram, all its occurrences counted."""
    grams = Counter(zip(*(words[i:] for i in range(n)), strict=False))
    if not grams:
        return 0
    gram, count = grams.most_common(1)[0]
    return len(" ".join(gram)) * count


def _duplicate_ngram_chars(words: list[str], n: int) -> int:
    """Characters of the n-grams repeating an earlier one, a repeated stretch counted once
    (a duplicate n-gram skips its n words, as in Gopher and datatrove)."""
    seen: set[tuple[str, ...]] = set()
    chars = index = 0
    while index <= len(words) - n:
        gram = tuple(words[index:index + n])
        if gram in seen:
            chars += len(" ".join(gram))
            index += n
        else:
            seen.add(gram)
            index += 1
    return chars


def _normalized(block: str) -> str:
    return " ".join(block.lower().split())


@dataclass(frozen=True)
class RepetitionVerifier:
    max_duplicate_line_fraction: float | None = 0.30
    max_duplicate_paragraph_fraction: float | None = 0.30
    max_duplicate_line_char_fraction: float | None = 0.20
    max_duplicate_paragraph_char_fraction: float | None = 0.20
    max_duplicate_sentence_fraction: float | None = 0.30
    max_duplicate_sentence_char_fraction: float | None = 0.20
    max_top_ngram_char_fraction: dict[int, float] = field(
        default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16})
    max_duplicate_ngram_char_fraction: dict[int, float] = field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10})
    top_ngram_min_words: int = 50

    name = _NAME
    version = "1"

    def __post_init__(self) -> None:
        for option in ("max_duplicate_line_fraction", "max_duplicate_paragraph_fraction",
                       "max_duplicate_line_char_fraction",
                       "max_duplicate_paragraph_char_fraction",
                       "max_duplicate_sentence_fraction",
                       "max_duplicate_sentence_char_fraction"):
            require_fraction(_NAME, option, getattr(self, option), optional=True)
        for option in ("max_top_ngram_char_fraction", "max_duplicate_ngram_char_fraction"):
            object.__setattr__(self, option, fractions_by_n(_NAME, option, getattr(self, option)))
        require_count(_NAME, "top_ngram_min_words", self.top_ngram_min_words)

    def statistics(self, text: str) -> list[tuple[str, float, float]]:
        """(statistic, value, maximum) of every statistic judged on `text`, table A1 order."""
        prose = strip_code(text).strip()
        if not prose:
            return []
        total = len(prose)
        judged: list[tuple[str, float, float | None]] = []
        paragraphs = [_normalized(p) for p in _PARAGRAPH_BREAK.split(prose) if p.strip()]
        count, chars = _duplicates(paragraphs)
        judged += [("duplicate paragraph fraction", count / len(paragraphs),
                    self.max_duplicate_paragraph_fraction),
                   ("duplicate paragraph character fraction", chars / total,
                    self.max_duplicate_paragraph_char_fraction)]
        lines = [_normalized(line) for line in nonempty_lines(prose)]
        count, chars = _duplicates(lines)
        judged += [("duplicate line fraction", count / len(lines),
                    self.max_duplicate_line_fraction),
                   ("duplicate line character fraction", chars / total,
                    self.max_duplicate_line_char_fraction)]
        # Not in Gopher: the same for sentences, which are the lines of a one-paragraph answer.
        sentences = [" ".join(words_of(sentence)) for sentence in _SENTENCE_BREAK.split(prose)]
        sentences = [sentence for sentence in sentences if sentence]
        count, chars = _duplicates(sentences)
        judged += [("duplicate sentence fraction", count / max(len(sentences), 1),
                    self.max_duplicate_sentence_fraction),
                   ("duplicate sentence character fraction", chars / total,
                    self.max_duplicate_sentence_char_fraction)]
        # A repeated sentence or line is judged once, by the statistics above: a refrain would
        # otherwise count again as a duplicate 5..10-gram.
        words = [word for sentence in dict.fromkeys(sentences) for word in sentence.split()]
        if len(words) >= self.top_ngram_min_words:
            judged += [(f"top {n}-gram character fraction", _top_ngram_chars(words, n) / total,
                        maximum)
                       for n, maximum in sorted(self.max_top_ngram_char_fraction.items())]
        # Without a repeated n-gram of the smallest size there is none of a larger size: the
        # usual case, settled by one pass.
        smallest = min(self.max_duplicate_ngram_char_fraction, default=1)
        grams = list(zip(*(words[i:] for i in range(smallest)), strict=False))
        repeats = len(set(grams)) < len(grams)
        judged += [(f"duplicate {n}-gram character fraction",
                    _duplicate_ngram_chars(words, n) / total if repeats else 0.0, maximum)
                   for n, maximum in sorted(self.max_duplicate_ngram_char_fraction.items())]
        return [(name, value, maximum) for name, value, maximum in judged if maximum is not None]

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        statistics = self.statistics(candidate.text)
        failed = [(name, value, maximum) for name, value, maximum in statistics
                  if value > maximum]
        if failed:
            name, value, maximum = failed[0]
            passed, reason = False, f"repetitive: {name} above {maximum}"
            evidence = "; ".join(f"{n} {v:.2f} > {m}" for n, v, m in failed)
        else:
            passed, reason = True, "no repetition above the thresholds"
            worst = max(statistics, key=lambda s: s[1] / s[2] if s[2] else 0.0, default=None)
            evidence = (f"closest: {worst[0]} {worst[1]:.2f} (max {worst[2]})" if worst
                        else "no prose outside code")
        return Verdict(passed=passed, score=1.0 if passed else 0.0, reason=reason,
                       evidence=clip_evidence(evidence), duration_s=time.perf_counter() - start)
