"""Why a record is or is not in a mixture, and what changed between two materializations of a
mixture and why: a new generation, a verdict or threshold change, contamination found, the
sampling step, or a data-removal request."""

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec
from synth_assets.stages.verify_stage import rejections_now


class ExplainError(LookupError):
    pass


@dataclass(frozen=True)
class Materialization:
    row: dict[str, Any]

    @property
    def id(self) -> str:
        return self.row["materialization_id"]

    @property
    def mixture(self) -> str:
        return self.row["mixture"]

    @property
    def settings(self) -> dict[str, Any]:
        return json.loads(self.row["settings"])

    @property
    def plan(self) -> dict[str, Any]:
        return json.loads(self.row["plan"])

    def describe(self) -> str:
        return (f"{self.id} ({self.row['created_at']:%Y-%m-%d %H:%M:%S}, run "
                f"{self.row['first_run_id']}, snapshot {self.row['mixture_snapshot_id']})")


def materializations(store: LineageStore, mixture: str) -> list[Materialization]:
    return [Materialization(row)
            for row in store.query_rows("mixture_materializations_of", mixture=mixture)]


def find_materialization(store: LineageStore, id_: str) -> Materialization:
    rows = store.query_rows("mixture_materialization", id=id_)
    if not rows:
        raise ExplainError(f"no mixture materialization or mixture snapshot {id_!r} in "
                           f"{store.path}")
    return Materialization(rows[0])


def source_status(store: LineageStore, mat: Materialization, source_ids: Sequence[str]
                  ) -> dict[str, dict[str, Any]]:
    """source id -> where it stands in the materialization (see `source_status` in
    synth_assets/sql/queries.sql), plus a `status` word."""
    settings = mat.settings
    verifiers = settings["verifiers"]
    rows = store.query_rows(
        "source_status",
        {"wanted_ids": {"record_id": list(source_ids)},
         "verifier_versions": {
             "verifier": list(verifiers),
             "version": [v["version"] for v in verifiers.values()],
             "min_score": [None if v.get("min_score") is None else str(v["min_score"])
                           for v in verifiers.values()]}},
        judged_snapshot_id=mat.row["judged_snapshot_id"],
        pool_snapshot_id=mat.row["pool_snapshot_id"],
        mixture_snapshot_id=mat.row["mixture_snapshot_id"],
        index_fingerprints=settings["index_fingerprints"],
    )
    components = settings["mixture"]["components"]
    member_of = {s: name for name, c in components.items()
                 for s in c["recipes"] + c["real_sources"]}
    for row in rows:
        row["component"] = member_of.get(row["source_name"])
        row["status"] = _status(row, mat)
    return {row["source_id"]: row for row in rows}


def _status(row: dict[str, Any], mat: Materialization) -> str:
    if row["source_kind"] is None:
        return "missing"
    if row["component"] is None:
        return "not_a_component"
    if row["mixture_record_id"] is not None:
        return "in_mixture"
    if row["in_pool"]:
        return "not_sampled"
    if row["contamination_hits"]:
        return "contaminated"
    if row["failed_verdicts"] or (row["judged"] and not row["duplicate_of"]):
        return "failed_verification"
    if row["judged"]:
        return "duplicate"
    if row["created_at"] > mat.row["created_at"]:
        return "not_yet_made"
    return "not_carried"


def status_sentence(store: LineageStore, mat: Materialization, row: dict[str, Any]) -> str:
    """One sentence on why the source is (or is not) in the mixture of this materialization."""
    status = row["status"]
    if status == "missing":
        return "its source record no longer exists (removed by synth forget)"
    if status == "not_a_component":
        return f"{row['source_name']} is not a source of any component of {mat.mixture}"
    if status in ("in_mixture", "not_sampled"):
        return _sampling_sentence(store, mat, row)
    if status == "contaminated":
        return f"contamination found: {row['contamination_hits']}"
    if status == "failed_verification":
        failed = row["failed_verdicts"] or ("a verifier of its recipe has no verdict at its "
                                            "current version (its LLM-judge call failed)")
        return f"failed verification: {failed}"
    if status == "duplicate":
        return (f"dropped by deduplication: it duplicates the earlier verified record "
                f"{row['duplicate_of']}")
    if status == "not_yet_made":
        return "it was generated after this materialization"
    return ("it was not judged by this run and was not carried over from earlier ones "
            "(accumulate is off, it has no passing verdict at the current verifier versions, "
            "or no scan against the current benchmarks cleared it)")


