"""Tulu 3's n-gram coverage score: the fraction of a benchmark item's tokens that lie inside
n-grams (n=8 by default) also found in one training text. A text is flagged for an item when
the coverage reaches the threshold (Tulu 3 uses 0.5).

Tokens are word_tokens (punctuation splits words). Candidates come from an NgramIndex with the
same n (its probe rejects most texts in C); only
items sharing at least one n-gram with the text get the exact per-token count.
"""

from collections.abc import Iterable, Sequence

from synth_assets.decontam.items import BenchmarkItem, Hit, sorted_unique
from synth_assets.decontam.ngram import NgramIndex, grams
from synth_assets.text.normalize import word_tokens

DETECTOR = "coverage"


class CoverageIndex:
    def __init__(self, items: Iterable[BenchmarkItem], n: int = 8) -> None:
        self.n = n
        self.items = sorted_unique(items)
        self._candidates = NgramIndex.build(self.items, n=n, tokenize=word_tokens)
        self._position = {(item.benchmark, item.item_id): i for i, item in enumerate(self.items)}
        self._tokens: list[list[bytes]] = [word_tokens(item.text) for item in self.items]

    def coverage(self, tokens: list[bytes]) -> list[tuple[BenchmarkItem, int, int]]:
        """(item, covered tokens, item tokens) for every item sharing an n-gram with tokens."""
        candidates = self._candidates.find_hits_in_tokens(tokens)
        if not candidates:
            return []
        sizes = {min(self.n, len(self._tokens[self._position[(c.benchmark, c.item_id)]]))
                 for c in candidates}
        text_grams = {gram for size in sizes for gram in grams(tokens, size)}
        found = []
        for candidate in candidates:
            index = self._position[(candidate.benchmark, candidate.item_id)]
            item_tokens = self._tokens[index]
            size = min(self.n, len(item_tokens))
            covered = bytearray(len(item_tokens))
            for start, gram in enumerate(grams(item_tokens, size)):
                if gram in text_grams:
                    covered[start : start + size] = b"\x01" * size
            found.append((self.items[index], sum(covered), len(item_tokens)))
        return found

    def scan(self, texts: Sequence[str], threshold: float) -> list[list[Hit]]:
        results = []
        for text in texts:
            hits = []
            for item, covered, length in self.coverage(word_tokens(text)):
                if covered / length >= threshold:
                    hits.append(Hit(
                        item.benchmark, item.item_id, DETECTOR, covered / length,
                        f"{covered} of the item's {length} tokens ({covered / length:.0%}) "
                        f"lie in {self.n}-grams found in the text",
                    ))
            results.append(hits)
        return results
