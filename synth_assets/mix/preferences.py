"""Preference pairs from what verification already knows: several samples per prompt, the
verdict ledger and constitutional drafts beside their revisions.

- verifier pairs: per prompt, a sample the admission rule admits (chosen) against one that failed
  at least one verifier (rejected). The chosen sample is the first in seeded hash order; the
  rejected one is the sample that failed the FEWEST verifiers (a hard negative), ties broken in
  seeded hash order.
- score pairs: per prompt, the highest-scored admitted sample against the lowest-scored sample
  of one verifier, when the scores differ by at least `min_margin` (UltraFeedback's
  binarization; the chosen side must also be admitted, so it has passed the contamination scan).
- revision pairs: per prompt of a revising recipe (constitutional), an admitted revision
  against the draft its seed holds.

The chosen side is always a member of the clean contamination snapshot (scanned, not
contaminated, not quarantined through its seed). The rejected side was never admitted, so
contamination_reports did not scan it: it is scanned here by the same detectors, and a pair
whose rejected answer hits a benchmark is left out. Both sides answer the same prompt, so the
task's scan is the chosen side's. With `count`, a source keeps its first pairs in seeded hash
order. Everything is ordered by ids and hashes, never by time: the same inputs and seed give
the same pairs.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from synth_assets.decontam.detectors import DetectorSuite
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.records import optional_text, training_pair
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import PreferenceSetSpec, revises_seed_draft
from synth_assets.verdict_ledger import (
    DEDUP,
    AdmittingVerdicts,
    rejections_now,
    stored_verdicts,
)
from synth_assets.verify.admission import NO_VERDICT

SQL = "preferences.sql"


@dataclass(frozen=True)
class Sample:
    """One generation as a side of a pair."""

    generation_id: str
    prompt_id: str
    seed_id: str
    recipe: str
    prompt: str
    answer: str
    seed_payload: str
    admitted: bool
    clean_scan_id: str | None
    failed: int                      # verifiers whose verdict rejects it (see load_samples)
    scores: dict[str, float]         # verifier -> score of its current verdict
    verdict_ids: tuple[str, ...]     # its current verdicts

    @property
    def chosen_ok(self) -> bool:
        return self.admitted and self.clean_scan_id is not None and bool(self.answer.strip())


@dataclass(frozen=True)
class Pair:
    pair_id: str
    source: str
    prompt_id: str
    prompt: str
    chosen: Sample
    rejected_id: str
    rejected: str
    rejected_verdict_ids: tuple[str, ...]
    chosen_score: float | None = None
    rejected_score: float | None = None
    rejected_failures: int | None = None

    def row(self, preference_set: str) -> dict[str, Any]:
        return {"pair_id": self.pair_id, "preference_set": preference_set,
                "source": self.source, "prompt_id": self.prompt_id,
                "chosen_id": self.chosen.generation_id, "rejected_id": self.rejected_id,
                "prompt": self.prompt, "chosen": self.chosen.answer, "rejected": self.rejected,
                "chosen_score": self.chosen_score, "rejected_score": self.rejected_score,
                "rejected_failures": self.rejected_failures}

    def edges(self) -> list[tuple[str, str, str]]:
        """To both sides, the scan that cleared the chosen one, and both sides' verdicts."""
        return [(self.pair_id, self.chosen.generation_id, "chosen"),
                (self.pair_id, self.rejected_id, "rejected"),
                (self.pair_id, str(self.chosen.clean_scan_id), "cleared_by"),
                *[(self.pair_id, v, "chosen_verdict") for v in self.chosen.verdict_ids],
                *[(self.pair_id, v, "rejected_verdict") for v in self.rejected_verdict_ids]]


def rank(seed: int, record_id: str) -> str:
    """The seeded hash order every choice follows."""
    return hashlib.md5(f"{seed}:{record_id}".encode()).hexdigest()


def load_samples(store: LineageStore, loaded: LoadedSpec, recipes: list[str],
                 judged_snapshot_id: str, clean_snapshot_id: str) -> list[Sample]:
    """The judged generations of the recipes with what pairing needs: the admission rule's
    verdict, the clean scan, and each verifier's current score."""
    frame = _candidates(store, recipes, judged_snapshot_id, clean_snapshot_id)
    if frame.empty:
        return []
    reasons = rejections_now(store, loaded, frame)
    ids = frame["generation_id"].tolist()
    current = AdmittingVerdicts(loaded).by_verifier(store, ids, frame["recipe"].tolist(),
                                                    frame["seed_payload"].tolist())
    verdicts = stored_verdicts(store, ids)
    samples = []
    for row, verdict_ids in zip(frame.itertuples(), current, strict=True):
        prompt, answer = training_pair(row.seed_kind, row.seed_payload,
                                       optional_text(row.fields), row.text)
        own = reasons[row.generation_id]
        samples.append(Sample(
            generation_id=row.generation_id, prompt_id=row.prompt_id, seed_id=row.seed_id,
            recipe=row.recipe, prompt=prompt, answer=answer, seed_payload=row.seed_payload,
            admitted=not own, clean_scan_id=optional_text(row.scan_id),
            # Only verdicts that reject count: a duplicate that passed, or a verifier with no
            # current verdict (a failed judge call), is not evidence that the answer is wrong.
            failed=sum(1 for verifier, reason in own.items()
                       if verifier != DEDUP and reason != NO_VERDICT),
            scores={name: verdicts[vid].score for name, vid in verdict_ids
                    if vid is not None and vid in verdicts},
            verdict_ids=tuple(vid for _, vid in verdict_ids
                              if vid is not None and vid in verdicts),
        ))
    return samples


