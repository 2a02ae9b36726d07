"""verified_subsets: judge every generation with its recipe's verifiers into the verdict ledger
(once per verifier version), select the generations whose current verdicts meet the spec's
thresholds, and drop exact and near duplicates of earlier verified records."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from synth_assets.lineage.ids import content_id, string_content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.records import optional_text, record_fields
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import VerifierSpec
from synth_assets.stages.judge_calls import ask_judge
from synth_assets.stages.partitions import UNPARTITIONED
from synth_assets.verify import Candidate, Verdict, Verifier, build_verifier, verify_all
from synth_assets.verify.base import may_need_siblings, needs_siblings
from synth_assets.verify.dedup import DedupSettings, find_duplicates
from synth_assets.verify.llm_judge import LlmJudgeVerifier

STAGE = "verified_subsets"


@dataclass
class VerifyStageResult:
    snapshot_id: str
    judged: int                      # generations in the input snapshot
    passed: int                      # admitted by every verifier and not a duplicate
    newly_run: dict[str, int] = field(default_factory=dict)      # verifier -> verdicts made now
    duplicates: int = 0              # admitted generations dropped as duplicates
    judge_failures: int = 0          # LLM-judge calls that failed (no verdict stored)
    per_recipe: pd.DataFrame = field(default_factory=pd.DataFrame)
    per_verifier: pd.DataFrame = field(default_factory=pd.DataFrame)


def verifier_version(verifier: Verifier, spec: VerifierSpec, loaded: LoadedSpec) -> str:
    """The verifier's code version plus its options (and, for a judge, its model settings):
    changing any of them re-runs that verifier. Thresholds (min_score) are not part of it."""
    inputs: list = [spec.options]
    if isinstance(verifier, LlmJudgeVerifier):
        inputs.append(loaded.spec.teachers[verifier.teacher].model_dump())
    return f"{verifier.version}+{content_id('opt', *inputs)[4:12]}"


def verdict_id(generation_id: str, verifier: str, version: str,
               sibling_ids: tuple[str, ...] = ()) -> str:
    """A verdict that compares samples (self-consistency) also depends on which samples."""
    if sibling_ids:
        return content_id("vrd", generation_id, verifier, version, list(sibling_ids))
    return string_content_id("vrd", generation_id, verifier, version)


def current_verifiers(loaded: LoadedSpec) -> dict[str, tuple[Verifier, str]]:
    """Spec verifier name -> (verifier, version) for every verifier a recipe uses."""
    spec = loaded.spec
    used = {name for recipe in spec.recipes.values() for name in recipe.verifiers}
    verifiers = {}
    for name in sorted(used):
        verifier = build_verifier(spec.verifiers[name].type, spec.verifiers[name].options)
        verifiers[name] = (verifier, verifier_version(verifier, spec.verifiers[name], loaded))
    return verifiers


class AdmittingVerdicts:
    """Which verdicts admit a generation now: those at the current verifier versions. Build it
    once per stage run (building the verifiers and their versions is the costly part)."""

    def __init__(self, loaded: LoadedSpec) -> None:
        verifiers = current_verifiers(loaded)
        self._verifiers = {name: [(spec_name, *verifiers[spec_name])
                                  for spec_name in recipe.verifiers]
                           for name, recipe in loaded.spec.recipes.items()}
        # Only verifiers that may compare samples need the seed and the stored verdicts.
        self._may_compare = {name for name, used in self._verifiers.items()
                             if any(may_need_siblings(verifier) for _, verifier, _ in used)}

    def of(self, store: LineageStore, generation_ids: list[str], recipes: list[str],
           seed_payloads: list[str]) -> list[list[str]]:
        """Per generation, the ids of its current verdicts. For a verdict that compared
        samples, the newest stored one: the sample set is not known here."""
        comparing = [gid for gid, recipe in zip(generation_ids, recipes, strict=True)
                     if recipe in self._may_compare]
        newest = pd.Series(dtype=object)
        if comparing:
            stored = store.query_with_ids("verdicts_for_generations", comparing)
            newest = (stored.sort_values("created_at")
                      .groupby(["generation_id", "verifier", "verifier_version"])["verdict_id"]
                      .last())
        admitting = []
        for generation_id, recipe, payload in zip(generation_ids, recipes, seed_payloads,
                                                  strict=True):
            seed = json.loads(payload) if recipe in self._may_compare else {}
            ids = []
            for name, verifier, version in self._verifiers[recipe]:
                if needs_siblings(verifier, seed):
                    found = newest.get((generation_id, name, version))
                    ids += [found] if found is not None else []
                else:
                    ids.append(verdict_id(generation_id, name, version))
            admitting.append(ids)
        return admitting


@dataclass(frozen=True)
class _Judgement:
    generation_id: str
    verifier: str
    verdict_id: str
    candidate: Candidate


def _plan(loaded: LoadedSpec, generations: pd.DataFrame) -> list[_Judgement]:
    """Every (generation, verifier) pair the spec asks for, with its current verdict id."""
    verifiers = current_verifiers(loaded)
    samples = generations.groupby(["recipe", "seed_id"], sort=False)
    sibling_ids = samples["generation_id"].agg(tuple).to_dict()
    sibling_texts = samples["text"].agg(tuple).to_dict()
    plan = []
    for row in generations.itertuples():
        seed = record_fields(row.seed_payload, row.fields)
        candidate = Candidate(text=row.text, seed=seed,
                              parse_error=optional_text(row.parse_error),
                              siblings=sibling_texts[(row.recipe, row.seed_id)],
                              prompt=_user_message(row.prompt_messages),
                              attributes=_attributes(row.prompt_attributes))
        for name in loaded.spec.recipes[row.recipe].verifiers:
            verifier, version = verifiers[name]
            siblings = sibling_ids[(row.recipe, row.seed_id)] if needs_siblings(verifier, seed) \
                else ()
            plan.append(_Judgement(row.generation_id, name,
                                   verdict_id(row.generation_id, name, version, siblings),
                                   candidate))
    return plan


def run_verify_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    generation_snapshot_id: str,
    log: Callable[[str], None] = print,
    partition_key: str = UNPARTITIONED,
) -> VerifyStageResult:
    """Verify one snapshot of generations; the result becomes what `partition_key` holds."""
    spec = loaded.spec
    generations = store.query_frame("generations_to_verify", snapshot_id=generation_snapshot_id)
    ids = generations["generation_id"].tolist()
    plan = _plan(loaded, generations)
    stored_ids = set(store.query_with_ids("verdicts_for_generations", ids)["verdict_id"])
    todo = [j for j in plan if j.verdict_id not in stored_ids]
    newly_run, judge_failures = _judge(store, loaded, todo, log)

    verdicts = store.query_with_ids("verdicts_for_generations", ids)
    verdicts = verdicts[verdicts["verdict_id"].isin({j.verdict_id for j in plan})].copy()
    min_scores = verdicts["verifier"].map(lambda name: spec.verifiers[name].min_score)
    verdicts["admits"] = [
        passed if min_score is None or pd.isna(min_score) else score >= min_score
        for passed, score, min_score in zip(verdicts["passed"], verdicts["score"], min_scores,
                                            strict=True)
    ]
    admitting = set(verdicts.loc[verdicts["admits"], "verdict_id"])
    # A generation without a current verdict (its judge call failed) is not admitted.
    rejected = {j.generation_id for j in plan if j.verdict_id not in admitting}
    admitted = [gid for gid in ids if gid not in rejected]

    duplicates = _duplicates(store, loaded, generations, admitted) if spec.dedup.enabled else {}
    passed_ids = [gid for gid in admitted if gid not in duplicates]
    with store.writer() as writer:
        writer.link([(dup, kept, "duplicate_of") for dup, kept in duplicates.items()])
        snapshot_id = writer.record_partition_snapshot(STAGE, partition_key, passed_ids)
    if duplicates:
        log(f"dropped {len(duplicates)} duplicates of earlier verified records")

    return VerifyStageResult(
        snapshot_id=snapshot_id,
        judged=len(ids),
        passed=len(passed_ids),
        newly_run=newly_run,
        duplicates=len(duplicates),
        judge_failures=judge_failures,
        per_recipe=_per_recipe(generations, set(passed_ids), set(duplicates)),
        per_verifier=_per_verifier(verdicts),
    )


def _judge(store: LineageStore, loaded: LoadedSpec, todo: list[_Judgement],
           log: Callable[[str], None]) -> tuple[dict[str, int], int]:
    """Make and store the missing verdicts; returns verdicts made per verifier and the number
    of failed judge calls."""
    verifiers = current_verifiers(loaded)
    newly_run: dict[str, int] = {}
    judge_failures = 0
    for name in sorted({j.verifier for j in todo}):
        verifier, version = verifiers[name]
        batch = [j for j in todo if j.verifier == name]
        log(f"verifier {name} ({version}): judging {len(batch)} generations")
        candidates = [j.candidate for j in batch]
        links: list[tuple[str, str, str]] = []
        if isinstance(verifier, LlmJudgeVerifier):
            answers = ask_judge(store, loaded, verifier, candidates, log)
            judged = [(j, verifier.verdict(a.text, a.latency_s), a.call_id)
                      for j, a in zip(batch, answers, strict=True) if a.text is not None]
            judge_failures += len(batch) - len(judged)
            links = [(j.verdict_id, call_id, "judged_by") for j, _, call_id in judged]
            made = [(j, verdict) for j, verdict, _ in judged]
        else:
            made = list(zip(batch, verify_all(verifier, candidates), strict=True))
        newly_run[name] = len(made)
        rows = [_verdict_row(j, version, verdict) for j, verdict in made]
        with store.writer() as writer:
            writer.insert_new("verdicts", rows)
            writer.link([(j.verdict_id, j.generation_id, "judges") for j, _ in made] + links)
    return newly_run, judge_failures


def _verdict_row(judgement: _Judgement, version: str, verdict: Verdict) -> dict:
    return {
        "verdict_id": judgement.verdict_id,
        "generation_id": judgement.generation_id,
        "verifier": judgement.verifier,
        "verifier_version": version,
        "passed": verdict.passed,
        "score": float(verdict.score),
        "reason": verdict.reason,
        "evidence": verdict.evidence,
        "duration_s": float(verdict.duration_s),
    }


def _duplicates(store: LineageStore, loaded: LoadedSpec, generations: pd.DataFrame,
                admitted: list[str]) -> dict[str, str]:
    """Admitted generation -> the earlier verified record it duplicates (exact or near)."""
    current = generations[generations["generation_id"].isin(admitted)]
    before = store.query_frame("previously_verified_generations")
    pool = pd.concat([before, current[before.columns]], ignore_index=True)
    pool = pool.drop_duplicates("generation_id").sort_values(
        ["created_at", "sample_index", "generation_id"]
    )
    settings = loaded.spec.dedup
    found = find_duplicates(
        ((row.generation_id, _user_message(row.prompt_messages) + "\n" + row.text)
         for row in pool.itertuples()),
        DedupSettings(threshold=settings.threshold, ngram=settings.ngram,
                      num_perm=settings.num_perm),
    )
    return {gid: found[gid].kept_id for gid in admitted if gid in found}


def _attributes(attributes_json: str | None) -> dict:
    """A prompt's sampled attributes; {} for a prompt stored without them."""
    own = optional_text(attributes_json)
    return json.loads(own) if own else {}


def _user_message(messages_json: str) -> str:
    messages = json.loads(messages_json)
    return next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")


def _per_recipe(generations: pd.DataFrame, passed: set[str], duplicates: set[str]
                ) -> pd.DataFrame:
    frame = generations.assign(passed=generations["generation_id"].isin(passed),
                               duplicate=generations["generation_id"].isin(duplicates))
    per_recipe = (
        frame.groupby("recipe")
        .agg(judged=("generation_id", "size"), passed=("passed", "sum"),
             duplicates=("duplicate", "sum"))
        .reset_index()
    )
    per_recipe["pass_rate"] = per_recipe["passed"] / per_recipe["judged"]
    return per_recipe


def _per_verifier(verdicts: pd.DataFrame) -> pd.DataFrame:
    per_verifier = (
        verdicts.groupby("verifier")
        .agg(judged=("generation_id", "size"), admitted=("admits", "sum"),
             mean_score=("score", "mean"), mean_duration_s=("duration_s", "mean"))
        .reset_index()
    )
    per_verifier["pass_rate"] = per_verifier["admitted"] / per_verifier["judged"]
    return per_verifier
