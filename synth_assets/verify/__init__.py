"""Verifiers: decide whether a teacher response is good enough to keep, and say why."""

from synth_assets.verify.base import Candidate, Verdict, Verifier
from synth_assets.verify.parallel import verify_all
from synth_assets.verify.registry import build_verifier

__all__ = ["Candidate", "Verdict", "Verifier", "build_verifier", "verify_all"]
