"""verified_subsets: judge every generation with its recipe's verifiers into the verdict ledger
(once per verifier version), select the generations whose current verdicts meet the spec's
thresholds (the admission rule, synth_assets/verify/admission.py), and drop exact and near
duplicates of earlier verified records. Next-round seeds, `synth why` and `synth verify` reach
the same rule through synth_assets/verdict_ledger.py."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from synth_assets.lineage.stages import VERIFIED_SUBSETS
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.records import optional_text, record_fields
from synth_assets.spec import LoadedSpec
from synth_assets.stages.partitions import UNPARTITIONED
from synth_assets.teacher.judge import ask_judge
from synth_assets.verdict_ledger import (
    DEDUP,
    current_verifiers,
    duplicate_reason,
    min_scores,
    stored_verdicts,
    verdict_id,
)
from synth_assets.verify import Candidate, Verdict, Verifier, verify_all
from synth_assets.verify.admission import rejections
from synth_assets.verify.base import needs_siblings
from synth_assets.verify.dedup import DedupSettings, find_duplicates
from synth_assets.verify.llm_judge import LlmJudgeVerifier

STAGE = VERIFIED_SUBSETS
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
        answers = ask_judge(store, loaded, verifier.teacher,
                            [verifier.messages(candidate) for candidate in candidates],
                            verifier.max_tokens, log)
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
              "reason": duplicate_reason(kept)}
             for gid, kept in duplicates.items()]
    return pd.DataFrame(rows, columns=REJECTION_COLUMNS)
