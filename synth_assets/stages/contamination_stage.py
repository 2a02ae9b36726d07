"""contamination_reports: scan verified records against the benchmarks with every enabled
detector, store a verdict per record and every hit with its evidence, quarantine the records
derived from a seed that is itself a benchmark item, and keep the clean ones.

A record's two segments are scanned separately: its task (the seed's text) and the teacher's
response, so a hit says which one matched. Records are streamed from DuckDB in batches, each
with the scans earlier runs stored of it; verdicts are written every WRITE_EVERY_SCANS scans and
the ids of the clean ones spilled to a Parquet file that DuckDB reads back for the quarantine
and the clean snapshot, so the stage keeps no per-record state in Python however many records
there are. A verdict row holds its own lineage edges (`lineage_edges` in sql/schema.sql) and
its table has no primary-key index, so no index grows in memory with the records written.
"""

import gc
import heapq
import itertools
import os
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synth_assets.decontam.detectors import NO_FINDINGS, Candidate, DetectorSuite, TextScan
from synth_assets.decontam.index_cache import ArrayCache
from synth_assets.decontam.items import BenchmarkItem, Hit, excerpt, items_fingerprint
from synth_assets.decontam.judge import DETECTOR as JUDGE
from synth_assets.decontam.judge import judge_messages, parse_judgement
from synth_assets.decontam.registry import load_benchmark
from synth_assets.lineage.ids import content_id, string_content_id
from synth_assets.lineage.store import Columns, LineageStore, StoreWriter
from synth_assets.recipes.seeds import seed_task
from synth_assets.spec import LoadedSpec
from synth_assets.stages.verify_stage import AdmittingVerdicts
from synth_assets.teacher.cached import TeacherJob, run_through_cache
from synth_assets.teacher.requests import build_request

STAGE = "contamination_reports"
INDEX_FOLDER = "benchmark_indexes"  # beside the DuckDB file: reusable item-side detector data
BATCH_ROWS = 5000
WRITE_EVERY_SCANS = 25_000
WRITE_EVERY_SECONDS = 30.0
REMEMBERED_SEEDS = 20000
WORST_HITS = 5


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


@dataclass(slots=True)
class _Scan:
    """One record's scan before it is stored."""

    scan_id: str
    generation_id: str
    verdict_ids: list[str]
    hits: tuple[tuple[str, Hit, str], ...] = ()  # (segment, hit, excerpt of the segment)
    # The closest semantic item of either segment: (segment, its text, candidate).
    candidate: tuple[str, str, Candidate] | None = None


def load_benchmarks(loaded: LoadedSpec) -> list[BenchmarkItem]:
    return [item for name, benchmark in loaded.spec.benchmarks.items()
            for item in load_benchmark(name, benchmark, loaded.resolve)]


def index_dir(store: LineageStore) -> Path:
    """SYNTH_INDEX_DIR if set (several stores can share one), else beside the DuckDB file."""
    return Path(os.environ.get("SYNTH_INDEX_DIR") or store.path.parent / INDEX_FOLDER)


def build_detectors(store: LineageStore, loaded: LoadedSpec) -> DetectorSuite:
    cache = ArrayCache(index_dir(store))
    return DetectorSuite(load_benchmarks(loaded), loaded.spec.contamination, cache)


def task_text(seed_kind: str, seed_payload: str) -> str:
    """The task a trained model sees as the user turn: the seed's task field."""
    return seed_task(seed_kind, seed_payload)


