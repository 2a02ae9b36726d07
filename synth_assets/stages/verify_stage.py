"""verified_subsets: judge every generation with its recipe's verifiers (once per verifier
version) and keep the generations that pass them all."""

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.records import optional_text, record_fields
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import VerifierSpec
from synth_assets.verify import Candidate, Verifier, build_verifier, verify_all

STAGE = "verified_subsets"


@dataclass
class VerifyStageResult:
    snapshot_id: str
    judged: int                      # generations in the input snapshot
    passed: int
    newly_run: dict[str, int] = field(default_factory=dict)      # verifier -> verdicts made now
    per_recipe: pd.DataFrame = field(default_factory=pd.DataFrame)
    per_verifier: pd.DataFrame = field(default_factory=pd.DataFrame)


def verifier_version(verifier: Verifier, spec: VerifierSpec) -> str:
    """The verifier's code version plus its options: changing either re-runs it."""
    return f"{verifier.version}+{content_id('opt', spec.options)[4:12]}"


def verdict_id(generation_id: str, verifier: str, version: str) -> str:
    return content_id("vrd", generation_id, verifier, version)


def current_verifiers(loaded: LoadedSpec) -> dict[str, tuple[Verifier, str]]:
    """Spec verifier name -> (verifier, version) for every verifier a recipe uses."""
    spec = loaded.spec
    used = {name for recipe in spec.recipes.values() for name in recipe.verifiers}
    verifiers = {}
    for name in sorted(used):
        verifier = build_verifier(spec.verifiers[name].type, spec.verifiers[name].options)
        verifiers[name] = (verifier, verifier_version(verifier, spec.verifiers[name]))
    return verifiers


def admitting_verdict_ids(loaded: LoadedSpec, generations: pd.DataFrame) -> dict[str, list[str]]:
    """generation_id -> ids of the verdicts (at current versions) that judge it."""
    verifiers = current_verifiers(loaded)
    return {
        row.generation_id: [
            verdict_id(row.generation_id, name, verifiers[name][1])
            for name in loaded.spec.recipes[row.recipe].verifiers
        ]
        for row in generations.itertuples()
    }


def run_verify_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    generation_snapshot_id: str,
    log: Callable[[str], None] = print,
) -> VerifyStageResult:
    spec = loaded.spec
    generations = store.query_frame("generations_in_snapshot", snapshot_id=generation_snapshot_id)
    ids = generations["generation_id"].tolist()
    stored_ids = set(store.query_with_ids("verdicts_for_generations", ids)["verdict_id"])
    verifiers = current_verifiers(loaded)

    newly_run: dict[str, int] = {}
    new_rows: list[dict] = []
    for name, (verifier, version) in verifiers.items():
        recipes = [r for r, recipe in spec.recipes.items() if name in recipe.verifiers]
        subject = generations[generations["recipe"].isin(recipes)]
        todo = subject[[verdict_id(gid, name, version) not in stored_ids
                        for gid in subject["generation_id"]]]
        if todo.empty:
            continue
        log(f"verifier {name} ({version}): judging {len(todo)} generations")
        candidates = [
            Candidate(text=row.text, seed=record_fields(row.seed_payload, row.fields),
                      parse_error=optional_text(row.parse_error))
            for row in todo.itertuples()
        ]
        verdicts = verify_all(verifier, candidates)
        newly_run[name] = len(verdicts)
        for generation_id, verdict in zip(todo["generation_id"], verdicts, strict=True):
            new_rows.append({
                "verdict_id": verdict_id(generation_id, name, version),
                "generation_id": generation_id,
                "verifier": name,
                "verifier_version": version,
                "passed": verdict.passed,
                "score": float(verdict.score),
                "reason": verdict.reason,
                "evidence": verdict.evidence,
                "duration_s": float(verdict.duration_s),
            })
    with store.writer() as writer:
        writer.insert_new("verdicts", new_rows)
        writer.link([(row["verdict_id"], row["generation_id"], "judges") for row in new_rows])

    wanted = {vid for vids in admitting_verdict_ids(loaded, generations).values() for vid in vids}
    verdicts = store.query_with_ids("verdicts_for_generations", ids)
    verdicts = verdicts[verdicts["verdict_id"].isin(wanted)]
    failed = set(verdicts.loc[~verdicts["passed"], "generation_id"])
    passed_ids = [gid for gid in ids if gid not in failed]
    with store.writer() as writer:
        snapshot_id = writer.record_snapshot(STAGE, "*", passed_ids)

    generations["passed"] = ~generations["generation_id"].isin(failed)
    per_recipe = (
        generations.groupby("recipe")
        .agg(judged=("generation_id", "size"), passed=("passed", "sum"))
        .reset_index()
    )
    per_recipe["pass_rate"] = per_recipe["passed"] / per_recipe["judged"]
    per_verifier = (
        verdicts.groupby("verifier")
        .agg(judged=("generation_id", "size"), passed=("passed", "sum"))
        .reset_index()
    )
    per_verifier["pass_rate"] = per_verifier["passed"] / per_verifier["judged"]
    return VerifyStageResult(
        snapshot_id=snapshot_id,
        judged=len(ids),
        passed=len(passed_ids),
        newly_run=newly_run,
        per_recipe=per_recipe,
        per_verifier=per_verifier,
    )
