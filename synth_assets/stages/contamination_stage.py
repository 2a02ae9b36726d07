"""contamination_reports: scan the verified records against the benchmarks with every enabled
detector, let the LLM judge (if configured) confirm the closest misses, store a verdict per
record and every hit with its evidence, quarantine the records derived from a contaminated
seed, keep the clean ones and report per benchmark.

Each step is a module of synth_assets/decontam: index, scan, judge_step, quarantine, report;
throughput holds the devices that keep the stage fast and its memory flat (GC freeze, the
Parquet spill of clean scans, batched writes)."""

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from synth_assets.decontam.index import (
    build_detectors,
    index_fingerprint,
    index_reused,
)
from synth_assets.decontam.judge import DETECTOR as JUDGE
from synth_assets.decontam.judge_step import JudgeCandidates, judge_scans
from synth_assets.decontam.quarantine import quarantine, record_clean_snapshot
from synth_assets.decontam.report import per_benchmark, worst_hits
from synth_assets.decontam.scan import BATCH_ROWS, ScanWriter, SnapshotScan
from synth_assets.decontam.throughput import (
    BatchedWrites,
    CleanScans,
    objects_so_far_left_out_of_gc,
)
from synth_assets.lineage.store import Columns, LineageStore
from synth_assets.spec import LoadedSpec
from synth_assets.verdict_ledger import AdmittingVerdicts


@dataclass
class ContaminationStageResult:
    snapshot_id: str
    scanned: int
    contaminated: int  # records with hits of their own
    quarantined: int  # records held back only because their seed is contaminated
    newly_scanned: int
    index_fingerprint: str
    detectors: list[str]
    index_reused: bool
    judged_pairs: int = 0
    per_benchmark: pd.DataFrame = field(default_factory=pd.DataFrame)
    worst_hits: pd.DataFrame = field(default_factory=pd.DataFrame)


def run_contamination_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    verified_snapshot_id: str,
    log: Callable[[str], None] = print,
    batch_rows: int = BATCH_ROWS,
) -> ContaminationStageResult:
    judge = loaded.spec.contamination.llm_judge
    suite = build_detectors(store, loaded)  # built on first use: nothing new, nothing built
    fingerprint = index_fingerprint(suite, loaded)
    log(f"{len(suite.items)} benchmark items, detectors {suite.detector_names}, index "
        f"{fingerprint[:12]}")
    items = {(item.benchmark, item.item_id): item for item in suite.items}
    with objects_so_far_left_out_of_gc(), CleanScans() as clean:
        records = SnapshotScan(store, suite, fingerprint, _admitted_by(store, loaded), clean)
        verdicts = BatchedWrites(ScanWriter(store, fingerprint, items, clean).write)
        to_judge = JudgeCandidates(judge)
        for scan in records.new_scans(verified_snapshot_id, batch_rows):
            if (not_judged := to_judge.offer(scan)) is not None:
                verdicts.add(not_judged)
        judged = to_judge.scans()
        judge_scans(store, loaded, judged, log)
        with store.kept_open():  # the LLM calls are done
            for scan in judged:
                verdicts.add(scan)
            verdicts.flush()
            clean.close()
            quarantined = quarantine(store, loaded, verified_snapshot_id, fingerprint, clean)
            snapshot_id = record_clean_snapshot(store, fingerprint, clean, quarantined)
            report = per_benchmark(store, loaded.spec.benchmarks, suite.items,
                                   verified_snapshot_id, fingerprint)
            worst = worst_hits(store, verified_snapshot_id, fingerprint)
    contaminated = records.scanned - clean.count
    reused = index_reused(suite)
    log(f"scanned {records.scanned} records ({records.newly_scanned} new; index "
        f"{'reused' if reused else 'built'}): {contaminated} "
        f"contaminated, {len(quarantined)} quarantined through their seed, "
        f"{clean.count - len(quarantined)} clean")
    return ContaminationStageResult(
        snapshot_id=snapshot_id,
        scanned=records.scanned,
        contaminated=contaminated,
        quarantined=len(quarantined),
        newly_scanned=records.newly_scanned,
        index_fingerprint=fingerprint,
        detectors=suite.detector_names + ([JUDGE] if judge.enabled else []),
        index_reused=reused,
        judged_pairs=len(judged),
        per_benchmark=report,
        worst_hits=worst,
    )


def _admitted_by(store: LineageStore, loaded: LoadedSpec) -> Callable[[Columns], list[list[str]]]:
    """Per record of a batch, the verdicts that admitted it (the verifiers built once)."""
    admitting = AdmittingVerdicts(loaded)
    return lambda batch: admitting.of(store, batch["generation_id"], batch["recipe"],
                                      batch["seed_payload"])