def _sampling_sentence(store: LineageStore, mat: Materialization, row: dict[str, Any]) -> str:
    settings = mat.settings
    mixture = settings["mixture"]
    component = mixture["components"][row["component"]]
    plan = mat.plan[row["component"]]
    stratum = "*"
    if mixture["stratify_by_domain"]:
        stratum = (settings["recipes"][row["source_name"]]["domain"]
                   if row["source_kind"] == "synthetic" else row["real_domain"])
    recipes = [r for r in component["recipes"]
               if stratum == "*" or settings["recipes"][r]["domain"] == stratum]
    rank = store.query_rows("pool_rank", pool_snapshot_id=mat.row["pool_snapshot_id"],
                       recipes=recipes, real_sources=component["real_sources"], domain=stratum,
                       seed=str(mixture["seed"]), source_id=row["source_id"])[0]["rank"]
    unit = "tokens" if plan["unit"] == "tokens" else "records"
    where = f"component {row['component']!r}" + (f", domain {stratum!r}" if stratum != "*" else "")
    quota = plan["quota"].get(stratum, 0)
    picked = "picked" if row["status"] == "in_mixture" else "not picked"
    return (f"{picked} by the sampling step: rank {rank} in the seeded order (seed "
            f"{mixture['seed']}) of {plan['available_records']} pool records of {where}; "
            f"the quota there is {quota} {unit}")


def verification_lines(store: LineageStore, loaded: LoadedSpec, record_id: str) -> list[str]:
    """For a generation: whether the admission rule admits it under the current spec and, if
    not, each verifier that rejects it and why. Nothing for other records."""
    rows = store.query_with_ids("generation_records", [record_id])
    if rows.empty:
        return []
    recipe = rows["recipe"].iloc[0]
    if recipe not in loaded.spec.recipes:
        return [f"{record_id} was made by recipe {recipe!r}, which {loaded.path} no longer has"]
    reasons = rejections_now(store, loaded, rows[["generation_id", "recipe", "seed_payload"]])
    if not reasons[record_id]:
        return [f"{record_id} ({recipe}) is admitted by verification under the current spec: "
                "every verifier of its recipe admits it and it duplicates no earlier record"]
    return [f"{record_id} ({recipe}) is rejected by verification under the current spec:"] + [
        f"  {verifier}: {reason}" for verifier, reason in sorted(reasons[record_id].items())]


def explain_record(store: LineageStore, record_id: str) -> list[str]:
    """`synth why`: for a mixture record, a generation, a real record or a seed, where it
    stands in the latest materialization of each mixture."""
    mixture_rows = store.query_rows("mixture_record", record_id=record_id)
    if mixture_rows:
        sources, mixtures = [mixture_rows[0]["source_record_id"]], [mixture_rows[0]["mixture"]]
    else:
        if not store.query_rows("lineage_chain", record_id=record_id):
            forgotten = store.query_rows("forgotten_among",
                                         {"wanted_ids": {"record_id": [record_id]}})
            raise ExplainError(f"{record_id!r} was removed by synth forget" if forgotten else
                               f"no record with id {record_id!r} in {store.path}")
        sources = [r["generation_id"] for r in store.query_rows("generations_of_seed",
                                                           seed_id=record_id)] or [record_id]
        mixtures = sorted({row["mixture"]
                           for row in store.query_rows("all_mixture_materializations")})
    lines = []
    for mixture in mixtures:
        history = materializations(store, mixture)
        if not history:
            continue
        latest = history[-1]
        statuses = source_status(store, latest, sources)
        if all(s["status"] == "not_a_component" for s in statuses.values()):
            continue
        lines.append(f"mixture {mixture}, latest materialization {latest.describe()}:")
        for source_id, row in statuses.items():
            verdict = "IN" if row["status"] == "in_mixture" else "NOT in"
            held = f" as {row['mixture_record_id']}" if row["mixture_record_id"] else ""
            lines.append(f"  {source_id} is {verdict} the mixture{held}: "
                         f"{status_sentence(store, latest, row)}")
            if row["status"] == "in_mixture" and row["source_kind"] == "synthetic":
                lines.append("    its verdicts passed at the current verifier versions and a "
                             "scan against the current benchmarks cleared it (synth lineage "
                             f"{row['mixture_record_id']} shows each)")
    if not lines:
        raise ExplainError(f"{record_id!r} is not a record of any materialized mixture in "
                           f"{store.path}")
    return lines