def run_contamination_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    verified_snapshot_id: str,
    log: Callable[[str], None] = print,
    batch_rows: int = BATCH_ROWS,
) -> ContaminationStageResult:
    spec = loaded.spec.contamination
    suite = build_detectors(store, loaded)
    judge = spec.llm_judge
    judge_teacher = loaded.spec.teachers[judge.teacher] if judge.enabled else None
    fingerprint = items_fingerprint(
        (), suite.fingerprint,
        [judge.model_dump(mode="json"), judge_teacher.model] if judge_teacher else None,
    )
    reused = bool(suite.cache.reused) and all(suite.cache.reused.values())
    log(f"{len(suite.items)} benchmark items, detectors {suite.detector_names}, index "
        f"{fingerprint[:12]} ({'reused' if reused else 'built'})")
    items = {(item.benchmark, item.item_id): item for item in suite.items}
    admitting = AdmittingVerdicts(loaded)

    to_judge: list[tuple[float, int, _Scan]] = []  # min-heap of the best judge candidates
    order = itertools.count()
    scanned = newly_scanned = 0
    with _objects_so_far_left_out_of_gc(), CleanScans() as clean:
        scanner = SegmentScanner(suite)
        pending = PendingScans(store, fingerprint, items, clean)
        for batch in store.stream("generations_to_scan", batch_rows,
                                  snapshot_id=verified_snapshot_id, index_fingerprint=fingerprint):
            generation_ids = batch["generation_id"]
            verdict_ids = admitting.of(store, generation_ids, batch["recipe"],
                                       batch["seed_payload"])
            scan_ids = [string_content_id("scan", gid, fingerprint, ids)
                        for gid, ids in zip(generation_ids, verdict_ids, strict=True)]
            todo = _not_stored(batch, scan_ids, verdict_ids, clean)
            for scan in _scan_records(scanner, todo):
                if not scan.hits and judge.enabled and scan.candidate is not None \
                        and scan.candidate[2].score >= judge.min_similarity:
                    heapq.heappush(to_judge, (scan.candidate[2].score, next(order), scan))
                    if len(to_judge) > judge.max_pairs:
                        pending.add(heapq.heappop(to_judge)[2])
                else:
                    pending.add(scan)
            scanned += len(generation_ids)
            newly_scanned += len(todo["generation_id"])

        judged = [scan for _, _, scan in to_judge]
        if judged:
            _judge(store, loaded, judged, items, log)
        with store.kept_open():  # the LLM calls are done
            for scan in judged:
                pending.add(scan)
            pending.write()
            clean.close()

            quarantined = _quarantine(store, loaded, verified_snapshot_id, fingerprint, clean)
            with store.writer() as writer:
                writer.register("quarantined_now",
                                [{"generation_id": gid} for gid in quarantined],
                                ["generation_id"])
                # Labelled with the index fingerprint, so checks can find this run's hits.
                snapshot_id = writer.record_snapshot_of(STAGE, fingerprint, "queries.sql",
                                                        "spilled_clean_scans",
                                                        clean_file=str(clean.path))
            report = per_benchmark(store, loaded, list(suite.items), verified_snapshot_id,
                                   fingerprint, scanned)
            worst_hits = store.query_frame("worst_contamination_hits",
                                           snapshot_id=verified_snapshot_id,
                                           index_fingerprint=fingerprint, limit=WORST_HITS)
    contaminated = scanned - clean.count
    log(f"scanned {scanned} records ({newly_scanned} new): {contaminated} contaminated, "
        f"{len(quarantined)} quarantined through their seed, "
        f"{clean.count - len(quarantined)} clean")
    return ContaminationStageResult(
        snapshot_id=snapshot_id,
        scanned=scanned,
        contaminated=contaminated,
        quarantined=len(quarantined),
        newly_scanned=newly_scanned,
        index_fingerprint=fingerprint,
        detectors=suite.detector_names + ([JUDGE] if judge.enabled else []),
        index_reused=reused,
        judged_pairs=len(judged),
        per_benchmark=report,
        worst_hits=worst_hits,
    )


