"""One materialization of a mixture, done inside DuckDB: build the pool, plan the quotas, pick
in seeded hash order, store the records, edges, snapshots and the materialization, then stream
the export. Nothing scales with the pool in Python memory."""

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.stages import FINAL_MIXTURES, FINAL_MIXTURES_POOL
from synth_assets.lineage.store import LineageStore, StoreWriter
from synth_assets.mix.card import CardFacts, dataset_card
from synth_assets.mix.export import FILE_NAMES, stage_export
from synth_assets.mix.plan import Quota, Stratum, plan_quotas
from synth_assets.recipes.seeds import TASK_FIELD
from synth_assets.spec import LoadedSpec
from synth_assets.stages.verify_stage import current_verifiers

SQL = "mixtures.sql"
STAGE = FINAL_MIXTURES
POOL_STAGE = FINAL_MIXTURES_POOL
EXPORT_BATCH_ROWS = 10_000
PREVIEW_ROWS = 6


@dataclass(frozen=True)
class MixtureInputs:
    """What one run hands the mixture: the contamination snapshot it cleared, the teacher
    snapshot it judged, and the real records it loaded."""

    clean_snapshot_id: str
    judged_snapshot_id: str
    real_ids: list[str]


@dataclass(frozen=True)
class MixtureResult:
    mixture: str
    snapshot_id: str
    materialization_id: str
    export_dir: Path
    manifest: dict[str, Any]
    preview: list[dict[str, Any]]


def materialize_mixture(
    store: LineageStore,
    loaded: LoadedSpec,
    name: str,
    inputs: MixtureInputs,
    export_dir: Path,
    run_id: str,
    log: Callable[[str], None] = print,
) -> MixtureResult:
    mixture = loaded.spec.mixtures[name]
    versions = {v: version for v, (_, version) in current_verifiers(loaded).items()}
    with store.writer() as writer:
        _register_inputs(writer, loaded, name, inputs, versions)
        previous = writer.fetch(SQL, "latest_mixture_materialization", mixture=name)
        writer.execute(
            SQL, "create_mixture_pool",
            clean_snapshot_id=inputs.clean_snapshot_id,
            judged_snapshot_id=inputs.judged_snapshot_id,
            previous_pool_snapshot_id=previous[0]["pool_snapshot_id"] if previous else "",
            accumulate=mixture.accumulate, stratify=mixture.stratify_by_domain,
            seed=str(mixture.seed), dedup=loaded.spec.dedup.enabled,
        )
        strata = [Stratum(**row) for row in writer.fetch(SQL, "mixture_pool_strata")]
        quotas = plan_quotas(name, mixture, strata)
        writer.register("quotas", [asdict(quota) for quota in quotas],
                        ["component", "stratum", "unit", "amount"])
        writer.execute(SQL, "create_mixture_picks",
                       mixture_json=json.dumps(name, ensure_ascii=False), seed=str(mixture.seed))
        writer.execute(SQL, "insert_mixture_records", mixture=name)
        writer.execute(SQL, "insert_mixture_edges")
        pool_snapshot_id = writer.record_snapshot_of(POOL_STAGE, name, SQL, "mixture_pool_ids")
        snapshot_id = writer.record_snapshot_of(STAGE, name, SQL, "mixture_pick_ids")

        fingerprints = [row["index_fingerprint"] for row in writer.fetch(
            SQL, "clean_snapshot_index_fingerprints", clean_snapshot_id=inputs.clean_snapshot_id)]
        writer.register("current_index", [{"index_fingerprint": f} for f in fingerprints],
                        ["index_fingerprint"])
        settings = mixture_settings(loaded, name, versions, fingerprints)
        plan = _plan_summary(loaded, name, strata, quotas, writer.fetch(SQL, "mixture_pick_counts"))
        materialization_id = content_id(
            "mixmat", name, snapshot_id, pool_snapshot_id, inputs.clean_snapshot_id,
            inputs.judged_snapshot_id, loaded.spec_hash, settings,
        )
        writer.insert_new("mixture_materializations", [{
            "materialization_id": materialization_id, "mixture": name,
            "mixture_snapshot_id": snapshot_id, "pool_snapshot_id": pool_snapshot_id,
            "clean_snapshot_id": inputs.clean_snapshot_id,
            "judged_snapshot_id": inputs.judged_snapshot_id, "spec_hash": loaded.spec_hash,
            "settings": json.dumps(settings, sort_keys=True),
            "plan": json.dumps(plan, sort_keys=True), "first_run_id": run_id,
        }])
        counts = {kind: sum(p["picked_records"] for p in plan.values() if p["kind"] == kind)
                  for kind in ("synthetic", "real")}
        log(f"mixture {name}: {counts['synthetic']} synthetic and {counts['real']} real records "
            f"from a pool of {sum(s.records for s in strata)} "
            f"({'accumulating' if mixture.accumulate else 'this run only'})")
        card = dataset_card(CardFacts(
            mixture=name,
            data_file=FILE_NAMES["parquet" if "parquet" in mixture.formats else "jsonl"],
            settings=settings, plan=plan,
            teacher_models=writer.fetch(SQL, "mixture_teacher_models"),
            pass_rates=writer.fetch(SQL, "verifier_pass_rates",
                                    judged_snapshot_id=inputs.judged_snapshot_id),
            contamination=writer.fetch(SQL, "contamination_summary",
                                       judged_snapshot_id=inputs.judged_snapshot_id),
            licenses=writer.fetch(SQL, "mixture_real_licenses"),
            spec_hash=loaded.spec_hash, mixture_snapshot_id=snapshot_id,
            input_snapshot_id=inputs.clean_snapshot_id,
        ))
        manifest = {
            "mixture": name, "spec_hash": loaded.spec_hash, "spec_path": str(loaded.path),
            "run_id": run_id, "input_snapshot": inputs.clean_snapshot_id,
            "judged_snapshot": inputs.judged_snapshot_id, "pool_snapshot": pool_snapshot_id,
            "mixture_snapshot": snapshot_id, "materialization_id": materialization_id,
            "seed": mixture.seed, "real_floor": mixture.min_real_fraction,
            "real_floor_waiver": mixture.real_floor_waiver,
            "counts": {**counts, "total": counts["synthetic"] + counts["real"]},
            "components": plan,
        }
        staged = stage_export(
            writer.batches(SQL, "mixture_export_rows", EXPORT_BATCH_ROWS),
            export_dir, mixture.formats, card, manifest,
        )
        preview = writer.fetch(SQL, "mixture_preview", limit=PREVIEW_ROWS)
    staged.publish()
    return MixtureResult(name, snapshot_id, materialization_id, export_dir, staged.manifest,
                         preview)


