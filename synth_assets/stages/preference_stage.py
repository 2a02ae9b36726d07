"""preference_sets: build each preference set of the spec from the judged generations and what
contamination_reports cleared, store the pairs with their lineage, and export them for DPO/ORPO,
KTO and RL with verifiable rewards."""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synth_assets.lineage.stages import PREFERENCE_SETS
from synth_assets.lineage.store import LineageStore
from synth_assets.mix.export import StagedExport
from synth_assets.mix.preference_export import (
    dpo_rows,
    kto_rows,
    pairs_card_body,
    rl_card_body,
    rl_rows,
    stage_folder,
)
from synth_assets.mix.preferences import (
    SQL,
    Sample,
    build_pairs,
    contamination_scanner,
    load_samples,
)
from synth_assets.spec import LoadedSpec
from synth_assets.stages.contamination_stage import build_detectors

STAGE = PREFERENCE_SETS
SOURCES = ("verifier", "score", "revision")


@dataclass(frozen=True)
class PreferenceSetResult:
    name: str
    snapshot_id: str
    counts: dict[str, int]          # pairs per source
    rl_prompts: int
    export_dir: Path


def run_preference_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    clean_snapshot_id: str,
    judged_snapshot_id: str,
    export_root: Path,
    run_id: str,
    log: Callable[[str], None] = print,
) -> list[PreferenceSetResult]:
    if not loaded.spec.preference_sets:
        return []
    is_contaminated = contamination_scanner(build_detectors(store, loaded))
    return [_build_set(store, loaded, name, clean_snapshot_id, judged_snapshot_id,
                       export_root / name, run_id, is_contaminated, log)
            for name in loaded.spec.preference_sets]


def _build_set(store: LineageStore, loaded: LoadedSpec, name: str, clean_snapshot_id: str,
               judged_snapshot_id: str, export_dir: Path, run_id: str,
               is_contaminated: Callable[[list[str]], list[bool]],
               log: Callable[[str], None]) -> PreferenceSetResult:
    spec = loaded.spec.preference_sets[name]
    samples = load_samples(store, loaded, spec.recipes, judged_snapshot_id, clean_snapshot_id)
    pairs = build_pairs(name, spec, loaded, samples, is_contaminated)
    with store.writer() as writer:
        writer.insert_new("preference_pairs", [pair.row(name) for pair in pairs])
        writer.link([edge for pair in pairs for edge in pair.edges()])
        snapshot_id = writer.record_snapshot(STAGE, name, [pair.pair_id for pair in pairs])
        stored = writer.fetch(SQL, "preference_pairs_in_snapshot", snapshot_id=snapshot_id,
                              seed=str(spec.seed))
    counts = {source: sum(1 for p in stored if p["source"] == source)
              for source, wanted in spec.sources.items() if wanted is not None}
    prompts = rl_prompts(loaded, spec.recipes, samples, is_contaminated) if spec.rl_prompts \
        else []
    log(f"preference set {name}: {counts} pairs, {len(prompts)} RL prompts")
    benchmarks = sorted(loaded.spec.benchmarks)
    manifest = {"preference_set": name, "spec_hash": loaded.spec_hash, "run_id": run_id,
                "seed": spec.seed, "preference_snapshot": snapshot_id,
                "clean_snapshot": clean_snapshot_id, "judged_snapshot": judged_snapshot_id,
                "counts": counts}
    staged: list[StagedExport] = [
        stage_folder(dpo_rows(stored), export_dir / "dpo", spec.formats, f"{name} (DPO)",
                     pairs_card_body(name, "conversational preference", counts, spec.seed,
                                     snapshot_id, benchmarks), manifest),
        stage_folder(kto_rows(stored), export_dir / "kto", spec.formats, f"{name} (KTO)",
                     pairs_card_body(name, "unpaired preference", counts, spec.seed,
                                     snapshot_id, benchmarks), manifest),
    ]
    if spec.rl_prompts:
        staged.append(stage_folder(rl_rows(prompts), export_dir / "rl_prompts", spec.formats,
                                   f"{name} (RL prompts)",
                                   rl_card_body(name, spec.recipes, len(prompts)),
                                   {**manifest, "rl_prompts": len(prompts)}))
    for export in staged:
        export.publish()
    return PreferenceSetResult(name, snapshot_id, counts, len(prompts), export_dir)


def rebuild_exported_sets(store: LineageStore, loaded: LoadedSpec, export_root: Path,
                          run_id: str, log: Callable[[str], None] = print
                          ) -> list[PreferenceSetResult]:
    """Build again, from the inputs their last export read, the spec's preference sets that
    have an export (after `synth forget` deleted records, so no export keeps a forgotten pair)."""
    manifests = {name: export_root / name / "dpo" / "manifest.json"
                 for name in loaded.spec.preference_sets}
    manifests = {name: json.loads(path.read_text(encoding="utf-8"))
                 for name, path in manifests.items() if path.exists()}
    if not manifests:
        return []
    is_contaminated = contamination_scanner(build_detectors(store, loaded))
    return [_build_set(store, loaded, name, manifest["clean_snapshot"],
                       manifest["judged_snapshot"], export_root / name, run_id,
                       is_contaminated, log)
            for name, manifest in manifests.items()]


def rl_prompts(loaded: LoadedSpec, recipes: Sequence[str], samples: Sequence[Sample],
               is_contaminated: Callable[[list[str]], list[bool]]) -> list[dict[str, Any]]:
    """One row per prompt of the recipes whose record is the raw answer (text parser: a
    completion is then judged exactly as the pipeline judged a generation), with its seed and
    verifiers; prompts whose task hits a benchmark are left out (a prompt with a clean sample
    was cleared by contamination_reports, the others are scanned here)."""
    spec = loaded.spec
    first: dict[str, Sample] = {}
    cleared: set[str] = set()
    for sample in sorted(samples, key=lambda s: s.generation_id):
        if sample.recipe in recipes and spec.recipes[sample.recipe].parser.type == "text":
            first.setdefault(sample.prompt_id, sample)
            if sample.clean_scan_id is not None:
                cleared.add(sample.prompt_id)
    unscanned = [pid for pid in sorted(first) if pid not in cleared]
    dirty = {pid for pid, hit in zip(unscanned, is_contaminated(
        [first[pid].prompt for pid in unscanned]) if unscanned else [], strict=True) if hit}
    rows = []
    for prompt_id in sorted(first):
        if prompt_id in dirty:
            continue
        sample = first[prompt_id]
        verifiers = [{"name": v, "type": spec.verifiers[v].type,
                      "options": spec.verifiers[v].options,
                      "min_score": spec.verifiers[v].min_score}
                     for v in spec.recipes[sample.recipe].verifiers]
        rows.append({"prompt_id": prompt_id, "recipe": sample.recipe, "prompt": sample.prompt,
                     "verifiers": json.dumps(verifiers, sort_keys=True),
                     "seed": sample.seed_payload})
    return rows
