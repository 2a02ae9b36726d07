"""How much of each component (and of each domain within it) a mixture takes.

Quantities are apportioned by largest remainder, so every component gets its exact share
rounded down or up (within one record); the real components round up as a group, so rounding
never takes the mixture below its real-data floor."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from synth_assets.spec.model import ComponentSpec, MixtureSpec

ALL_DOMAINS = "*"


class MixtureError(ValueError):
    pass


@dataclass(frozen=True)
class Stratum:
    """What the pool offers one component in one domain (or in all, when not stratified)."""

    component: str
    stratum: str
    records: int
    tokens: int


@dataclass(frozen=True)
class Quota:
    component: str
    stratum: str
    unit: Literal["records", "tokens"]
    amount: int


def plan_quotas(mixture_name: str, mixture: MixtureSpec, strata: Sequence[Stratum]) -> list[Quota]:
    """Per (component, stratum): how many records (or tokens) to take."""
    available = {name: _Pool(name, [s for s in strata if s.component == name])
                 for name in mixture.components}
    if mixture.unit == "ratio":
        totals = _ratio_totals(mixture_name, mixture, available)
    else:
        totals = {name: int(component.amount) for name, component in mixture.components.items()}
    unit: Literal["records", "tokens"] = "tokens" if mixture.unit == "tokens" else "records"
    quotas = []
    for name, amount in totals.items():
        pool = available[name]
        if amount > pool.offered(unit):
            raise MixtureError(
                f"mixture {mixture_name!r} component {name!r} needs {amount} {unit} but only "
                f"{pool.offered(unit)} are available from {mixture.components[name].sources}"
            )
        shares = {s.stratum: (s.tokens if unit == "tokens" else s.records) for s in pool.strata}
        for stratum, quota in apportion(amount, shares).items():
            quotas.append(Quota(name, stratum, unit, quota))
    return quotas


@dataclass(frozen=True)
class _Pool:
    component: str
    strata: list[Stratum]

    def offered(self, unit: str) -> int:
        return sum(s.tokens if unit == "tokens" else s.records for s in self.strata)


def _ratio_totals(
    mixture_name: str, mixture: MixtureSpec, available: dict[str, _Pool]
) -> dict[str, int]:
    if mixture.size is not None:
        return _split_by_ratio(mixture.size, mixture.components)
    # The largest mixture whose every component fits its pool.
    size = min(
        (math.floor(available[name].offered("records") / component.amount + 1e-9)
         for name, component in mixture.components.items() if component.amount > 0),
        default=0,
    )
    while size > 0:
        counts = _split_by_ratio(size, mixture.components)
        if all(counts[name] <= available[name].offered("records") for name in counts):
            return counts
        size -= 1
    raise MixtureError(f"mixture {mixture_name!r} is empty: some component with a ratio above 0 "
                       "has no records available")


def _split_by_ratio(size: int, components: dict[str, ComponentSpec]) -> dict[str, int]:
    exact = {name: size * component.amount for name, component in components.items()}
    real = {name: q for name, q in exact.items() if components[name].kind == "real"}
    synthetic = {name: q for name, q in exact.items() if components[name].kind == "synthetic"}
    real_total = math.ceil(sum(real.values()) - 1e-9) if real else 0
    return {**round_shares(real_total, real), **round_shares(size - real_total, synthetic)}


def apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split `total` in proportion to `weights`, each part its exact share rounded down or up."""
    weight_sum = sum(weights.values())
    if weight_sum <= 0:
        return dict.fromkeys(weights, 0)
    return round_shares(total, {name: total * w / weight_sum for name, w in weights.items()})


def round_shares(total: int, exact: dict[str, float]) -> dict[str, int]:
    """Whole parts adding up to `total` (which is within one of the exact shares' sum): each
    exact share rounded down, the rest handed out by largest remainder (ties: name order)."""
    parts = {name: math.floor(share + 1e-9) for name, share in exact.items()}
    leftover = total - sum(parts.values())
    by_remainder = sorted(exact, key=lambda name: (-(exact[name] - parts[name]), name))
    for name in by_remainder[:leftover]:
        parts[name] += 1
    return parts