def mixture_settings(loaded: LoadedSpec, name: str, versions: dict[str, str],
                     fingerprints: list[str]) -> dict[str, Any]:
    """Everything in the spec that decides which records this mixture may hold; `synth diff`
    compares it between materializations to name what changed."""
    spec = loaded.spec
    mixture = spec.mixtures[name]
    recipes = {r: spec.recipes[r] for r in mixture.recipes}
    return {
        "mixture": mixture.model_dump(mode="json"),
        "recipes": {r: recipe.model_dump(mode="json") for r, recipe in recipes.items()},
        "teachers": {recipe.teacher: spec.teachers[recipe.teacher].model_dump(mode="json")
                     for recipe in recipes.values()},
        "verifiers": {
            v: {**spec.verifiers[v].model_dump(mode="json"), "version": versions[v]}
            for v in sorted({v for recipe in recipes.values() for v in recipe.verifiers})
        },
        "contamination": spec.contamination.model_dump(mode="json"),
        "benchmarks": {b: spec.benchmarks[b].model_dump(mode="json") for b in spec.benchmarks},
        "real_sources": {s: spec.real_sources[s].model_dump(mode="json")
                         for s in mixture.real_sources},
        "index_fingerprints": fingerprints,
    }


def _register_inputs(writer: StoreWriter, loaded: LoadedSpec, name: str,
                     inputs: MixtureInputs, versions: dict[str, str]) -> None:
    spec = loaded.spec
    mixture = spec.mixtures[name]
    writer.register("component_sources", [
        {"component": component_name, "source_kind": component.kind, "name": source}
        for component_name, component in mixture.components.items()
        for source in component.sources
    ], ["component", "source_kind", "name"])
    writer.register("recipe_domains", [{"recipe": r, "domain": recipe.domain}
                                       for r, recipe in spec.recipes.items()],
                    ["recipe", "domain"])
    writer.register("task_fields", [{"kind": k, "field": f} for k, f in TASK_FIELD.items()],
                    ["kind", "field"])
    writer.register("current_real_ids", [{"record_id": i} for i in inputs.real_ids],
                    ["record_id"])
    writer.register("recipe_verifiers", [
        {"recipe": r, "verifier": v, "version": versions[v],
         "min_score": spec.verifiers[v].min_score}
        for r in mixture.recipes for v in spec.recipes[r].verifiers
    ], ["recipe", "verifier", "version", "min_score"])


def _plan_summary(loaded: LoadedSpec, name: str, strata: list[Stratum], quotas: list[Quota],
                  picked: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    mixture = loaded.spec.mixtures[name]
    summary = {}
    for component_name, component in mixture.components.items():
        mine = [row for row in picked if row["component"] == component_name]
        summary[component_name] = {
            "kind": component.kind,
            "sources": component.sources,
            "unit": component.unit,
            "requested": component.amount,
            "available_records": sum(s.records for s in strata if s.component == component_name),
            "available_tokens": sum(s.tokens for s in strata if s.component == component_name),
            "quota": {q.stratum: q.amount for q in quotas if q.component == component_name},
            "picked_records": sum(row["records"] for row in mine),
            "picked_tokens": int(sum(row["tokens"] for row in mine)),
        }
    return summary