@dataclass(frozen=True)
class Change:
    change: str            # added | removed
    mixture_record_id: str
    source_id: str | None
    reason: str            # new generation | verdict changed | threshold changed | ...
    detail: str


def diff_materializations(store: LineageStore, before: Materialization,
                          after: Materialization) -> list[Change]:
    rows = store.query_rows("mixture_snapshot_changes",
                       from_snapshot=before.row["mixture_snapshot_id"],
                       to_snapshot=after.row["mixture_snapshot_id"])
    sources = [r["source_record_id"] for r in rows if r["source_record_id"]]
    was = source_status(store, before, sources)
    now = source_status(store, after, sources)
    changes = []
    for row in rows:
        source = row["source_record_id"]
        if source is None:
            reason, detail = "forgotten", "record deleted by a data-removal request"
        else:
            old, new = (was, now) if row["change"] == "removed" else (now, was)
            reason, detail = _reason(store, before, after, row["change"], old[source],
                                     new[source])
        changes.append(Change(row["change"], row["mixture_record_id"], source, reason, detail))
    return changes


def _reason(store: LineageStore, before: Materialization, after: Materialization, change: str,
            in_mix: dict[str, Any], out: dict[str, Any]) -> tuple[str, str]:
    """Why a source is in one materialization (`in_mix`) and not the other (`out`)."""
    out_mat = after if change == "removed" else before
    status = out["status"]
    if status == "missing":
        return "forgotten", "its source was removed by a data-removal request"
    if status == "not_yet_made":
        return "new generation", f"{out['source_id']} did not exist at {before.id}"
    if status == "contaminated":
        verb = "found" if change == "removed" else "cleared (benchmarks changed)"
        return f"contamination {verb}", out["contamination_hits"]
    if status == "failed_verification":
        changed = _changed_verifier_settings(before, after, out["failed_verifiers"] or [],
                                             out["source_name"])
        word = "now fails" if change == "removed" else "now passes"
        if changed:
            return "threshold changed", f"{'; '.join(changed)}; {word}: " + (
                out["failed_verdicts"] or "the verification thresholds")
        return "verdict changed", f"{word}: " + (out["failed_verdicts"] or "verification")
    if status == "duplicate":
        return "duplicate", status_sentence(store, out_mat, out)
    if status == "not_sampled":
        component = out["component"]
        quotas = [sum(m.plan.get(component, {}).get("quota", {}).values())
                  for m in (before, after)]
        return "sampling step", f"{status_sentence(store, out_mat, out)} (quota {quotas[0]} " \
                                f"before, {quotas[1]} after)"
    if status == "not_a_component":
        return "components changed", status_sentence(store, out_mat, out)
    return "not carried over", status_sentence(store, out_mat, out)


def _changed_verifier_settings(before: Materialization, after: Materialization,
                               failed: Sequence[str], recipe: str) -> list[str]:
    """Verifier settings (other than the code version) that differ between the two, for the
    failing verifiers or, when none is named, all verifiers of the recipe."""
    old, new = before.settings, after.settings
    names = list(failed) or sorted(set(old["recipes"].get(recipe, {}).get("verifiers", []))
                                   | set(new["recipes"].get(recipe, {}).get("verifiers", [])))
    changed = []
    for name in names:
        a = {k: v for k, v in old["verifiers"].get(name, {}).items() if k != "version"}
        b = {k: v for k, v in new["verifiers"].get(name, {}).items() if k != "version"}
        if a != b:
            changed.append(f"verifier {name} settings {json.dumps(a, sort_keys=True)} -> "
                           f"{json.dumps(b, sort_keys=True)}")
    return changed


def format_diff(before: Materialization, after: Materialization, changes: list[Change],
                limit: int | None = 20) -> str:
    counts = Counter((c.change, c.reason) for c in changes)
    lines = [f"mixture {after.mixture}", f"  from {before.describe()}",
             f"  to   {after.describe()}",
             f"  {sum(c.change == 'added' for c in changes)} added, "
             f"{sum(c.change == 'removed' for c in changes)} removed"]
    for (change, reason), count in sorted(counts.items()):
        lines.append(f"\n{change} ({reason}): {count}")
        shown = [c for c in changes if c.change == change and c.reason == reason]
        for c in shown[:limit] if limit is not None else shown:
            source = f" <- {c.source_id}" if c.source_id else ""
            lines.append(f"  {c.mixture_record_id}{source}: {c.detail}")
        if limit is not None and len(shown) > limit:
            lines.append(f"  ... {len(shown) - limit} more (--all lists every one)")
    return "\n".join(lines) + "\n"
