"""All enabled detectors over one set of benchmark items, with the spec's thresholds: scan a
batch of texts and get, per text, the hits that fired plus its closest semantic candidate (what
an LLM judge may be asked to confirm)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from synth_assets.decontam.coverage import CoverageIndex
from synth_assets.decontam.index_cache import ArrayCache
from synth_assets.decontam.items import BenchmarkItem, Hit, items_fingerprint, sorted_unique
from synth_assets.decontam.minhash import ALGORITHM as MINHASH_ALGORITHM
from synth_assets.decontam.minhash import MinHasher, MinHashIndex
from synth_assets.decontam.ngram import ALGORITHM as NGRAM_ALGORITHM
from synth_assets.decontam.ngram import NgramIndex
from synth_assets.decontam.semantic import ALGORITHM as SEMANTIC_ALGORITHM
from synth_assets.decontam.semantic import SemanticIndex, semantic_backend
from synth_assets.spec.model import ContaminationSpec


@dataclass(frozen=True)
class Candidate:
    """A text's most similar item by the semantic detector that did not fire but came close:
    what an LLM judge may be asked to confirm."""

    item: BenchmarkItem
    score: float
    window: str  # the part of the text compared with the item


@dataclass(frozen=True)
class TextScan:
    hits: tuple[Hit, ...]
    candidate: Candidate | None


# What most texts get: one shared object, so scanning many clean texts allocates nothing per text.
NO_FINDINGS = TextScan((), None)


class DetectorSuite:
    """The detectors are built on first use: a run with nothing new to scan needs only the
    fingerprint, and building them (the model's weights read, the items embedded or read back
    from the index cache) costs seconds."""

    def __init__(self, items: Iterable[BenchmarkItem], config: ContaminationSpec,
                 cache: ArrayCache) -> None:
        self.items = sorted_unique(items)
        self.config = config
        self.cache = cache
        self._benchmark_fingerprint = items_fingerprint(self.items)
        self.semantic_backend = (semantic_backend(config.semantic.backend)
                                 if config.semantic.enabled else None)
        # Everything a verdict depends on: items, algorithms, parameters and thresholds, and the
        # semantic backend actually used (installing the model extra changes verdicts).
        self.fingerprint = items_fingerprint(
            self.items, NGRAM_ALGORITHM, MINHASH_ALGORITHM, SEMANTIC_ALGORITHM,
            config.model_dump(mode="json", exclude={"max_contaminated_rate", "llm_judge"}),
            self.semantic_backend,
        )

    @cached_property
    def ngram(self) -> NgramIndex | None:
        config = self.config
        return NgramIndex.build(self.items, config.ngram_n) if config.ngram.enabled else None

    @cached_property
    def coverage(self) -> CoverageIndex | None:
        config = self.config.coverage
        return CoverageIndex(self.items, config.n) if config.enabled else None

    @cached_property
    def minhash(self) -> MinHashIndex | None:
        spec = self.config.minhash
        if not spec.enabled:
            return None
        hasher = MinHasher(spec.permutations, spec.shingle_words)
        key = (f"{self._benchmark_fingerprint[:24]}-minhash-{MINHASH_ALGORITHM}-"
               f"{spec.permutations}x{spec.shingle_words}")
        signatures = self.cache.get(key, lambda: hasher.signatures([i.text for i in self.items]))
        return MinHashIndex(self.items, signatures, hasher)

    @cached_property
    def semantic(self) -> SemanticIndex | None:
        config = self.config.semantic
        if not config.enabled:
            return None
        return SemanticIndex(self.items, config.backend, self.cache, self._benchmark_fingerprint,
                             config.threshold, config.tfidf_threshold)

    @property
    def detector_names(self) -> list[str]:
        config = self.config
        names = [name for name, detector in (("ngram", config.ngram),
                                             ("coverage", config.coverage),
                                             ("minhash", config.minhash)) if detector.enabled]
        return names + ([f"semantic-{self.semantic_backend}"] if self.semantic_backend else [])

    def scan(self, texts: Sequence[str]) -> list[TextScan]:
        if not texts:
            return []
        hits: dict[int, list[Hit]] = {}  # row -> its hits, for the rows that have any
        if self.ngram is not None:
            minimum = self.config.ngram.min_matches
            for row, text in enumerate(texts):
                found = [_ngram_hit(hit, self.ngram.n) for hit in self.ngram.find_hits(text)
                         if hit.matched_count >= minimum]
                if found:
                    hits.setdefault(row, []).extend(found)
        if self.coverage is not None:
            for row, more in enumerate(self.coverage.scan(texts,
                                                          self.config.coverage.threshold)):
                if more:
                    hits.setdefault(row, []).extend(more)
        if self.minhash is not None:
            for row, more in enumerate(self.minhash.scan(texts, self.config.minhash.threshold)):
                if more:
                    hits.setdefault(row, []).extend(more)
        candidates: list[Candidate | None] = [None] * len(texts)
        if self.semantic is not None:
            for row, matches in enumerate(self.semantic.scan(texts)):
                for match in matches:
                    item = self.items[match.position]
                    if match.fired:
                        hits.setdefault(row, []).append(Hit(
                            item.benchmark, item.item_id, self.semantic.detector, match.score,
                            match.evidence))
                    elif match.borderline and (candidates[row] is None
                                               or match.score > candidates[row].score):
                        candidates[row] = Candidate(item, match.score, match.window)
        return [TextScan(tuple(hits.get(row, ())), candidate) if row in hits or candidate
                else NO_FINDINGS for row, candidate in enumerate(candidates)]


def _ngram_hit(hit, n: int) -> Hit:
    return Hit(
        hit.benchmark, hit.item_id, "ngram", hit.matched_count / max(hit.item_ngram_count, 1),
        f"shares {hit.matched_count} of the item's {hit.item_ngram_count} {n}-grams; "
        f"first: {hit.matched_ngram!r}",
    )
