"""Verifiable rewards for RL in TRL's reward-function convention, computed by the SAME verifiers
(sandbox included) that filtered the pipeline's data:

    from synth_assets.rewards import verifier_reward
    trainer = GRPOTrainer(model=..., reward_funcs=verifier_reward,
                          train_dataset=load_dataset("<export>/<set>/rl_prompts", split="train"))

The dataset is a preference set's `rl_prompts` export: its `verifiers` and `seed` columns reach
the function as keyword arguments, one value per completion. A completion earns 1.0 when every
verifier of its prompt admits it under the pipeline's admission rule, else 0.0;
`verifier_scores` gives the mean verifier score instead (a denser signal). Completions may be
plain strings or message lists (TRL's conversational format).
"""

import json
from functools import cache
from typing import Any

from synth_assets.verify.admission import verdict_admits
from synth_assets.verify.base import Candidate, Verdict, Verifier
from synth_assets.verify.registry import build_verifier

# Verifiers that call a model or compare samples cannot give a stand-alone reward.
UNSUPPORTED_KINDS = {"llm_judge"}


def verifier_reward(prompts: list[Any], completions: list[Any], verifiers: list[str],
                    seed: list[str], **_: Any) -> list[float]:
    """1.0 for a completion every verifier of its prompt admits, else 0.0."""
    return [1.0 if all(verdict_admits(verdict.passed, verdict.score, min_score)
                       for verdict, min_score in judged) else 0.0
            for judged in _judge_all(prompts, completions, verifiers, seed)]


def verifier_scores(prompts: list[Any], completions: list[Any], verifiers: list[str],
                    seed: list[str], **_: Any) -> list[float]:
    """The mean score (0..1) of the prompt's verifiers on each completion."""
    return [sum(verdict.score for verdict, _ in judged) / len(judged) if judged else 0.0
            for judged in _judge_all(prompts, completions, verifiers, seed)]


def _judge_all(prompts: list[Any], completions: list[Any], verifiers: list[str],
               seed: list[str]) -> list[list[tuple[Verdict, float | None]]]:
    if not len(prompts) == len(completions) == len(verifiers) == len(seed):
        raise ValueError(f"reward columns differ in length: {len(prompts)} prompts, "
                         f"{len(completions)} completions, {len(verifiers)} verifiers, "
                         f"{len(seed)} seeds")
    judged = []
    for prompt, completion, declared, payload in zip(prompts, completions, verifiers, seed,
                                                     strict=True):
        candidate = Candidate(text=_text(completion), seed=json.loads(payload),
                              prompt=_text(prompt))
        judged.append([(_verifier(entry["type"], json.dumps(entry["options"], sort_keys=True))
                        .verify(candidate), entry.get("min_score"))
                       for entry in json.loads(declared)])
    return judged


@cache
def _verifier(kind: str, options: str) -> Verifier:
    if kind in UNSUPPORTED_KINDS:
        raise ValueError(f"verifier kind {kind!r} calls a model: it cannot be an offline reward")
    return build_verifier(kind, json.loads(options))


def _text(message: Any) -> str:
    """A plain string, or the content of the last message of a conversational turn."""
    if isinstance(message, str):
        return message
    if isinstance(message, list) and message and isinstance(message[-1], dict):
        return str(message[-1].get("content", ""))
    raise ValueError(f"expected a string or a list of messages, got {type(message).__name__}")
