"""Preference pairs from what verification already knows: several samples per prompt, the
verdict ledger and constitutional drafts beside their revisions. Pairing runs inside DuckDB
(sql/preferences.sql), so nothing that grows with the samples sits in Python memory: the
samples, every source's pairs and the seeded picks are temp tables; Python only streams the
texts to scan through the detectors and the rows to export.

- verifier pairs: per prompt, a sample the admission rule admits (chosen) against one that failed
  at least one verifier (rejected). The chosen sample is the first in seeded hash order; the
  rejected one is the sample that failed the FEWEST verifiers (a hard negative), ties broken in
  seeded hash order.
- score pairs: per prompt, the highest-scored admitted sample against the lowest-scored sample
  of one verifier, when the scores differ by at least `min_margin` (UltraFeedback's
  binarization; the chosen side must also be admitted, so it has passed the contamination scan).
- revision pairs: per prompt of a revising recipe (constitutional), an admitted revision
  against the draft its seed holds.

The chosen side is always a member of the clean contamination snapshot. The rejected side was
never admitted, so contamination_reports did not scan it: each distinct rejected text is scanned
here once by the same detectors, and a pair whose rejected answer hits a benchmark is left out.
With `count`, a source keeps its first pairs in seeded hash order. Everything is ordered by ids
and hashes, never by time: the same inputs and seed give the same pairs.
"""

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from synth_assets.decontam.detectors import DetectorSuite
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.stages import PREFERENCE_SETS
from synth_assets.lineage.store import StoreWriter
from synth_assets.recipes.seeds import register_task_fields
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import revises_seed_draft
from synth_assets.verdict_ledger import current_verifiers

SQL = "preferences.sql"
STAGE = PREFERENCE_SETS
CANDIDATES_STAGE = "preference_sets_candidates"
CONTAMINATED_STAGE = "preference_sets_contaminated"
SCAN_BATCH_ROWS = 5_000


@dataclass(frozen=True)
class BenchmarkScan:
    """Whether each text hits a benchmark, and the fingerprint of what decides it (detectors,
    thresholds, benchmark items): part of a materialization's settings."""

    fingerprint: str
    hits: Callable[[list[str]], list[bool]]


def contamination_scanner(suite: DetectorSuite) -> BenchmarkScan:
    """The contamination stage's detectors, with the same thresholds."""
    def scan(texts: list[str]) -> list[bool]:
        return [bool(found.hits) for found in suite.scan(texts)]
    return BenchmarkScan(suite.fingerprint, scan)


@dataclass(frozen=True)
class PhaseTime:
    wall_s: float
    cpu_s: float        # every thread of the process, DuckDB's included


@dataclass(frozen=True)
class PairedSet:
    """One materialization of a preference set, stored; its picks stay in the writer's
    connection as the temp table preference_picks (and the RL prompts as preference_rl_prompts)
    for the export to stream."""

    materialization_id: str
    snapshot_id: str
    counts: dict[str, int]                  # pairs per source of the set
    timings: dict[str, PhaseTime] = field(default_factory=dict)


@contextmanager
def timed(timings: dict[str, PhaseTime], phase: str) -> Iterator[None]:
    """Record the wall and CPU time the block takes as `phase`."""
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    timings[phase] = PhaseTime(time.perf_counter() - wall, time.process_time() - cpu)