def _candidates(store: LineageStore, recipes: list[str], judged_snapshot_id: str,
                clean_snapshot_id: str) -> pd.DataFrame:
    with store.writer() as writer:
        rows = writer.fetch(SQL, "preference_candidates", recipes=recipes,
                            judged_snapshot_id=judged_snapshot_id,
                            clean_snapshot_id=clean_snapshot_id)
    return pd.DataFrame(rows, columns=["generation_id", "recipe", "prompt_id", "seed_id",
                                       "sample_index", "text", "seed_kind", "seed_payload",
                                       "fields", "parse_error", "scan_id"])


def build_pairs(name: str, spec: PreferenceSetSpec, loaded: LoadedSpec, samples: list[Sample],
                is_contaminated: Callable[[list[str]], list[bool]]) -> list[Pair]:
    """Every source's pairs, in seeded order, each source cut to its count."""
    by_prompt: dict[str, list[Sample]] = {}
    for sample in sorted(samples, key=lambda s: (rank(spec.seed, s.generation_id),
                                                 s.generation_id)):
        by_prompt.setdefault(sample.prompt_id, []).append(sample)
    found: dict[str, list[Pair]] = {"verifier": [], "score": [], "revision": []}
    for prompt_id in sorted(by_prompt):
        group = by_prompt[prompt_id]
        chosen = [s for s in group if s.chosen_ok]
        if not chosen:
            continue
        if spec.verifier_pairs is not None:
            found["verifier"] += _verifier_pair(name, chosen[0], group)
        if spec.score_pairs is not None:
            found["score"] += _score_pair(name, spec, chosen, group)
        if spec.revision_pairs is not None \
                and revises_seed_draft(loaded.spec.recipes[chosen[0].recipe]):
            found["revision"] += _revision_pair(name, chosen[0])
    # The rejected answers were never scanned by contamination_reports: scan them now, once.
    candidates = [pair for pairs in found.values() for pair in pairs]
    hit = is_contaminated([pair.rejected for pair in candidates]) if candidates else []
    tainted = {pair.pair_id for pair, dirty in zip(candidates, hit, strict=True) if dirty}
    kept = []
    for source, source_spec in spec.sources.items():
        clean = sorted((p for p in found[source] if p.pair_id not in tainted),
                       key=lambda p: (rank(spec.seed, p.pair_id), p.pair_id))
        if source_spec is not None:
            kept += clean[:source_spec.count] if source_spec.count else clean
    return kept


def _differs(chosen: Sample, rejected_text: str) -> bool:
    return bool(rejected_text.strip()) and rejected_text.strip() != chosen.answer.strip()


def _verifier_pair(name: str, chosen: Sample, group: list[Sample]) -> list[Pair]:
    failed = [s for s in group if s.failed and _differs(chosen, s.answer)]
    if not failed:
        return []
    # `group` is in seeded order and sorting is stable: fewest failures, then seeded order.
    rejected = min(failed, key=lambda s: s.failed)
    return [Pair(content_id("pair", name, "verifier", chosen.generation_id,
                            rejected.generation_id),
                 "verifier", chosen.prompt_id, chosen.prompt, chosen, rejected.generation_id,
                 rejected.answer, rejected.verdict_ids, rejected_failures=rejected.failed)]


def _score_pair(name: str, spec: PreferenceSetSpec, chosen: list[Sample], group: list[Sample]
                ) -> list[Pair]:
    score = spec.score_pairs
    assert score is not None
    scored = [s for s in chosen if score.verifier in s.scores]
    if not scored:
        return []
    best = max(scored, key=lambda s: s.scores[score.verifier])   # first of the ties (seeded)
    others = [s for s in group if score.verifier in s.scores and _differs(best, s.answer)]
    if not others:
        return []
    worst = min(others, key=lambda s: s.scores[score.verifier])
    high, low = best.scores[score.verifier], worst.scores[score.verifier]
    if high - low < score.min_margin - 1e-12:
        return []
    return [Pair(content_id("pair", name, "score", best.generation_id, worst.generation_id),
                 "score", best.prompt_id, best.prompt, best, worst.generation_id, worst.answer,
                 worst.verdict_ids, chosen_score=high, rejected_score=low,
                 rejected_failures=worst.failed)]


def _revision_pair(name: str, chosen: Sample) -> list[Pair]:
    draft = json.loads(chosen.seed_payload).get("response")
    if not isinstance(draft, str) or not _differs(chosen, draft):
        return []
    return [Pair(content_id("pair", name, "revision", chosen.generation_id, chosen.seed_id),
                 "revision", chosen.prompt_id, chosen.prompt, chosen, chosen.seed_id, draft, ())]


def contamination_scanner(suite: DetectorSuite) -> Callable[[list[str]], list[bool]]:
    """Whether each text hits a benchmark under the spec's detectors (the contamination
    stage's, with the same thresholds)."""
    def scan(texts: list[str]) -> list[bool]:
        return [bool(found.hits) for found in suite.scan(texts)]
    return scan
