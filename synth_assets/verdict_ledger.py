"""The verdict ledger read under the current spec: each verifier's current version, which
stored verdicts are current, and whether they admit a generation now (the admission rule of
synth_assets/verify/admission.py, plus deduplication). The verify stage writes the ledger;
it, next-round seeds, the contamination stage, mixtures, preference pairs, `synth why` and
`synth verify` read it here."""

import json

import pandas as pd

from synth_assets.lineage.ids import content_id, string_content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec
from synth_assets.verify import Verdict, Verifier, build_verifier
from synth_assets.verify.admission import rejections
from synth_assets.verify.base import may_need_siblings, needs_siblings

DEDUP = "dedup"  # the name rejections by deduplication go under, beside the verifiers'


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
        verifiers[name] = (verifier, verifier.stored_version(spec.verifiers[name].options,
                                                             spec.teachers))
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
            reasons[DEDUP] = duplicate_reason(kept[gid])
        found[gid] = reasons
    return found


def duplicate_reason(kept_id: str) -> str:
    return f"duplicate of the earlier verified record {kept_id}"


def stored_verdicts(store: LineageStore, generation_ids: list[str]) -> dict[str, Verdict]:
    """Verdict id -> the stored verdict, for every verdict of the generations."""
    rows = store.query_with_ids("verdicts_for_generations", generation_ids)
    return {row.verdict_id: Verdict(bool(row.passed), float(row.score), row.reason,
                                    row.evidence, float(row.duration_s))
            for row in rows.itertuples()}