def pair_set(writer: StoreWriter, loaded: LoadedSpec, name: str, clean_snapshot_id: str,
             judged_snapshot_id: str, scan: BenchmarkScan, run_id: str) -> PairedSet:
    """Form, pick and store the pairs of one preference set, with their edges, the snapshots
    of its candidates, of the candidates left out as contaminated and of its pairs, and its
    materialization record; then the RL prompts (temp table preference_rl_prompts)."""
    spec = loaded.spec.preference_sets[name]
    timings: dict[str, PhaseTime] = {}
    versions = {v: version for v, (_, version) in current_verifiers(loaded).items()}
    settings = preference_settings(loaded, name, versions, scan.fingerprint)
    _register_inputs(writer, loaded, name, versions)
    writer.execute(SQL, "create_preference_macros")
    writer.execute(SQL, "create_preference_training_pairs")
    with timed(timings, "samples"):
        writer.execute(SQL, "create_preference_samples", judged_snapshot_id=judged_snapshot_id,
                       clean_snapshot_id=clean_snapshot_id, seed=str(spec.seed),
                       dedup=loaded.spec.dedup.enabled,
                       score_verifier=spec.score_pairs.verifier if spec.score_pairs else "")
    with timed(timings, "pair"):
        writer.execute(SQL, "create_preference_candidates",
                       preference_set_json=json.dumps(name, ensure_ascii=False),
                       min_margin=spec.score_pairs.min_margin if spec.score_pairs else 0.0)
    with timed(timings, "scan_rejected"):
        register_texts(writer, "contaminated_texts", texts_that_hit(writer, "rejected_texts",
                                                                     scan))
    with timed(timings, "picks"):
        writer.execute(SQL, "create_preference_picks", seed=str(spec.seed))
    with timed(timings, "store_pairs"):
        writer.execute(SQL, "insert_preference_pairs", preference_set=name)
        writer.execute(SQL, "insert_preference_edges")
    with timed(timings, "snapshots"):
        candidates = writer.record_snapshot_of(CANDIDATES_STAGE, name, SQL, "candidate_pair_ids")
        contaminated = writer.record_snapshot_of(CONTAMINATED_STAGE, name, SQL,
                                                 "contaminated_pair_ids")
        snapshot_id = writer.record_snapshot_of(STAGE, name, SQL, "preference_pick_ids")
        found = {row["source"]: row["pairs"] for row in writer.fetch(SQL,
                                                                      "preference_pick_counts")}
        counts = {source: found.get(source, 0)
                  for source, wanted in spec.sources.items() if wanted is not None}
        materialization_id = content_id("prefmat", name, snapshot_id, candidates, contaminated,
                                        clean_snapshot_id, judged_snapshot_id, loaded.spec_hash,
                                        settings)
        writer.execute(SQL, "insert_preference_materialization",
                       materialization_id=materialization_id, preference_set=name,
                       pairs_snapshot_id=snapshot_id, candidates_snapshot_id=candidates,
                       contaminated_snapshot_id=contaminated, clean_snapshot_id=clean_snapshot_id,
                       judged_snapshot_id=judged_snapshot_id, spec_hash=loaded.spec_hash,
                       settings=json.dumps(settings, sort_keys=True),
                       counts=json.dumps(counts, sort_keys=True), run_id=run_id)
    if spec.rl_prompts:
        with timed(timings, "rl_prompts"):
            writer.execute(SQL, "create_preference_rl_prompts")
            register_texts(writer, "contaminated_prompts",
                            texts_that_hit(writer, "uncleared_prompts", scan))
            writer.execute(SQL, "drop_contaminated_rl_prompts")
    return PairedSet(materialization_id, snapshot_id, counts, timings)


def texts_that_hit(writer: StoreWriter, statement_name: str, scan: BenchmarkScan,
                   **params: Any) -> list[str]:
    """Of the texts a statement selects (column `text`, each once), those that hit a benchmark,
    scanned batch by batch as they stream out of DuckDB."""
    hit = []
    for batch in writer.batches(SQL, statement_name, SCAN_BATCH_ROWS, **params):
        texts = batch.column("text").to_pylist()
        hit += [text for text, dirty in zip(texts, scan.hits(texts), strict=True) if dirty]
    return hit


def register_texts(writer: StoreWriter, table: str, texts: list[str]) -> None:
    writer.register(table, [{"text": text} for text in texts], ["text"])


def preference_settings(loaded: LoadedSpec, name: str, versions: dict[str, str],
                        scan_fingerprint: str) -> dict[str, Any]:
    """Everything in the spec that decides which pairs the set may hold; `synth diff` compares
    it between materializations to name what changed."""
    spec = loaded.spec
    preference_set = spec.preference_sets[name]
    return {
        "preference_set": preference_set.model_dump(mode="json"),
        "recipe_verifiers": {
            recipe: {v: {"version": versions[v], "min_score": spec.verifiers[v].min_score}
                     for v in spec.recipes[recipe].verifiers}
            for recipe in preference_set.recipes},
        "dedup": spec.dedup.enabled,
        "benchmark_scan": scan_fingerprint,
    }


def _register_inputs(writer: StoreWriter, loaded: LoadedSpec, name: str,
                     versions: dict[str, str]) -> None:
    spec = loaded.spec
    preference_set = spec.preference_sets[name]
    writer.register("preference_recipes", [
        {"recipe": recipe, "revises_draft": revises_seed_draft(spec.recipes[recipe]),
         "rl_verifiers": rl_verifiers(loaded, recipe) if preference_set.rl_prompts else None}
        for recipe in preference_set.recipes
    ], ["recipe", "revises_draft", "rl_verifiers"])
    writer.register("recipe_verifiers", [
        {"recipe": recipe, "verifier": v, "version": versions[v],
         "min_score": spec.verifiers[v].min_score}
        for recipe in preference_set.recipes for v in spec.recipes[recipe].verifiers
    ], ["recipe", "verifier", "version", "min_score"])
    register_task_fields(writer)
    writer.register("pair_sources", [
        {"source": source, "pair_count": wanted.count}
        for source, wanted in preference_set.sources.items() if wanted is not None
    ], ["source", "pair_count"])


def rl_verifiers(loaded: LoadedSpec, recipe: str) -> str | None:
    """The verifiers (JSON: name, type, options, min_score) an RL prompt of the recipe carries
    for its reward; None when the recipe exports no RL prompts: only recipes with the `text`
    parser do (the record is then the raw answer, so a completion is judged exactly as a
    generation was)."""
    spec = loaded.spec
    if spec.recipes[recipe].parser.type != "text":
        return None
    return json.dumps([{"name": v, "type": spec.verifiers[v].type,
                        "options": spec.verifiers[v].options,
                        "min_score": spec.verifiers[v].min_score}
                       for v in spec.recipes[recipe].verifiers], sort_keys=True)
