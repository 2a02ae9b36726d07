"""Check that a response is written in one of the expected natural languages (py3langid, an
offline n-gram classifier). Code blocks and inline code are ignored; texts with too few
letters to tell pass, saying so."""

from __future__ import annotations

import functools
import re
import threading
import time
from dataclasses import dataclass, field

from synth_assets.verify.base import Candidate, Verdict
from synth_assets.verify.prose import strip_code

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_lock = threading.Lock()


@functools.cache
def _identifier():  # the model takes a few seconds to load: once per process
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of the prose in `text`, code left out."""
    with _lock:
        language, probability = _identifier().classify(strip_code(text))
    return language, float(probability)


@dataclass(frozen=True)
class LanguageVerifier:
    languages: list[str] = field(default_factory=lambda: ["en"])
    min_letters: int = 40

    name = "language"
    version = "1"

    def __post_init__(self) -> None:
        if (not isinstance(self.languages, list) or not self.languages
                or not all(isinstance(code, str) and len(code) == 2 for code in self.languages)):
            raise ValueError("language languages must be a non-empty list of two-letter codes "
                             f"(ISO 639-1, e.g. ['en']), got {self.languages!r}")
        if not isinstance(self.min_letters, int) or self.min_letters < 0:
            raise ValueError(f"language min_letters must be an int >= 0, got {self.min_letters!r}")

    def verify(self, candidate: Candidate) -> Verdict:
        start = time.perf_counter()
        prose = strip_code(candidate.text)
        letters = len(_LETTERS.findall(prose))
        if letters < self.min_letters:
            return Verdict(True, 1.0, "too little prose to tell the language",
                           f"letters={letters} min_letters={self.min_letters}",
                           time.perf_counter() - start)
        language, probability = detect_language(prose)
        passed = language in self.languages
        return Verdict(
            passed=passed,
            score=probability if passed else 0.0,
            reason=f"written in {language}" + ("" if passed else
                                                f", expected {' or '.join(self.languages)}"),
            evidence=f"language={language} probability={probability:.2f} letters={letters}",
            duration_s=time.perf_counter() - start,
        )
