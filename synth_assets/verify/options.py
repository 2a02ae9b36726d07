"""Checks of verifier options, raising the ValueError the spec loader reports with its line."""

from __future__ import annotations

from typing import Any


def require_fraction(verifier: str, option: str, value: Any, optional: bool = False) -> None:
    """A number in [0, 1]; None too when the option may be switched off."""
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        off = " or null (off)" if optional else ""
        raise ValueError(f"{verifier} {option} must be a number in [0, 1]{off}, got {value!r}")


def require_non_negative(verifier: str, option: str, value: Any) -> None:
    """A number >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{verifier} {option} must be a number >= 0, got {value!r}")


def require_count(verifier: str, option: str, value: Any) -> None:
    """An int >= 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{verifier} {option} must be an int >= 0, got {value!r}")


def fractions_by_n(verifier: str, option: str, value: Any) -> dict[int, float]:
    """A mapping of n-gram size (an int >= 1) to a fraction in [0, 1], with int keys. A key
    may be written as a decimal string: JSON has no other key type, and options reach a
    verifier through JSON too (the RL prompts' `verifiers` column, synth_assets.rewards)."""
    def size(n: Any) -> int | None:
        if isinstance(n, str) and n.isdecimal():
            n = int(n)
        return n if isinstance(n, int) and not isinstance(n, bool) and n >= 1 else None

    if not isinstance(value, dict) or any(size(n) is None for n in value):
        raise ValueError(f"{verifier} {option} must map n-gram sizes (ints >= 1) to fractions, "
                         f"got {value!r}")
    for n, fraction in value.items():
        require_fraction(verifier, f"{option}[{n}]", fraction)
    return {int(n): fraction for n, fraction in value.items()}


def require_names(verifier: str, **options: Any) -> None:
    """Each option a non-empty string: the name of a record field or prompt attribute."""
    for option, value in options.items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"{verifier} {option} must be a field or attribute name, "
                             f"got {value!r}")


def require_program_options(verifier: str, entry_point: Any, timeout_s: Any) -> None:
    """The function a sandboxed program is called by, and its time limit."""
    if not isinstance(entry_point, str) or not entry_point.isidentifier():
        raise ValueError(f"{verifier} entry_point must be a Python name, got {entry_point!r}")
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or timeout_s <= 0:
        raise ValueError(f"{verifier} timeout_s must be a number > 0, got {timeout_s!r}")