@contextmanager
def _objects_so_far_left_out_of_gc() -> Iterator[None]:
    """gc.freeze() for the scan: the hundreds of thousands of objects the process already holds
    (imported libraries, the detectors' indexes) are then not traversed again by every full
    garbage collection the per-batch allocations trigger, which measured a fifth of the stage's
    time. Objects made during the scan are collected as usual. Left alone if the process froze
    objects itself."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class CleanScans:
    """(generation_id, scan_id) of the records a run found clean, spilled batch by batch to a
    Parquet file that DuckDB reads back at the end (quarantine, clean snapshot): the run keeps
    no per-record state in memory however many records stream by."""

    _SCHEMA = pa.schema([("generation_id", pa.string()), ("scan_id", pa.string())])

    def __enter__(self) -> "CleanScans":
        self._folder = tempfile.TemporaryDirectory(prefix="synth-clean-scans-")
        self.path = Path(self._folder.name) / "clean.parquet"
        self._writer = pq.ParquetWriter(self.path, self._SCHEMA)
        self.count = 0
        return self

    def add(self, generation_ids: list[str], scan_ids: list[str]) -> None:
        if generation_ids:
            self._writer.write_table(pa.table([generation_ids, scan_ids], schema=self._SCHEMA))
            self.count += len(generation_ids)

    def close(self) -> None:
        """Finish the file; call before DuckDB reads it."""
        self._writer.close()

    def __exit__(self, *exc_info: object) -> None:
        self._writer.close()
        self._folder.cleanup()


class SegmentScanner:
    """Scans the task and the response of each record of a frame. A seed's task recurs in every
    record made from it, so its result is kept for the most recent seeds (a bounded number, so
    memory stays flat however many records stream by)."""

    def __init__(self, suite: DetectorSuite, remembered_seeds: int = REMEMBERED_SEEDS) -> None:
        self.suite = suite
        self._remembered_seeds = remembered_seeds
        self._tasks: OrderedDict[str, tuple[str, TextScan]] = OrderedDict()

    def scan(self, records: Columns) -> Iterator[tuple[str, TextScan, str, TextScan]]:
        """Per record of generations_to_scan: its task and the task's result, its response and
        the response's."""
        new_tasks = {}
        seed_ids = records["seed_id"]
        for seed_id, kind, payload in zip(seed_ids, records["seed_kind"],
                                          records["seed_payload"], strict=True):
            if seed_id in self._tasks:
                self._tasks.move_to_end(seed_id)
            elif seed_id not in new_tasks:
                new_tasks[seed_id] = task_text(kind, payload)
        responses = records["text"]
        texts = list(dict.fromkeys([*new_tasks.values(), *responses]))
        results = dict(zip(texts, self.suite.scan(texts), strict=True))
        for seed_id, task in new_tasks.items():
            self._tasks[seed_id] = (task, results[task])
        while len(self._tasks) > self._remembered_seeds:
            self._tasks.popitem(last=False)
        tasks = self._tasks
        return ((*tasks[seed_id], response, results[response])
                for seed_id, response in zip(seed_ids, responses, strict=True))


def _not_stored(batch: Columns, scan_ids: list[str], verdict_ids: list[list[str]],
                clean: CleanScans) -> Columns:
    """The records of a generations_to_scan batch whose scan is not stored yet, with their
    scan_id and verdict_ids. The stored clean ones are spilled as this run's clean scans."""
    new, stored_clean = [], []
    for row, (scan_id, stored, stored_clean_scans) in enumerate(zip(
            scan_ids, batch["stored_scans"], batch["stored_clean_scans"], strict=True)):
        if stored is None or scan_id not in stored:
            new.append(row)
        elif stored_clean_scans is not None and scan_id in stored_clean_scans:
            stored_clean.append(row)
    clean.add([batch["generation_id"][row] for row in stored_clean],
              [scan_ids[row] for row in stored_clean])
    records = {**batch, "scan_id": scan_ids, "verdict_ids": verdict_ids}
    if len(new) == len(scan_ids):
        return records
    return {name: [values[row] for row in new] for name, values in records.items()}


