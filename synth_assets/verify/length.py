"""Check that a response's stripped text is within a character budget."""

from __future__ import annotations

from dataclasses import dataclass

from synth_assets.verify.base import Candidate, Decision, Verifier


@dataclass(frozen=True)
class LengthVerifier(Verifier):
    min_chars: int = 1
    max_chars: int | None = None

    name = "length"
    version = "1"

    def __post_init__(self) -> None:
        if not isinstance(self.min_chars, int) or self.min_chars < 0:
            raise ValueError(f"length min_chars must be an int >= 0, got {self.min_chars!r}")
        if self.max_chars is not None and (
            not isinstance(self.max_chars, int) or self.max_chars < self.min_chars
        ):
            raise ValueError(
                f"length max_chars must be an int >= min_chars ({self.min_chars}), "
                f"got {self.max_chars!r}"
            )

    def decide(self, candidate: Candidate) -> Decision:
        chars = len(candidate.text.strip())
        evidence = f"chars={chars} min={self.min_chars} max={self.max_chars}"
        if chars < self.min_chars:
            return Decision(False, f"shorter than {self.min_chars} characters", evidence)
        if self.max_chars is not None and chars > self.max_chars:
            return Decision(False, f"longer than {self.max_chars} characters", evidence)
        return Decision(True, "length within bounds", evidence)
