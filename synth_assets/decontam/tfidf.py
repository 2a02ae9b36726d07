"""Lexical similarity, the fallback of the semantic detector when no embedding model is
installed: cosine of TF-IDF vectors (sublinear term frequency, smoothed IDF fitted on the
benchmark items) over words and word pairs (word_tokens)."""

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from synth_assets.decontam.items import BenchmarkItem
from synth_assets.text.normalize import word_tokens


def _terms(text: str) -> Counter[bytes]:
    words = word_tokens(text)
    return Counter(words + [a + b" " + b for a, b in zip(words, words[1:], strict=False)])


class TfidfIndex:
    def __init__(self, items: tuple[BenchmarkItem, ...]) -> None:
        self.items = items
        counts = [_terms(item.text) for item in items]
        document_frequency: Counter[bytes] = Counter()
        for terms in counts:
            document_frequency.update(terms.keys())
        self._vocabulary = {term: column for column, term in enumerate(document_frequency)}
        total = len(items)
        self._idf = np.array(
            [math.log((1 + total) / (1 + document_frequency[term])) + 1
             for term in self._vocabulary], dtype=np.float64)
        # A term no item has gets the largest IDF; it only adds to the text's vector length.
        self._unseen_idf = math.log(1 + total) + 1
        self._matrix = self._vectors(counts).T.tocsr()

    def _vectors(self, counts: Sequence[Counter[bytes]]) -> sparse.csr_matrix:
        rows, columns, values, norms = [], [], [], []
        for row, terms in enumerate(counts):
            squared = 0.0
            for term, count in terms.items():
                column = self._vocabulary.get(term)
                idf = self._idf[column] if column is not None else self._unseen_idf
                weight = (1 + math.log(count)) * idf
                squared += weight * weight
                if column is not None:
                    rows.append(row)
                    columns.append(column)
                    values.append(weight)
            norms.append(math.sqrt(squared) or 1.0)
        matrix = sparse.csr_matrix(
            (values, (rows, columns)), shape=(len(counts), len(self._vocabulary))
        )
        return sparse.diags(1 / np.array(norms)) @ matrix

    def best_matches(self, texts: Sequence[str]) -> list[tuple[int, float]]:
        """(item position, cosine) of the most similar item for each text."""
        similarities = (self._vectors([_terms(text) for text in texts]) @ self._matrix).toarray()
        best = similarities.argmax(axis=1)
        return [(int(index), float(similarities[row, index])) for row, index in enumerate(best)]
