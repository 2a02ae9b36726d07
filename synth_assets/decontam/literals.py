"""The specific values a problem states: its numbers (digits, or the English words for them) and
its short quoted strings. A rephrasing of a benchmark item keeps them (the same eggs, prices and
doctest inputs in new words), while a different problem of the same kind has its own; the
semantic detector uses their agreement to separate the two where the embedding alone cannot."""

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

_NUMBER_WORDS = {
    word: str(value) for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split())
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
     "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000", "dozen": "12",
     "twice": "2", "double": "2", "thrice": "3", "triple": "3", "half": "2", "quarter": "4",
     "third": "3", "fourth": "4", "fifth": "5"}
LONGER = 1.5  # a text this many times the item's length has room for values of its own
_LITERAL = re.compile(r"\d[\d,]*(?:\.\d+)?|'[^'\n]{1,40}'|\"[^\"\n]{1,40}\"|[A-Za-z]+")


@lru_cache(maxsize=4096)  # the items, read again for every window near them
def literals(text: str) -> frozenset[str]:
    """Numbers as canonical digits ("1,350.50" -> "1350.5", "sixteen" -> "16") and quoted
    strings without their quotes."""
    found = set()
    for token in _LITERAL.findall(text):
        first = token[0]
        if first.isdigit():
            number = token.replace(",", "")
            if "." in number:
                number = number.rstrip("0").rstrip(".")
            found.add(number)
        elif first in "'\"":
            found.add(token[1:-1].strip())
        elif (number := _NUMBER_WORDS.get(token.lower())) is not None:
            found.add(number)
    return frozenset(found)


class LiteralWeights:
    """Each literal weighted by its inverse document frequency over a benchmark's items, so
    the values every problem states (1, 2, [1, 2, 3]) count little and the ones that single a
    problem out count much."""

    def __init__(self, item_texts: Sequence[str]) -> None:
        frequency = Counter(value for text in item_texts for value in literals(text))
        total = len(item_texts)
        self._weights = {value: math.log((1 + total) / (1 + count)) + 1
                         for value, count in frequency.items()}
        self._unseen = math.log(1 + total) + 1

    def agreement(self, item_text: str, text: str) -> float:
        """How far a text states the item's values, weighted: 1 when exactly the same, 0 when
        none (or the item states fewer than two values, too few to tell problems apart).

        A text about the item's length is compared both ways (weighted Dice): a different
        problem that happens to use the item's numbers also states its own. A longer text (a
        response that restates the problem, then works it) is asked only to contain the item's
        values (weighted share of them), since the rest of it carries numbers of its own.
        """
        item = literals(item_text)
        if len(item) < 2:
            return 0.0
        weight = self._weights.get
        unseen = self._unseen
        stated = literals(text)
        shared = sum(weight(value, unseen) for value in item & stated)
        item_total = sum(weight(value, unseen) for value in item)
        if len(text) > LONGER * len(item_text):
            return shared / item_total
        return 2 * shared / (item_total + sum(weight(value, unseen) for value in stated))
