"""Check that a response is written in one of the expected natural languages (py3langid, an
offline n-gram classifier). Code blocks and inline code are ignored; texts with too few
letters to tell pass, saying so.

A long text is judged by its first and its last WINDOW_CHARS characters, each of which must be
in an expected language: the classifier's time grows with the text (about 0.25 ms per 100
characters on a loaded 2-core machine), and a teacher drifting into another language shows at
the end, where one verdict over the whole text can miss it.

When English is expected, a window at least ENGLISH_MARKER_SHARE of whose words (10 or more)
are English function words that are not words of other Latin-script languages ("the", "and",
"of", "which", ...) is English without asking the classifier: such words are a tenth or more of
English prose and absent from French, German, Spanish, Italian, Portuguese or Dutch prose, and
the classifier costs a thousand times more."""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field

from synth_assets.verify.base import Candidate, Decision, Verifier
from synth_assets.verify.prose import strip_code, words_of

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_lock = threading.Lock()
WINDOW_CHARS = 200
ENGLISH_MARKER_SHARE = 0.1
_ENGLISH_MARKERS = frozenset("""the and of that with for this you they have has were are from
which would their there what when will been his she it its not but your our them we""".split())


@functools.cache
def _identifier():  # the model takes a few seconds to load: once per process
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of `text`."""
    with _lock:
        language, probability = _identifier().classify(text)
    return language, float(probability)


@dataclass(frozen=True)
class LanguageVerifier(Verifier):
    languages: list[str] = field(default_factory=lambda: ["en"])
    min_letters: int = 40

    name = "language"
    version = "2"

    def __post_init__(self) -> None:
        if (not isinstance(self.languages, list) or not self.languages
                or not all(isinstance(code, str) and len(code) == 2 for code in self.languages)):
            raise ValueError("language languages must be a non-empty list of two-letter codes "
                             f"(ISO 639-1, e.g. ['en']), got {self.languages!r}")
        if not isinstance(self.min_letters, int) or self.min_letters < 0:
            raise ValueError(f"language min_letters must be an int >= 0, got {self.min_letters!r}")

    def decide(self, candidate: Candidate) -> Decision:
        prose = strip_code(candidate.text)
        letters = len(_LETTERS.findall(prose))
        if letters < self.min_letters:
            return Decision(True, "too little prose to tell the language",
                            f"letters={letters} min_letters={self.min_letters}")
        windows = {"whole text": prose}
        if len(prose) > 2 * WINDOW_CHARS:
            ends = {"start": prose[:WINDOW_CHARS], "end": prose[-WINDOW_CHARS:]}
            windows = {where: window for where, window in ends.items()
                       if len(_LETTERS.findall(window)) >= self.min_letters} or windows
        found = {where: self._language_of(window) for where, window in windows.items()}
        # Report the window that fails, else the least certain one.
        where, (language, probability, how) = min(
            found.items(), key=lambda item: (item[1][0] in self.languages, item[1][1]))
        passed = language in self.languages
        return Decision(
            passed=passed,
            reason=f"written in {language}" + ("" if passed else
                                                f", expected {' or '.join(self.languages)}"),
            evidence=f"language={language} probability={probability:.2f} letters={letters} "
                     f"({where}, by {how})",
            score=probability if passed else 0.0,
        )

    def _language_of(self, window: str) -> tuple[str, float, str]:
        """(code, probability, how it was told); 1.0 for English told by its function words."""
        if "en" in self.languages:
            words = words_of(window)
            markers = sum(word in _ENGLISH_MARKERS for word in words)
            if len(words) >= 10 and markers >= ENGLISH_MARKER_SHARE * len(words):
                return "en", 1.0, "function words"
        return *detect_language(window), "py3langid"