class PendingScans:
    """Scans waiting to be stored: written in one transaction once WRITE_EVERY_SCANS have
    gathered or WRITE_EVERY_SECONDS have passed since the last write, since a transaction has a
    fixed cost. A run stopped midway loses at most that much scanning."""

    def __init__(self, store: LineageStore, fingerprint: str,
                 items: dict[tuple[str, str], BenchmarkItem], clean: CleanScans) -> None:
        self._store, self._fingerprint, self._items, self._clean = store, fingerprint, items, clean
        self._scans: list[_Scan] = []
        self._written_at = time.monotonic()

    def add(self, scan: _Scan) -> None:
        self._scans.append(scan)
        if (len(self._scans) >= WRITE_EVERY_SCANS
                or time.monotonic() - self._written_at >= WRITE_EVERY_SECONDS):
            self.write()

    def write(self) -> None:
        if self._scans:
            with self._store.writer() as writer:
                self._store_scans(writer)
        self._scans = []
        self._written_at = time.monotonic()

    def _store_scans(self, writer: StoreWriter) -> None:
        """Write a verdict per scan (which holds its edges to the generation and the verdicts
        that admitted it), its hits and their edges; spill the clean ones."""
        scans = self._scans
        hits, edges = [], []
        for scan in scans:
            for segment, hit, record_excerpt in scan.hits:
                hit_id = content_id("hit", scan.scan_id, segment, hit.benchmark, hit.item_id,
                                    hit.detector)
                hits.append({
                    "hit_id": hit_id, "scan_id": scan.scan_id, "generation_id": scan.generation_id,
                    "benchmark": hit.benchmark, "item_id": hit.item_id, "detector": hit.detector,
                    "score": hit.score, "evidence": hit.evidence, "segment": segment,
                    "record_excerpt": record_excerpt,
                    "item_excerpt": excerpt(self._items[(hit.benchmark, hit.item_id)].text),
                })
                edges.append((hit_id, scan.scan_id, "found_in"))
        clean_scans = [scan for scan in scans if not scan.hits]
        writer.insert_with("writes.sql", "append_contamination_verdicts", pa.table({
            "scan_id": [scan.scan_id for scan in scans],
            "generation_id": [scan.generation_id for scan in scans],
            "index_fingerprint": pa.repeat(pa.scalar(self._fingerprint), len(scans)),
            "contaminated": [bool(scan.hits) for scan in scans],
            "hit_count": pa.array([len(scan.hits) for scan in scans], pa.int32()),
            "admitted_by": pa.array([scan.verdict_ids for scan in scans], pa.list_(pa.string())),
        }))
        writer.insert_new("contamination_hits", hits)
        writer.link(edges)
        self._clean.add([scan.generation_id for scan in clean_scans],
                        [scan.scan_id for scan in clean_scans])


def _scan_records(scanner: SegmentScanner, todo: Columns) -> list[_Scan]:
    if not todo["generation_id"]:
        return []
    scans = []
    for scan_id, gid, verdict_ids, (task, task_scan, response, response_scan) in zip(
            todo["scan_id"], todo["generation_id"], todo["verdict_ids"], scanner.scan(todo),
            strict=True):
        scan = _Scan(scan_id, gid, verdict_ids)
        if task_scan is not NO_FINDINGS or response_scan is not NO_FINDINGS:
            for segment, text, result in (("task", task, task_scan),
                                          ("response", response, response_scan)):
                scan.hits += tuple((segment, hit, excerpt(text)) for hit in result.hits)
                if result.candidate and (scan.candidate is None
                                         or result.candidate.score > scan.candidate[2].score):
                    scan.candidate = (segment, text, result.candidate)
        scans.append(scan)
    return scans


