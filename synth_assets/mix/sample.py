"""Deterministic mixture sampling: how many records of each kind, and which ones."""

import hashlib
from collections.abc import Sequence


class MixtureError(ValueError):
    pass


def plan_counts(
    synthetic_available: int, real_available: int, real_fraction: float, size: int | None
) -> tuple[int, int]:
    """(synthetic, real) counts meeting real_fraction as exactly as whole records allow.

    Without a size, all synthetic records are used and real ones added to reach the fraction;
    when either pool is too small the mixture shrinks rather than drifting from the ratio."""
    if not 0 <= real_fraction <= 1:
        raise MixtureError(f"real_fraction must be within [0, 1], got {real_fraction}")
    if size is None:
        size = synthetic_available + real_available
        if real_fraction < 1:
            size = min(size, _largest_total(synthetic_available, 1 - real_fraction))
        if real_fraction > 0:
            size = min(size, _largest_total(real_available, real_fraction))
    real = round(size * real_fraction)
    synthetic = size - real
    while synthetic > synthetic_available or real > real_available:
        size -= 1
        real = round(size * real_fraction)
        synthetic = size - real
    return synthetic, real


def _largest_total(available: int, share: float) -> int:
    """The largest total whose `share` needs no more than `available` records."""
    return int(available / share + 1e-9) if share > 0 else 0


def sample_ids(ids: Sequence[str], count: int, seed: int) -> list[str]:
    """`count` ids chosen by a seeded hash order: the same ids and seed give the same pick,
    and adding ids never reshuffles the ones already ranked ahead."""
    return sorted(ids, key=lambda record_id: rank_key(record_id, seed))[:count]


def rank_key(record_id: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{record_id}".encode()).hexdigest()
