"""contamination_reports: scan verified records against the benchmarks for n-gram overlap,
store a verdict per record (and every hit with its evidence), keep the clean ones."""

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from synth_assets.decontam import BenchmarkItem, NgramIndex, load_benchmark_file, load_humaneval
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.records import training_pair
from synth_assets.spec import LoadedSpec
from synth_assets.stages.verify_stage import admitting_verdict_ids

STAGE = "contamination_reports"
DETECTOR = "ngram"
EXCERPT_CHARS = 300


@dataclass
class ContaminationStageResult:
    snapshot_id: str
    scanned: int
    contaminated: int
    newly_scanned: int
    index_fingerprint: str
    per_benchmark: pd.DataFrame = field(default_factory=pd.DataFrame)
    worst_hits: pd.DataFrame = field(default_factory=pd.DataFrame)


def load_benchmarks(loaded: LoadedSpec) -> list[BenchmarkItem]:
    items: list[BenchmarkItem] = []
    for name, benchmark in loaded.spec.benchmarks.items():
        if benchmark.type == "humaneval":
            items += load_humaneval(name)
        else:
            items += load_benchmark_file(
                name, loaded.resolve(benchmark.path), benchmark.question_field,
                benchmark.answer_field,
            )
    return items


def training_text(task: str, response: str) -> str:
    """What a trained model would see of a record: its task and the response."""
    return f"{task}\n{response}"


def run_contamination_stage(
    store: LineageStore,
    loaded: LoadedSpec,
    verified_snapshot_id: str,
    log: Callable[[str], None] = print,
) -> ContaminationStageResult:
    spec = loaded.spec
    items = load_benchmarks(loaded)
    index = NgramIndex.build(items, n=spec.contamination.ngram_n)
    excerpts = {(item.benchmark, item.item_id): item.text[:EXCERPT_CHARS] for item in items}
    generations = store.query_frame("generations_in_snapshot", snapshot_id=verified_snapshot_id)
    ids = generations["generation_id"].tolist()
    fingerprint = index.fingerprint
    # A scan is derived from the verdicts that admitted the record and the benchmark index.
    verdict_ids = admitting_verdict_ids(store, loaded, generations)
    scan_ids = {gid: content_id("scan", gid, fingerprint, verdict_ids[gid]) for gid in ids}
    stored = store.query_with_ids(
        "contamination_verdicts_for_generations", ids, index_fingerprint=fingerprint
    )
    done = set(stored["scan_id"])
    todo = generations[[scan_ids[gid] not in done for gid in ids]]
    log(f"{len(items)} benchmark items indexed ({fingerprint[:12]}); scanning {len(todo)} "
        f"of {len(ids)} records ({len(ids) - len(todo)} already scanned)")

    verdict_rows, hit_rows, edges = [], [], []
    for row in todo.itertuples():
        task, response = training_pair(row.seed_kind, row.seed_payload, row.fields, row.text)
        hits = index.find_hits(training_text(task, response))
        scan_id = scan_ids[row.generation_id]
        verdict_rows.append({
            "scan_id": scan_id, "generation_id": row.generation_id,
            "index_fingerprint": fingerprint, "contaminated": bool(hits), "hit_count": len(hits),
        })
        edges.append((scan_id, row.generation_id, "scans"))
        edges += [(scan_id, vid, "after_verdict") for vid in verdict_ids[row.generation_id]]
        for hit in hits:
            hit_id = content_id("hit", scan_id, hit.benchmark, hit.item_id, DETECTOR)
            hit_rows.append({
                "hit_id": hit_id, "scan_id": scan_id, "generation_id": row.generation_id,
                "benchmark": hit.benchmark, "item_id": hit.item_id, "detector": DETECTOR,
                "score": hit.matched_count / max(hit.item_ngram_count, 1),
                "evidence": f"matched {spec.contamination.ngram_n}-gram: {hit.matched_ngram!r} "
                            f"({hit.matched_count} of {hit.item_ngram_count} item n-grams)",
                "item_excerpt": excerpts[(hit.benchmark, hit.item_id)],
            })
            edges.append((hit_id, scan_id, "found_in"))
    with store.writer() as writer:
        writer.insert_new("contamination_verdicts", verdict_rows)
        writer.insert_new("contamination_hits", hit_rows)
        writer.link(edges)

    verdicts = store.query_with_ids(
        "contamination_verdicts_for_generations", ids, index_fingerprint=fingerprint
    )
    verdicts = verdicts[verdicts["scan_id"].isin(set(scan_ids.values()))]
    contaminated = set(verdicts.loc[verdicts["contaminated"], "generation_id"])
    # The clean set is stored as the scans that cleared each record: the mixture links to them.
    clean_scan_ids = [scan_ids[gid] for gid in ids if gid not in contaminated]
    with store.writer() as writer:
        snapshot_id = writer.record_snapshot(STAGE, "*", clean_scan_ids)

    hits = store.query_with_ids(
        "contamination_hits_for_generations", ids, index_fingerprint=fingerprint
    )
    hits = hits[hits["scan_id"].isin(set(scan_ids.values()))]
    return ContaminationStageResult(
        snapshot_id=snapshot_id,
        scanned=len(ids),
        contaminated=len(contaminated),
        newly_scanned=len(todo),
        index_fingerprint=fingerprint,
        per_benchmark=_per_benchmark(loaded, items, hits, len(ids)),
        worst_hits=hits.head(5).merge(
            generations[["generation_id", "text"]], on="generation_id", how="left"
        ),
    )


def _per_benchmark(
    loaded: LoadedSpec, items: list[BenchmarkItem], hits: pd.DataFrame, scanned: int
) -> pd.DataFrame:
    rows = []
    for name in loaded.spec.benchmarks:
        of_benchmark = hits[hits["benchmark"] == name]
        records_hit = of_benchmark["generation_id"].nunique()
        rows.append({
            "benchmark": name,
            "benchmark_items": sum(1 for item in items if item.benchmark == name),
            "items_hit": of_benchmark["item_id"].nunique(),
            "records_scanned": scanned,
            "records_hit": records_hit,
            "contaminated_rate": records_hit / scanned if scanned else 0.0,
        })
    return pd.DataFrame(rows, columns=["benchmark", "benchmark_items", "items_hit",
                                       "records_scanned", "records_hit", "contaminated_rate"])
