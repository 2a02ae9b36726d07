"""preference_sets: build each preference set of the spec from the judged generations and what
contamination_reports cleared, store the pairs with their lineage, and export them for DPO/ORPO,
KTO and RL with verifiable rewards.

A set whose inputs are unchanged is not rebuilt (the pattern of stages/verify_reuse.py): a build
stores its result under a key of everything it depends on (the set's settings: its spec with seed
and sources, its recipes' verifier versions and thresholds, dedup and the detectors'
fingerprint; the clean and judged snapshots), and a rerun with the same key reuses that result
while the export folder still holds the files that build wrote (same digest). `synth forget`
deletes every stored build, so the run after it rebuilds."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from synth_assets.decontam.index import build_detectors, index_dir, load_benchmarks
from synth_assets.decontam.items import items_fingerprint, sorted_unique
from synth_assets.file_hashes import tree_sha256
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.mix.export import StagedExport
from synth_assets.mix.preference_export import (
    DPO_SCHEMA,
    KTO_SCHEMA,
    RL_SCHEMA,
    dpo_rows,
    kto_rows,
    pairs_card_body,
    rl_card_body,
    rl_rows,
    stage_folder,
)
from synth_assets.mix.preferences import (
    SQL,
    BenchmarkScan,
    PhaseTime,
    contamination_scanner,
    pair_set,
    preference_settings,
    timed,
)
from synth_assets.spec import LoadedSpec
from synth_assets.verdict_ledger import current_verifiers

EXPORT_BATCH_ROWS = 10_000


@dataclass(frozen=True)
class PreferenceSetResult:
    name: str
    snapshot_id: str
    materialization_id: str
    counts: dict[str, int]          # pairs per source
    rl_prompts: int
    export_dir: Path
    timings: dict[str, PhaseTime] = field(default_factory=dict)     # per phase
    reused: bool = False            # the stored result of an earlier build with the same inputs


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
    scan = benchmark_scan(store, loaded)
    return [build_preference_set_reusing(store, loaded, name, clean_snapshot_id,
                                         judged_snapshot_id, export_root / name, run_id, scan,
                                         log)
            for name in loaded.spec.preference_sets]


_SCANS: dict[tuple[str, str, str], BenchmarkScan] = {}  # the last one built in this process


def benchmark_scan(store: LineageStore, loaded: LoadedSpec) -> BenchmarkScan:
    """The scanner of the spec's contamination detectors (mix.preferences), built once per
    process for the same benchmark items, detector settings and index folder: the stage and its
    check run in one step, and building the detectors costs seconds (the semantic index)."""
    key = (str(index_dir(store)), items_fingerprint(sorted_unique(load_benchmarks(loaded))),
           loaded.spec.contamination.model_dump_json())
    if key not in _SCANS:
        _SCANS.clear()
        _SCANS[key] = contamination_scanner(build_detectors(store, loaded))
    return _SCANS[key]


def preference_input_key(loaded: LoadedSpec, name: str, clean_snapshot_id: str,
                         judged_snapshot_id: str, scan: BenchmarkScan) -> str:
    """The settings that decide the pairs, the snapshots they are paired from, and what else
    reaches the export: the set's recipes (parser, revision) with their verifiers in full (an
    RL prompt carries them) and the benchmark names its cards list."""
    spec = loaded.spec
    versions = {v: version for v, (_, version) in current_verifiers(loaded).items()}
    recipes = spec.preference_sets[name].recipes
    return content_id("prefrun", name, clean_snapshot_id, judged_snapshot_id,
                      preference_settings(loaded, name, versions, scan.fingerprint),
                      {r: spec.recipes[r].model_dump(mode="json") for r in recipes},
                      {v: spec.verifiers[v].model_dump(mode="json")
                       for r in recipes for v in spec.recipes[r].verifiers},
                      sorted(spec.benchmarks))


def build_preference_set_reusing(store: LineageStore, loaded: LoadedSpec, name: str,
                                 clean_snapshot_id: str, judged_snapshot_id: str,
                                 export_dir: Path, run_id: str, scan: BenchmarkScan,
                                 log: Callable[[str], None]) -> PreferenceSetResult:
    """build_preference_set, or the stored result of a build with the same inputs whose export
    folder is intact."""
    key = preference_input_key(loaded, name, clean_snapshot_id, judged_snapshot_id, scan)
    with store.writer() as writer:
        stored = writer.fetch(SQL, "preference_run", input_key=key)
    if stored and stored[0]["export_digest"] == export_digest(export_dir):
        log(f"preference set {name}: every input is unchanged and its export intact: "
            "reusing its stored result")
        row = stored[0]
        return PreferenceSetResult(name, row["pairs_snapshot_id"], row["materialization_id"],
                                   json.loads(row["counts"]), row["rl_prompts"], export_dir,
                                   reused=True)
    result = build_preference_set(store, loaded, name, clean_snapshot_id, judged_snapshot_id,
                                  export_dir, run_id, scan, log)
    with store.writer() as writer:
        writer.insert_with(SQL, "store_preference_run", [{
            "input_key": key, "preference_set": name,
            "materialization_id": result.materialization_id,
            "pairs_snapshot_id": result.snapshot_id,
            "counts": json.dumps(result.counts, sort_keys=True),
            "rl_prompts": result.rl_prompts, "export_digest": export_digest(export_dir)}])
    return result


def export_digest(export_dir: Path) -> str:
    """sha256 over the relative path and bytes of every file under the folder ('' when it is
    missing): any file changed, added or removed changes it."""
    if not export_dir.is_dir():
        return ""
    return tree_sha256(export_dir, (path for path in export_dir.rglob("*") if path.is_file()))


def build_preference_set(store: LineageStore, loaded: LoadedSpec, name: str,
                         clean_snapshot_id: str, judged_snapshot_id: str, export_dir: Path,
                         run_id: str, scan: BenchmarkScan, log: Callable[[str], None]
                         ) -> PreferenceSetResult:
    """Pair, store and export one preference set in one write transaction; the exports stream
    from DuckDB in batches and are swapped in once everything is stored."""
    spec = loaded.spec.preference_sets[name]
    benchmarks = sorted(loaded.spec.benchmarks)
    with store.writer() as writer:
        paired = pair_set(writer, loaded, name, clean_snapshot_id, judged_snapshot_id, scan,
                          run_id)
        timings = dict(paired.timings)
        prompts = writer.fetch(SQL, "preference_rl_prompt_count")[0]["prompts"] \
            if spec.rl_prompts else 0
        manifest = {"preference_set": name, "spec_hash": loaded.spec_hash, "run_id": run_id,
                    "seed": spec.seed, "preference_snapshot": paired.snapshot_id,
                    "materialization_id": paired.materialization_id,
                    "clean_snapshot": clean_snapshot_id, "judged_snapshot": judged_snapshot_id,
                    "counts": paired.counts}
        staged: list[StagedExport] = []
        for folder, title, kind, rows_of, schema in (
                ("dpo", "DPO", "conversational preference", dpo_rows, DPO_SCHEMA),
                ("kto", "KTO", "unpaired preference", kto_rows, KTO_SCHEMA)):
            with timed(timings, f"export_{folder}"):
                staged.append(stage_folder(
                    writer.batches(SQL, "preference_export_rows", EXPORT_BATCH_ROWS), rows_of,
                    schema, export_dir / folder, spec.formats, f"{name} ({title})",
                    pairs_card_body(name, kind, paired.counts, spec.seed, paired.snapshot_id,
                                    benchmarks), manifest))
        if spec.rl_prompts:
            with timed(timings, "export_rl_prompts"):
                staged.append(stage_folder(
                    writer.batches(SQL, "preference_rl_export_rows", EXPORT_BATCH_ROWS),
                    rl_rows, RL_SCHEMA, export_dir / "rl_prompts", spec.formats,
                    f"{name} (RL prompts)", rl_card_body(name, spec.recipes, prompts),
                    {**manifest, "rl_prompts": prompts}))
    for export in staged:
        export.publish()
    log(f"preference set {name}: {paired.counts} pairs, {prompts} RL prompts ("
        + ", ".join(f"{phase} {t.wall_s:.1f} s" for phase, t in timings.items()) + ")")
    return PreferenceSetResult(name, paired.snapshot_id, paired.materialization_id,
                               paired.counts, prompts, export_dir, timings)
