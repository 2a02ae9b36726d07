"""Build a verifier from its kind and options, as declared in the pipeline spec."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from synth_assets.verify.adherence import (
    ConversationTurnsVerifier,
    EntitiesDiscussedVerifier,
    PersonaVerifier,
    RephraseStyleVerifier,
    RequiredWordsVerifier,
    StoryFeatureVerifier,
)
from synth_assets.verify.base import Verifier
from synth_assets.verify.computes import ProgramComputesVerifier
from synth_assets.verify.format import FormatVerifier
from synth_assets.verify.gopher_quality import GopherQualityVerifier
from synth_assets.verify.grounding import GroundingVerifier
from synth_assets.verify.instructions import EvolutionVerifier, SelfInstructTaskVerifier
from synth_assets.verify.json_schema import JsonSchemaVerifier
from synth_assets.verify.language import LanguageVerifier
from synth_assets.verify.length import LengthVerifier
from synth_assets.verify.llm_judge import LlmJudgeVerifier
from synth_assets.verify.math_answer import MathAnswerVerifier
from synth_assets.verify.preamble import PreambleVerifier
from synth_assets.verify.program_of_thought import ProgramOfThoughtVerifier
from synth_assets.verify.python_tests import PythonTestsVerifier
from synth_assets.verify.refusal import RefusalVerifier
from synth_assets.verify.repetition import RepetitionVerifier
from synth_assets.verify.revision import RevisionVerifier
from synth_assets.verify.truncation import TruncationVerifier
from synth_assets.verify.worked_solution import WorkedSolutionVerifier

VERIFIER_KINDS: dict[str, type[Verifier]] = {
    "math_answer": MathAnswerVerifier,
    "python_tests": PythonTestsVerifier,
    "length": LengthVerifier,
    "format": FormatVerifier,
    "program_of_thought": ProgramOfThoughtVerifier,
    "llm_judge": LlmJudgeVerifier,
    "refusal": RefusalVerifier,
    "language": LanguageVerifier,
    "json_schema": JsonSchemaVerifier,
    "preamble": PreambleVerifier,
    "truncation": TruncationVerifier,
    "repetition": RepetitionVerifier,
    "gopher_quality": GopherQualityVerifier,
    # recipe-specific: adherence to the prompt's attributes, grounding, rewrites
    "required_words": RequiredWordsVerifier,
    "story_feature": StoryFeatureVerifier,
    "persona": PersonaVerifier,
    "rephrase_style": RephraseStyleVerifier,
    "conversation_turns": ConversationTurnsVerifier,
    "entities_discussed": EntitiesDiscussedVerifier,
    "grounding": GroundingVerifier,
    "evolution": EvolutionVerifier,
    "self_instruct_task": SelfInstructTaskVerifier,
    "worked_solution": WorkedSolutionVerifier,
    "revision": RevisionVerifier,
    "program_computes": ProgramComputesVerifier,
}


def build_verifier(kind: str, options: Mapping[str, Any]) -> Verifier:
    """The verifier of that kind; ValueError naming an unknown kind, option or bad value."""
    if kind not in VERIFIER_KINDS:
        raise ValueError(
            f"unknown verifier kind {kind!r}; known kinds: {', '.join(sorted(VERIFIER_KINDS))}"
        )
    verifier_class = VERIFIER_KINDS[kind]
    known = sorted(field.name for field in dataclasses.fields(verifier_class))
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(map(repr, unknown))} for verifier {kind!r}; "
            f"known options: {', '.join(known)}"
        )
    return verifier_class(**options)
