"""`synth diff` on a preference set: which pairs entered or left between two materializations,
and why. A pair is absent from a materialization because it was forgotten, because its rejected
answer hit a benchmark there, because the source's count cut it, because the set's settings
differ, or because one of its sides stands differently there: a new generation, a verdict or a
verifier setting that changed, contamination found; failing all of those, the seeded choice
paired the prompt's samples differently (another sample, or a changed seed or margin)."""

import json
from dataclasses import dataclass
from typing import Any

from synth_assets.lineage.store import LineageStore
from synth_assets.mix.explain import ExplainError, format_changes
from synth_assets.mix.preferences import SQL


@dataclass(frozen=True)
class PreferenceMaterialization:
    row: dict[str, Any]

    @property
    def id(self) -> str:
        return self.row["materialization_id"]

    @property
    def preference_set(self) -> str:
        return self.row["preference_set"]

    @property
    def settings(self) -> dict[str, Any]:
        return json.loads(self.row["settings"])

    def describe(self) -> str:
        return (f"{self.id} ({self.row['created_at']:%Y-%m-%d %H:%M:%S}, run "
                f"{self.row['first_run_id']}, snapshot {self.row['pairs_snapshot_id']})")


def preference_materializations(store: LineageStore, name: str
                                ) -> list[PreferenceMaterialization]:
    with store.writer() as writer:
        return [PreferenceMaterialization(row) for row in writer.fetch(
            SQL, "preference_materializations_of", preference_set=name)]


def find_preference_materialization(store: LineageStore, id_: str) -> PreferenceMaterialization:
    with store.writer() as writer:
        rows = writer.fetch(SQL, "preference_materialization", id=id_)
    if not rows:
        raise ExplainError(f"no preference set materialization or snapshot {id_!r} in "
                           f"{store.path}")
    return PreferenceMaterialization(rows[0])


@dataclass(frozen=True)
class PairChange:
    change: str            # added | removed
    pair_id: str
    source: str | None     # None: the pair was forgotten
    reason: str            # forgotten | rejected side contaminated | count | ...
    detail: str


def diff_preference_sets(store: LineageStore, before: PreferenceMaterialization,
                         after: PreferenceMaterialization) -> list[PairChange]:
    with store.writer() as writer:
        rows = writer.fetch(SQL, "preference_snapshot_changes",
                            from_snapshot=before.row["pairs_snapshot_id"],
                            to_snapshot=after.row["pairs_snapshot_id"])
        sides = sorted({row[side] for row in rows if row["source"] is not None
                        for side in ("chosen_id", "rejected_id")})
        writer.register("wanted_ids", [{"record_id": row["pair_id"]} for row in rows],
                        ["record_id"])
        writer.register("wanted_sides", [{"record_id": side} for side in sides], ["record_id"])
        held = {mat.id: {snapshot: {r["record_id"] for r in writer.fetch(
                    SQL, "snapshot_holds", snapshot_id=mat.row[f"{snapshot}_snapshot_id"])}
                         for snapshot in ("candidates", "contaminated")}
                for mat in (before, after)}
        cleared = {mat.id: {r["generation_id"] for r in writer.fetch(
                       SQL, "cleared_sides", clean_snapshot_id=mat.row["clean_snapshot_id"])}
                   for mat in (before, after)}
        writer.register("wanted_prompts", [{"record_id": p} for p in
                                           sorted({row["prompt_id"] for row in rows
                                                   if row["prompt_id"] is not None})],
                        ["record_id"])
        prompt_pairs = {mat.id: writer.fetch(SQL, "pairs_of_prompts",
                                             snapshot_id=mat.row["pairs_snapshot_id"])
                        for mat in (before, after)}
        fingerprints = {mat.id: [r["index_fingerprint"] for r in writer.fetch(
                            "mixtures.sql", "clean_snapshot_index_fingerprints",
                            clean_snapshot_id=mat.row["clean_snapshot_id"])]
                        for mat in (before, after)}
    status = {mat.id: _side_status(store, mat, sides, fingerprints[mat.id], cleared[mat.id])
              for mat in (before, after)}
    changes = []
    for row in rows:
        out = after if row["change"] == "removed" else before
        reason, detail = _reason(row, out, before, after, held[out.id], status[out.id],
                                 prompt_pairs[out.id])
        changes.append(PairChange(row["change"], row["pair_id"], row["source"], reason, detail))
    return changes


def _side_status(store: LineageStore, mat: PreferenceMaterialization, record_ids: list[str],
                 fingerprints: list[str], cleared: set[str]) -> dict[str, dict[str, Any]]:
    """Where each side stands in the materialization: judged by its run, contamination hits
    against its benchmark index, verdicts its verifier versions and thresholds reject (the
    mixtures' `source_status`, sql/queries.sql), and whether that run's clean snapshot holds it."""
    verifiers = {v: setting for recipe in mat.settings["recipe_verifiers"].values()
                 for v, setting in recipe.items()}
    rows = store.query_rows(
        "source_status",
        {"wanted_ids": {"record_id": record_ids},
         "verifier_versions": {
             "verifier": list(verifiers),
             "version": [v["version"] for v in verifiers.values()],
             "min_score": [None if v["min_score"] is None else str(v["min_score"])
                           for v in verifiers.values()]}},
        judged_snapshot_id=mat.row["judged_snapshot_id"], pool_snapshot_id="",
        mixture_snapshot_id="", index_fingerprints=fingerprints)
    for row in rows:
        row["cleared"] = row["source_id"] in cleared
    return {row["source_id"]: row for row in rows}