def _judge(store: LineageStore, loaded: LoadedSpec, scans: list[_Scan],
           items: dict[tuple[str, str], BenchmarkItem], log: Callable[[str], None]) -> None:
    """Ask the judge about each scan's closest item; a True adds an llm_judge hit."""
    judge = loaded.spec.contamination.llm_judge
    teacher = loaded.spec.teachers[judge.teacher]
    requests = [build_request(teacher, judge_messages(c.item.text, c.window), 0)
                for _, _, c in (scan.candidate for scan in scans)]
    calls = run_through_cache(store, [TeacherJob(f"judge {judge.teacher}", teacher, requests)],
                              log=log)
    answers = calls.texts
    for failure in calls.failures:
        log(f"judge call {failure.request.call_id} failed, pair left unjudged: {failure.error}")
    for scan, request in zip(scans, requests, strict=True):
        segment, text, candidate = scan.candidate
        answer = answers.get(request.call_id)
        if answer is None or not parse_judgement(answer):
            continue
        item = candidate.item
        hit = Hit(item.benchmark, item.item_id, JUDGE, candidate.score,
                  f"{teacher.model} judged it the same problem (call {request.call_id}; "
                  f"semantic cosine {candidate.score:.3f})")
        scan.hits += ((segment, hit, excerpt(text)),)


def _quarantine(store: LineageStore, loaded: LoadedSpec, snapshot_id: str, fingerprint: str,
                clean: CleanScans) -> list[str]:
    """Hold back the clean records derived from a contaminated seed; returns their ids."""
    if not loaded.spec.contamination.quarantine_seed_descendants:
        return []
    seeds = store.query_frame("contaminated_seeds_in_snapshot", snapshot_id=snapshot_id,
                              index_fingerprint=fingerprint)
    if seeds.empty:
        return []
    hit_of_seed = dict(zip(seeds["seed_id"], seeds["hit_id"], strict=True))
    derived = store.query_with_ids("snapshot_generations_derived_from", list(hit_of_seed),
                                   snapshot_id=snapshot_id)
    cleared = store.query_with_ids("spilled_clean_generations", derived["generation_id"].unique(),
                                   clean_file=str(clean.path))
    derived = derived[derived["generation_id"].isin(set(cleared["generation_id"]))]
    rows, edges = [], []
    for seed_id, generation_id in zip(derived["origin_id"], derived["generation_id"],
                                      strict=True):
        quarantine_id = content_id("qrn", generation_id, seed_id, fingerprint)
        rows.append({"quarantine_id": quarantine_id, "generation_id": generation_id,
                     "seed_id": seed_id, "hit_id": hit_of_seed[seed_id],
                     "index_fingerprint": fingerprint})
        edges += [(quarantine_id, generation_id, "quarantines"),
                  (quarantine_id, hit_of_seed[seed_id], "because_of")]
    with store.writer() as writer:
        writer.insert_new("contamination_quarantines", rows)
        writer.link(edges)
    return sorted(set(derived["generation_id"]))


def per_benchmark(store: LineageStore, loaded: LoadedSpec, items: list[BenchmarkItem],
                  snapshot_id: str, fingerprint: str, scanned: int) -> pd.DataFrame:
    """Items hit, records hit, rate and detectors fired per benchmark of the spec."""
    found = store.query_frame("contamination_by_benchmark", snapshot_id=snapshot_id,
                              index_fingerprint=fingerprint).set_index("benchmark")
    rows = []
    for name in loaded.spec.benchmarks:
        records_hit = int(found["records_hit"].get(name, 0))
        rows.append({
            "benchmark": name,
            "benchmark_items": sum(1 for item in items if item.benchmark == name),
            "items_hit": int(found["items_hit"].get(name, 0)),
            "records_scanned": scanned,
            "records_hit": records_hit,
            "contaminated_rate": records_hit / scanned if scanned else 0.0,
            "detectors_fired": found["detectors_fired"].get(name, "") or "",
        })
    return pd.DataFrame(rows, columns=["benchmark", "benchmark_items", "items_hit",
                                       "records_scanned", "records_hit", "contaminated_rate",
                                       "detectors_fired"])
