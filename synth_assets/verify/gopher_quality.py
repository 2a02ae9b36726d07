"""Reject text that is not prose: too few stop words, odd mean word length, symbol-heavy,
mostly non-alphabetic words, lines trailing off in ellipses. The quality rules of Gopher (Rae
et al. 2021, appendix A, table A1), as datatrove's GopherQualityFilter ships them, fitted to
short answers:

- Gopher keeps documents of 50 to 100,000 words; length is the `length` verifier's job here.
- The word statistics (stop words, mean word length, alphabetic-word share) are judged from
  `min_words` words on: "Paris." has no stop word and is a good answer. Stop words and mean
  word length are read in sentences only: list markers are left out and lines of at most
  `short_line_words` words ("Eagle: bird", "3. Chapter and Street") do not count.
- Gopher's stop words are eight (the, be, to, of, and, that, have, with); a 30-word story for
  a 3-year-old ("Tom has a red ball. He likes it. ...") can use none of them, so the default
  list adds the commonest English function words. A keyword list or word salad still has none.
- Gopher rejects documents whose lines are over 90% bullets; a list is a legitimate answer
  ("Name five fruits"), so that rule is off unless `max_bullet_line_fraction` is set.
- Gopher's mean word length is 3 to 10 characters; stories in words a 3-year-old knows
  ("Tom went to the park with his mom. He saw a big dog.") average under 3, so the default
  minimum is 2.5 (letter salad such as "a b c d e" is far below it).
- Beyond Gopher's hash and ellipsis counts, `max_symbol_char_fraction` bounds the share of
  characters that are neither letters, digits, whitespace nor ordinary punctuation or markdown
  (emoji runs, "@@@", "|||", "=>=>")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from synth_assets.verify.base import Candidate, Decision, Verifier
from synth_assets.verify.options import (
    require_count,
    require_fraction,
    require_non_negative,
)
from synth_assets.verify.prose import nonempty_lines, strip_code, words_of

_NAME = "gopher_quality"
GOPHER_STOP_WORDS = ["the", "be", "to", "of", "and", "that", "have", "with"]
STOP_WORDS = GOPHER_STOP_WORDS + """
a an is are was were am been it its in on at by for from as or but not no so if then than this
these those there here i you he she we they me him us them my your his her our their what which
who when where why how do does did has had will would can could should all some any very""".split()
_LIST_MARKER = re.compile(r"^(?:[-*•+]|\d+[.)]|[a-zA-Z][.)])\s+")
_SYMBOL = re.compile(r"[^\w\s.,;:!?'\"’‘“”()\[\]\-–—/%$&*#`]")
_HEADING = re.compile(r"^#{1,6}(?=\s)", re.MULTILINE)  # markdown headings are not hashtags


@dataclass(frozen=True)
class GopherQualityVerifier(Verifier):
    min_words: int = 10
    short_line_words: int = 4
    min_stop_words: int = 2
    stop_words: list[str] = field(default_factory=lambda: list(STOP_WORDS))
    min_mean_word_length: float = 2.5
    max_mean_word_length: float = 10.0
    min_alphabetic_word_fraction: float = 0.8
    max_symbol_word_ratio: float = 0.1
    max_ellipsis_line_fraction: float = 0.3
    max_bullet_line_fraction: float | None = None
    max_symbol_char_fraction: float = 0.1

    name = _NAME
    version = "1"

    def __post_init__(self) -> None:
        require_count(_NAME, "min_words", self.min_words)
        require_count(_NAME, "short_line_words", self.short_line_words)
        require_count(_NAME, "min_stop_words", self.min_stop_words)
        if not isinstance(self.stop_words, list) or not all(
                isinstance(word, str) for word in self.stop_words):
            raise ValueError(f"{_NAME} stop_words must be a list of words, "
                             f"got {self.stop_words!r}")
        for option in ("min_mean_word_length", "max_mean_word_length", "max_symbol_word_ratio"):
            require_non_negative(_NAME, option, getattr(self, option))
        for option in ("min_alphabetic_word_fraction", "max_ellipsis_line_fraction",
                       "max_symbol_char_fraction"):
            require_fraction(_NAME, option, getattr(self, option))
        require_fraction(_NAME, "max_bullet_line_fraction", self.max_bullet_line_fraction,
                         optional=True)

    def problems(self, text: str) -> list[str]:
        """Every rule `text` breaks, with the measured value."""
        prose = strip_code(text)
        lines = nonempty_lines(prose)
        if not lines:
            return []
        item_words = [words_of(_LIST_MARKER.sub("", line)) for line in lines]
        words = [word for item in item_words for word in item]
        # Stop words and word length are read in sentences: lines of a few words are list
        # items or labels ("Eagle: bird"), which need neither.
        sentence_words = [word for item in item_words if len(item) > self.short_line_words
                          for word in item]
        found = []
        if len(sentence_words) >= self.min_words:
            stop_words = set(self.stop_words)
            stops = sum(word in stop_words for word in sentence_words)
            if stops < self.min_stop_words:
                found.append(f"{stops} stop words < {self.min_stop_words}")
            mean_length = sum(map(len, sentence_words)) / len(sentence_words)
            if not self.min_mean_word_length <= mean_length <= self.max_mean_word_length:
                found.append(f"mean word length {mean_length:.1f} outside "
                             f"[{self.min_mean_word_length}, {self.max_mean_word_length}]")
        if len(words) >= self.min_words:
            alphabetic = sum(any(ch.isalpha() for ch in word) for word in words) / len(words)
            if alphabetic < self.min_alphabetic_word_fraction:
                found.append(f"alphabetic words {alphabetic:.2f} < "
                             f"{self.min_alphabetic_word_fraction}")
        per_word = max(len(words), 1)
        hashes = prose.count("#") - sum(len(h) for h in _HEADING.findall(prose))
        for symbol, count in (("#", hashes),
                              ("ellipsis", prose.count("...") + prose.count("…"))):
            if count / per_word > self.max_symbol_word_ratio:
                found.append(f"{symbol} per word {count / per_word:.2f} > "
                             f"{self.max_symbol_word_ratio}")
        ellipsis_lines = sum(line.endswith(("...", "…")) for line in lines) / len(lines)
        if ellipsis_lines > self.max_ellipsis_line_fraction:
            found.append(f"lines ending in an ellipsis {ellipsis_lines:.2f} > "
                         f"{self.max_ellipsis_line_fraction}")
        if self.max_bullet_line_fraction is not None:
            bullets = sum(bool(_LIST_MARKER.match(line)) for line in lines) / len(lines)
            if bullets > self.max_bullet_line_fraction:
                found.append(f"bullet lines {bullets:.2f} > {self.max_bullet_line_fraction}")
        symbols = len(_SYMBOL.findall(prose)) / sum(map(len, prose.split()))
        if symbols > self.max_symbol_char_fraction:
            found.append(f"symbol characters {symbols:.2f} > {self.max_symbol_char_fraction}")
        return found

    def decide(self, candidate: Candidate) -> Decision:
        found = self.problems(candidate.text)
        return Decision(not found, f"not prose: {found[0]}" if found else "reads like prose",
                        "; ".join(found))