def _reason(row: dict[str, Any], out: PreferenceMaterialization,
            before: PreferenceMaterialization, after: PreferenceMaterialization,
            held: dict[str, set[str]], status: dict[str, dict[str, Any]],
            prompt_pairs: list[dict[str, Any]]) -> tuple[str, str]:
    """Why the pair is missing from `out`, the materialization that does not hold it."""
    if row["source"] is None:
        return "forgotten", "the pair was deleted by a data-removal request"
    removed = row["change"] == "removed"
    if row["pair_id"] in held["contaminated"]:
        return ("rejected side contaminated",
                f"the rejected answer {row['rejected_id']} hits a benchmark under "
                f"{'the new' if removed else 'the earlier'} scan")
    source = row["source"]
    wanted = out.settings["preference_set"][f"{source}_pairs"]
    if wanted is None:
        return "settings changed", f"the set has no {source} pairs at {out.id}"
    if row["pair_id"] in held["candidates"]:
        return "count", (f"formed, but not among the first {wanted['count']} {source} pairs "
                         f"in seeded order (seed {out.settings['preference_set']['seed']})")
    for side in ("chosen", "rejected"):
        found = _side_reason(side, source, status.get(row[f"{side}_id"]), out, before, after)
        if found:
            return found
    changed = [key for key in ("seed", f"{source}_pairs")
               if before.settings["preference_set"][key] != after.settings["preference_set"][key]]
    if changed:
        return "settings changed", "; ".join(
            f"{key} {json.dumps(before.settings['preference_set'][key])} -> "
            f"{json.dumps(after.settings['preference_set'][key])}" for key in changed)
    instead = [f"{p['chosen_id']} against {p['rejected_id']} ({p['pair_id']})"
               for p in prompt_pairs
               if p["prompt_id"] == row["prompt_id"] and p["source"] == source]
    return "pairing changed", (
        f"both sides stand as they did; the seeded choice for prompt {row['prompt_id']} "
        f"{'now' if removed else 'then'} pairs " + ("; ".join(instead) or "nothing")
        + " (another sample of the prompt was made, judged or re-judged)")


def _side_reason(side: str, source: str, status: dict[str, Any] | None,
                 out: PreferenceMaterialization, before: PreferenceMaterialization,
                 after: PreferenceMaterialization) -> tuple[str, str] | None:
    """Why this side keeps the pair out of `out`, if it does. A revision's rejected side is the
    seed's draft, which only forgetting changes."""
    if side == "rejected" and source == "revision":
        return None
    if status is None or status["source_kind"] is None:
        return "forgotten", f"its {side} side was removed by a data-removal request"
    record = status["source_id"]
    if not status["judged"]:
        if status["created_at"] > out.row["created_at"]:
            return "new generation", f"its {side} side {record} did not exist at {out.id}"
        return "not judged", f"its {side} side {record} was not judged by the run of {out.id}"
    if status["contamination_hits"]:
        return f"{side} side contaminated", status["contamination_hits"]
    rejects = status["failed_verdicts"]
    if side == "chosen":
        if rejects:
            return _verdict_reason(side, status, before, after), f"at {out.id}: {rejects}"
        if status["duplicate_of"]:
            return "chosen side duplicate", (f"at {out.id} {record} duplicates the earlier "
                                             f"verified record {status['duplicate_of']}")
        if not status["cleared"]:
            return "chosen side not cleared", (f"contamination_reports did not clear {record} "
                                               f"in the run of {out.id} (a quarantined seed, "
                                               "or not scanned)")
    if side == "rejected" and source == "verifier" and not rejects:
        return (_verdict_reason(side, status, before, after),
                f"at {out.id} every verifier admits {record}: no longer a negative")
    return None


def _verdict_reason(side: str, status: dict[str, Any], before: PreferenceMaterialization,
                    after: PreferenceMaterialization) -> str:
    recipe = status["source_name"]
    was, now = (mat.settings["recipe_verifiers"].get(recipe) for mat in (before, after))
    return f"{side} side {'verifier settings' if was != now else 'verdict'} changed"


def format_preference_diff(before: PreferenceMaterialization,
                           after: PreferenceMaterialization, changes: list[PairChange],
                           limit: int | None = 20) -> str:
    return format_changes(
        [f"preference set {after.preference_set}", f"  from {before.describe()}",
         f"  to   {after.describe()}"],
        [(c.change, c.reason, c.pair_id + (f" [{c.source}]" if c.source else ""), c.detail)
         for c in changes], limit)
