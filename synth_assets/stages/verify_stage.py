"""verified_subsets: judge every generation with its recipe's verifiers into the verdict ledger
(once per verifier version), select the generations whose current verdicts meet the spec's
thresholds (the admission rule, synth_assets/verify/admission.py), and drop exact and near
duplicates of earlier verified records. Next-round seeds, `synth why` and `synth verify` reach
the same rule through the functions here."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from synth_assets.lineage.ids import content_id, string_content_id
from synth_assets.lineage.stages import VERIFIED_SUBSETS
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.records import optional_text, record_fields
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import VerifierSpec
from synth_assets.stages.judge_calls import ask_judge
from synth_assets.stages.partitions import UNPARTITIONED
from synth_assets.verify import Candidate, Verdict, Verifier, build_verifier, verify_all
from synth_assets.verify.admission import rejections
from synth_assets.verify.base import may_need_siblings, needs_siblings
from synth_assets.verify.dedup import DedupSettings, find_duplicates
from synth_assets.verify.llm_judge import LlmJudgeVerifier

STAGE = VERIFIED_SUBSETS
DEDUP = "dedup"  # the name rejections by deduplication go under, beside the verifiers'
REJECTION_COLUMNS = ["generation_id", "recipe", "verifier", "reason"]


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
    # One row per (generation, verifier that rejected it): generation_id, recipe, verifier,
    # reason; verifier is DEDUP for an admitted generation dropped as a duplicate.
    rejections: pd.DataFrame = field(default_factory=pd.DataFrame)


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


def min_scores(loaded: LoadedSpec) -> dict[str, float | None]:
    """Spec verifier name -> its admission threshold (None: the verdict's own pass)."""
    return {name: verifier.min_score for name, verifier in loaded.spec.verifiers.items()}


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
        return self._ids(store, generation_ids, recipes, seed_payloads, keep_missing=False)

    def by_verifier(self, store: LineageStore, generation_ids: list[str], recipes: list[str],
                    seed_payloads: list[str]) -> list[list[tuple[str, str | None]]]:
        """Per generation, (verifier, id of its current verdict) for every verifier of its
        recipe; the id is None when no stored verdict compared its samples."""
        ids = self._ids(store, generation_ids, recipes, seed_payloads, keep_missing=True)
        return [[(name, verdict) for (name, _, _), verdict in zip(self._verifiers[recipe], row,
                                                                  strict=True)]
                for recipe, row in zip(recipes, ids, strict=True)]

    def _ids(self, store: LineageStore, generation_ids: list[str], recipes: list[str],
             seed_payloads: list[str], keep_missing: bool) -> list[list]:
        """`of`, with None in place of a missing compared-samples verdict if `keep_missing`
        (the contamination stage calls `of` per record: this loop is kept lean)."""
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
                    ids += [found] if found is not None or keep_missing else []
                else:
                    ids.append(verdict_id(generation_id, name, version))
            admitting.append(ids)
        return admitting


def admitted_generations(store: LineageStore, loaded: LoadedSpec, generations: pd.DataFrame
                         ) -> set[str]:
    """Those of `generations` (generation_id, recipe, seed_payload) the admission rule admits
    now: every current verdict admits it and, when deduplication is on, verified_subsets did
    not drop it as a duplicate. What next-round seeds are drawn from."""
    return {gid for gid, reasons in rejections_now(store, loaded, generations).items()
            if not reasons}


def rejections_now(store: LineageStore, loaded: LoadedSpec, generations: pd.DataFrame
                   ) -> dict[str, dict[str, str]]:
    """Per generation (generation_id, recipe, seed_payload), verifier -> why it rejects the
    generation under the current spec; DEDUP when verified_subsets dropped it as a duplicate
    (and deduplication is on). Empty: admitted."""
    generation_ids = generations["generation_id"].tolist()
    current = AdmittingVerdicts(loaded).by_verifier(
        store, generation_ids, generations["recipe"].tolist(),
        generations["seed_payload"].tolist())
    stored = stored_verdicts(store, generation_ids)
    duplicates = store.query_with_ids("duplicates_among", generation_ids) \
        if loaded.spec.dedup.enabled else pd.DataFrame(columns=["generation_id", "kept_id"])
    kept = dict(zip(duplicates["generation_id"], duplicates["kept_id"], strict=True))
    thresholds = min_scores(loaded)
    found = {}
    for gid, verdict_ids in zip(generation_ids, current, strict=True):
        reasons = rejections({name: stored.get(vid) for name, vid in verdict_ids}, thresholds)
        if gid in kept:
            reasons[DEDUP] = _duplicate_reason(kept[gid])
        found[gid] = reasons
    return found


def _duplicate_reason(kept_id: str) -> str:
    return f"duplicate of the earlier verified record {kept_id}"


def stored_verdicts(store: LineageStore, generation_ids: list[str]) -> dict[str, Verdict]:
    """Verdict id -> the stored verdict, for every verdict of the generations."""
    rows = store.query_with_ids("verdicts_for_generations", generation_ids)
    return {row.verdict_id: Verdict(bool(row.passed), float(row.score), row.reason,
                                    row.evidence, float(row.duration_s))
            for row in rows.itertuples()}


def build_candidate(text: str, seed_payload: str | dict, fields: str | dict | None,
                    parse_error: str | None, siblings: tuple[str, ...],
                    prompt_messages: str | list[dict], attributes: str | dict | None
                    ) -> Candidate:
    """What a verifier judges: the raw answer, the seed overlaid by the record's fields, the
    parser's complaint, the other samples of its prompt, the user message it answered and the
    prompt's attributes. The verify stage and `synth verify` both build candidates here."""
    messages = json.loads(prompt_messages) if isinstance(prompt_messages, str) \
        else prompt_messages
    own_attributes = json.loads(attributes) if isinstance(attributes, str) else attributes
    return Candidate(text=text, seed=record_fields(seed_payload, fields),
                     parse_error=optional_text(parse_error), siblings=siblings,
                     prompt=_user_message(messages), attributes=own_attributes or {})


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
        candidate = build_candidate(row.text, row.seed_payload, row.fields, row.parse_error,
                                    sibling_texts[(row.recipe, row.seed_id)],
                                    row.prompt_messages, optional_text(row.prompt_attributes))
        for name in loaded.spec.recipes[row.recipe].verifiers:
            verifier, version = verifiers[name]
            siblings = sibling_ids[(row.recipe, row.seed_id)] \
                if needs_siblings(verifier, candidate.seed) else ()
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

    stored = stored_verdicts(store, ids)
    current: dict[str, dict[str, Verdict | None]] = {gid: {} for gid in ids}
    for j in plan:
        current[j.generation_id][j.verifier] = stored.get(j.verdict_id)
    thresholds = min_scores(loaded)
    rejected = {gid: rejections(verdicts, thresholds) for gid, verdicts in current.items()}
    admitted = [gid for gid in ids if not rejected[gid]]

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
        per_verifier=_per_verifier(current, rejected),
        rejections=_rejections(generations, rejected, duplicates),
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
        judged = judge_candidates(store, loaded, verifier, [j.candidate for j in batch], log)
        made = [(j, verdict, call_id) for j, (verdict, call_id) in zip(batch, judged, strict=True)
                if verdict is not None]
        judge_failures += len(batch) - len(made)
        newly_run[name] = len(made)
        rows = [_verdict_row(j, version, verdict) for j, verdict, _ in made]
        edges = [(j.verdict_id, j.generation_id, "judges") for j, _, _ in made]
        edges += [(j.verdict_id, call_id, "judged_by") for j, _, call_id in made if call_id]
        with store.writer() as writer:
            writer.insert_new("verdicts", rows)
            writer.link(edges)
    return newly_run, judge_failures


def judge_candidates(store: LineageStore, loaded: LoadedSpec, verifier: Verifier,
                     candidates: list[Candidate], log: Callable[[str], None]
                     ) -> list[tuple[Verdict | None, str | None]]:
    """(verdict, id of the judge call) per candidate, in order. An LLM judge is asked through
    the teacher path (cached in `store`); its verdict is None when the call failed. Other
    verifiers make no call (the id is None)."""
    if isinstance(verifier, LlmJudgeVerifier):
        answers = ask_judge(store, loaded, verifier, candidates, log)
        return [(None if a.text is None else verifier.verdict(a.text, a.latency_s), a.call_id)
                for a in answers]
    return [(verdict, None) for verdict in verify_all(verifier, candidates)]


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
    before = store.query_frame("previously_verified_generations", verified_stage=STAGE)
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


def _user_message(messages: str | list[dict]) -> str:
    messages = json.loads(messages) if isinstance(messages, str) else messages
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


def _per_verifier(current: dict[str, dict[str, Verdict | None]],
                  rejected: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Per verifier: generations judged, admitted and rejected under the admission rule (a
    missing verdict rejects), mean score and time of the verdicts there are."""
    rows = [{"verifier": name, "generation_id": gid,
             "admitted": name not in rejected[gid],
             "score": None if verdict is None else verdict.score,
             "duration_s": None if verdict is None else verdict.duration_s}
            for gid, verdicts in current.items() for name, verdict in verdicts.items()]
    columns = ["verifier", "judged", "admitted", "rejected", "mean_score", "mean_duration_s",
               "pass_rate"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows).astype({"score": float, "duration_s": float})
    per_verifier = (
        frame.groupby("verifier")
        .agg(judged=("generation_id", "size"), admitted=("admitted", "sum"),
             mean_score=("score", "mean"), mean_duration_s=("duration_s", "mean"))
        .reset_index()
    )
    per_verifier["rejected"] = per_verifier["judged"] - per_verifier["admitted"]
    per_verifier["pass_rate"] = per_verifier["admitted"] / per_verifier["judged"]
    return per_verifier[columns]


def _rejections(generations: pd.DataFrame, rejected: dict[str, dict[str, str]],
                duplicates: dict[str, str]) -> pd.DataFrame:
    recipe_of = dict(zip(generations["generation_id"], generations["recipe"], strict=True))
    rows = [{"generation_id": gid, "recipe": recipe_of[gid], "verifier": name, "reason": reason}
            for gid, reasons in rejected.items() for name, reason in sorted(reasons.items())]
    rows += [{"generation_id": gid, "recipe": recipe_of[gid], "verifier": DEDUP,
              "reason": _duplicate_reason(kept)}
             for gid, kept in duplicates.items()]
    return pd.DataFrame(rows, columns=REJECTION_COLUMNS)
