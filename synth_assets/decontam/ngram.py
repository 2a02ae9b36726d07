"""Exact n-gram overlap between records and benchmark items (GPT-3 / lm-eval style, n=13).

Every item is cut into its distinct n-grams of normalized tokens; an item shorter than n tokens
becomes one gram of all its tokens, so a short item still matches when it appears verbatim
(lm-eval's janitor drops such items). A record hits an item when they share at least one gram.

Speed comes from three choices, each measured on GSM8K-like records:
- grams are keyed by Python's hash() of the token tuple: ~4x faster than a blake2b digest of
  the joined gram. That hash is salted per process, so the keys must never leave the process:
  pickling an index rebuilds it from its items. A 64-bit collision could report a false hit;
  at ~1e5 indexed grams and ~1e8 scanned positions its probability is ~1e-6.
- a strided probe rejects most records before any exact work: if a record contains an item's
  g-gram, it contains each of the g - m + 1 item m-grams inside it, one of which starts at a
  multiple of stride = g - m + 1. So checking the record's m-grams (m <= 10) at those
  positions only can miss no hit; records it flags get the exact scan.
- the rejection runs in C (zip over slices, set.isdisjoint); Python loops only run on records
  that share a probe gram with some item.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from synth_assets.decontam.items import BenchmarkItem, items_fingerprint, sorted_unique
from synth_assets.text.normalize import normalized_token_bytes

# Part of the fingerprint: change it whenever normalization or gram construction changes.
ALGORITHM = "ngram-v1"
# Probe grams this long are rare enough in ordinary text that few records need the exact scan.
_MAX_PROBE_LENGTH = 10


@dataclass(frozen=True)
class NgramHit:
    benchmark: str
    item_id: str
    matched_ngram: str  # the first gram of the record that matched this item, normalized
    matched_count: int  # distinct grams of the record that matched this item
    item_ngram_count: int  # distinct grams of the item, so overlap can be shown as a fraction


class NgramIndex:
    """Lookup from gram keys to benchmark items; build it with NgramIndex.build."""

    def __init__(
        self,
        n: int,
        items: tuple[BenchmarkItem, ...],
        lookup: dict[int, list[int]],
        gram_sizes: tuple[int, ...],
        probe_keys: set[int],
        item_ngram_counts: tuple[int, ...],
        fingerprint: str,
        tokenize: Callable[[str], list[bytes]],
    ) -> None:
        self.n = n
        self.tokenize = tokenize
        self.items = items
        self.fingerprint = fingerprint
        self._lookup = lookup  # gram key -> indices into items
        self._gram_sizes = gram_sizes  # n, plus the length of every item shorter than n
        self._probes = tuple((_probe_length(size), _probe_stride(size)) for size in gram_sizes)
        self._probe_keys = probe_keys
        self._item_ngram_counts = item_ngram_counts

    @classmethod
    def build(
        cls,
        items: Iterable[BenchmarkItem],
        n: int = 13,
        tokenize: Callable[[str], list[bytes]] = normalized_token_bytes,
    ) -> "NgramIndex":
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        ordered = sorted_unique(items)
        lookup: dict[int, list[int]] = {}
        gram_sizes = {n}
        probe_keys: set[int] = set()
        counts = []
        for index, item in enumerate(ordered):
            tokens = tokenize(item.text)
            if not tokens:
                raise ValueError(
                    f"benchmark item {item.benchmark} {item.item_id!r} has no tokens to match"
                )
            size = min(n, len(tokens))
            gram_sizes.add(size)
            keys = set(map(hash, grams(tokens, size)))
            counts.append(len(keys))
            for key in keys:
                lookup.setdefault(key, []).append(index)
            probe_keys.update(map(hash, grams(tokens, _probe_length(size))))
        return cls(
            n=n,
            items=ordered,
            lookup=lookup,
            gram_sizes=tuple(sorted(gram_sizes, reverse=True)),
            probe_keys=probe_keys,
            item_ngram_counts=tuple(counts),
            fingerprint=items_fingerprint(ordered, ALGORITHM, n, tokenize.__name__),
            tokenize=tokenize,
        )

    def find_hits(self, text: str) -> list[NgramHit]:
        """Every item sharing at least one gram with text, in order of first match in text."""
        return self.find_hits_in_tokens(self.tokenize(text))

    def find_hits_in_tokens(self, tokens: list[bytes]) -> list[NgramHit]:
        """find_hits for text already cut into tokens by self.tokenize."""
        probe_keys = self._probe_keys
        for length, stride in self._probes:
            # grams(tokens, length, stride), inline: this runs once per text scanned.
            probe = zip(*[tokens[offset::stride] for offset in range(length)], strict=False)
            if not probe_keys.isdisjoint(map(hash, probe)):
                return self._collect_hits(tokens)
        return []

    def _collect_hits(self, tokens: list[bytes]) -> list[NgramHit]:
        first: dict[int, tuple[int, int]] = {}  # item index -> (position, size) of first match
        matched: dict[int, set[int]] = {}  # item index -> distinct matched gram keys
        for size in self._gram_sizes:
            for position, gram in enumerate(grams(tokens, size)):
                key = hash(gram)
                for index in self._lookup.get(key, ()):
                    first.setdefault(index, (position, size))
                    matched.setdefault(index, set()).add(key)
        hits = []
        for index in sorted(first, key=lambda index: (first[index][0], index)):
            position, size = first[index]
            item = self.items[index]
            hits.append(
                NgramHit(
                    benchmark=item.benchmark,
                    item_id=item.item_id,
                    matched_ngram=b" ".join(tokens[position : position + size]).decode(),
                    matched_count=len(matched[index]),
                    item_ngram_count=self._item_ngram_counts[index],
                )
            )
        return hits

    def __reduce__(self) -> tuple:
        # The keys are only valid in this process (salted hash); rebuild anywhere else.
        return (NgramIndex.build, (self.items, self.n, self.tokenize))


def grams(tokens: Sequence[bytes], length: int, stride: int = 1) -> Iterator[tuple[bytes, ...]]:
    """The length-grams of tokens starting at positions 0, stride, 2 * stride, ..."""
    return zip(*(tokens[offset::stride] for offset in range(length)), strict=False)


def _probe_length(size: int) -> int:
    return min(size, _MAX_PROBE_LENGTH)


def _probe_stride(size: int) -> int:
    return size - _probe_length(size) + 1
