"""Scanning a verified snapshot: each record's two segments, its task (the seed's text) and the
teacher's response, go through the detector suite separately, so a hit says which one matched.
Records stream from DuckDB in batches, each with the scans earlier runs stored of it: a record
already scanned under the same index is not scanned again (and counts as clean if it was).
Scans are stored as a verdict per record, holding its own lineage edges (`lineage_edges` in
sql/schema.sql), and one row per hit with its evidence."""

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyarrow as pa

from synth_assets.decontam.detectors import NO_FINDINGS, Candidate, DetectorSuite, TextScan
from synth_assets.decontam.items import BenchmarkItem, Hit, excerpt
from synth_assets.decontam.throughput import CleanScans
from synth_assets.lineage.ids import content_id, string_content_id
from synth_assets.lineage.store import Columns, LineageStore, StoreWriter
from synth_assets.recipes.seeds import seed_task

BATCH_ROWS = 5000
REMEMBERED_SEEDS = 20000


@dataclass(slots=True)
class RecordScan:
    """One record's scan before it is stored."""

    scan_id: str
    generation_id: str
    verdict_ids: list[str]
    hits: tuple[tuple[str, Hit, str], ...] = ()  # (segment, hit, excerpt of the segment)
    # The closest semantic item of either segment: (segment, its text, candidate).
    candidate: tuple[str, str, Candidate] | None = None


class SegmentScanner:
    """Scans the task and the response of each record of a batch. A seed's task recurs in every
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
                new_tasks[seed_id] = seed_task(kind, payload)
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


# A batch of generations_to_scan -> per record, the ids of the verdicts that admitted it.
AdmittedBy = Callable[[Columns], list[list[str]]]


class SnapshotScan:
    """The records of a verified snapshot not yet scanned under `fingerprint`, scanned; the
    ones an earlier run found clean go straight to `clean`. A scan's id covers the verdicts
    that admitted the record (`admitted_by`), so a record admitted anew is scanned anew.
    `scanned` and `newly_scanned` count the records read and the records scanned."""

    def __init__(self, store: LineageStore, suite: DetectorSuite, fingerprint: str,
                 admitted_by: AdmittedBy, clean: CleanScans) -> None:
        self._store, self._fingerprint, self._clean = store, fingerprint, clean
        self._admitted_by = admitted_by
        self._scanner = SegmentScanner(suite)
        self.scanned = self.newly_scanned = 0

    def new_scans(self, snapshot_id: str, batch_rows: int = BATCH_ROWS) -> Iterator[RecordScan]:
        for batch in self._store.stream("generations_to_scan", batch_rows,
                                        snapshot_id=snapshot_id,
                                        index_fingerprint=self._fingerprint):
            generation_ids = batch["generation_id"]
            verdict_ids = self._admitted_by(batch)
            scan_ids = [string_content_id("scan", gid, self._fingerprint, ids)
                        for gid, ids in zip(generation_ids, verdict_ids, strict=True)]
            todo = _not_stored(batch, scan_ids, verdict_ids, self._clean)
            yield from _scan_records(self._scanner, todo)
            self.scanned += len(generation_ids)
            self.newly_scanned += len(todo["generation_id"])


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


def _scan_records(scanner: SegmentScanner, todo: Columns) -> list[RecordScan]:
    if not todo["generation_id"]:
        return []
    scans = []
    for scan_id, gid, verdict_ids, (task, task_scan, response, response_scan) in zip(
            todo["scan_id"], todo["generation_id"], todo["verdict_ids"], scanner.scan(todo),
            strict=True):
        scan = RecordScan(scan_id, gid, verdict_ids)
        if task_scan is not NO_FINDINGS or response_scan is not NO_FINDINGS:
            for segment, text, result in (("task", task, task_scan),
                                          ("response", response, response_scan)):
                scan.hits += tuple((segment, hit, excerpt(text)) for hit in result.hits)
                if result.candidate and (scan.candidate is None
                                         or result.candidate.score > scan.candidate[2].score):
                    scan.candidate = (segment, text, result.candidate)
        scans.append(scan)
    return scans


class ScanWriter:
    """Stores scans under one index: a verdict per scan (which holds its edges to the
    generation and the verdicts that admitted it), its hits and their edges, in one
    transaction; the clean ones are spilled to `clean` as well."""

    def __init__(self, store: LineageStore, fingerprint: str,
                 items: dict[tuple[str, str], BenchmarkItem], clean: CleanScans) -> None:
        self._store, self._fingerprint, self._items, self._clean = store, fingerprint, items, clean

    def write(self, scans: list[RecordScan]) -> None:
        with self._store.writer() as writer:
            self._write(writer, scans)
        clean_scans = [scan for scan in scans if not scan.hits]
        self._clean.add([scan.generation_id for scan in clean_scans],
                        [scan.scan_id for scan in clean_scans])

    def _write(self, writer: StoreWriter, scans: list[RecordScan]) -> None:
        hits, edges = [], []
        for scan in scans:
            for segment, hit, record_excerpt in scan.hits:
                hit_id = content_id("hit", scan.scan_id, segment, hit.benchmark, hit.item_id,
                                    hit.detector)
                hits.append({
                    "hit_id": hit_id, "scan_id": scan.scan_id,
                    "generation_id": scan.generation_id, "benchmark": hit.benchmark,
                    "item_id": hit.item_id, "detector": hit.detector, "score": hit.score,
                    "evidence": hit.evidence, "segment": segment,
                    "record_excerpt": record_excerpt,
                    "item_excerpt": excerpt(self._items[(hit.benchmark, hit.item_id)].text),
                })
                edges.append((hit_id, scan.scan_id, "found_in"))
        writer.insert_with("writes.sql", "append_contamination_verdicts", pa.table({
            "scan_id": [scan.scan_id for scan in scans],
            "generation_id": [scan.generation_id for scan in scans],
            "index_fingerprint": pa.repeat(pa.scalar(self._fingerprint), len(scans)),
            "contaminated": [bool(scan.hits) for scan in scans],
            "hit_count": pa.array([len(scan.hits) for scan in scans], pa.int32()),
            "admitted_by": pa.array([scan.verdict_ids for scan in scans],
                                    pa.list_(pa.string())),
        }))
        writer.insert_new("contamination_hits", hits)
        writer.link(edges)
