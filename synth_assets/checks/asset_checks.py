"""Each stage's Great Expectations suite as a blocking Dagster asset check: a failure stops
every downstream stage of the same run."""

import warnings
from collections.abc import Callable

import dagster as dg
import pandas as pd

from synth_assets.assets.partitions import GENERATION_PARTITIONS
from synth_assets.assets.pipeline import ContaminationSnapshots
from synth_assets.checks.diversity_suite import diversity_suite
from synth_assets.checks.ge_adapter import Expectation, validate_frame
from synth_assets.checks.mixture_suite import final_mixtures_suite
from synth_assets.checks.preference_suite import preference_sets_suite
from synth_assets.checks.suites import (
    contamination_reports_suite,
    seed_sets_suite,
    teacher_generations_suite,
    verified_subsets_suite,
)
from synth_assets.resources import SynthStore

SuiteFrame = tuple[pd.DataFrame, list[Expectation]]  # what a suite validates, and how

# Checks of the partitioned stages are partitioned alike (a Dagster preview feature), so each
# runs on the partition its run materialized.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")


def _suite_result(synth: SynthStore, suite_name: str, suite: Callable[..., SuiteFrame],
                  *snapshots: object) -> dg.AssetCheckResult:
    """Build the suite's frame and validate it, the store kept open meanwhile: a suite makes no
    LLM call, and each of its queries would otherwise open and close the file (tens of ms)."""
    store = synth.store()
    with store.kept_open():
        frame, expectations = suite(store, synth.load_spec(), *snapshots)
        return validate_frame(frame, expectations, suite_name, store)


@dg.asset_check(asset="seed_sets", blocking=True,
                description="GE suite: seeds have unique ids, known sets and kinds, and every "
                            "set has its minimum size.")
def seed_sets_expectations(synth: SynthStore, seed_sets: str) -> dg.AssetCheckResult:
    return _suite_result(synth, "seed_sets", seed_sets_suite, seed_sets)


@dg.asset_check(asset="teacher_generations", blocking=True,
                partitions_def=GENERATION_PARTITIONS,
                description="GE suite: generations have unique ids, known recipes, no empty text, "
                            "non-negative tokens, cost and latency, and a minimum count.")
def teacher_generations_expectations(
    synth: SynthStore, teacher_generations: str
) -> dg.AssetCheckResult:
    return _suite_result(synth, "teacher_generations", teacher_generations_suite,
                         teacher_generations)


@dg.asset_check(asset="verified_subsets", blocking=True,
                partitions_def=GENERATION_PARTITIONS,
                additional_ins={"teacher_generations": dg.AssetIn("teacher_generations")},
                description="GE suite: the overall verifier pass rate is at least the spec's "
                            "quality.min_pass_rate.")
def verified_subsets_expectations(
    synth: SynthStore, verified_subsets: str, teacher_generations: str
) -> dg.AssetCheckResult:
    return _suite_result(synth, "verified_subsets", verified_subsets_suite, verified_subsets,
                         teacher_generations)


@dg.asset_check(asset="contamination_reports", blocking=True,
                description="GE suite: the share of verified records overlapping a benchmark is "
                            "below the spec's contamination.max_contaminated_rate.")
def contamination_reports_expectations(
    synth: SynthStore, contamination_reports: ContaminationSnapshots
) -> dg.AssetCheckResult:
    return _suite_result(synth, "contamination_reports", contamination_reports_suite,
                         contamination_reports.clean, contamination_reports.scanned)


@dg.asset_check(asset="final_mixtures", blocking=True,
                description="GE suite: each mixture against its spec: component ratios, counts "
                            "or token budgets, the real-data floor, no contaminated record, no "
                            "duplicate ids, no empty texts, a minimum count.")
def final_mixtures_expectations(
    synth: SynthStore, final_mixtures: dict[str, str]
) -> dg.AssetCheckResult:
    return _suite_result(synth, "final_mixtures", final_mixtures_suite, final_mixtures)


@dg.asset_check(asset="preference_sets", blocking=True,
                description="GE suite: each preference set against its spec: every source's "
                            "requested count met, no pair with identical or empty sides, no "
                            "side overlapping a benchmark.")
def preference_sets_expectations(
    synth: SynthStore, preference_sets: dict[str, str]
) -> dg.AssetCheckResult:
    return _suite_result(synth, "preference_sets", preference_sets_suite, preference_sets)


_DIVERSITY = ("GE suite: no recipe's records collapse: distinct-2 (on fixed-size samples) at "
              "least quality.min_distinct_2 and at most quality.max_distinct_2_drop below its "
              "earlier days, exact and near duplicates at most quality.max_duplicate_share.")


def _diversity(synth: SynthStore, snapshot_id: str, asset: str) -> dg.AssetCheckResult:
    return _suite_result(synth, f"{asset}_diversity", diversity_suite, snapshot_id)


@dg.asset_check(asset="teacher_generations", blocking=True, description=_DIVERSITY,
                partitions_def=GENERATION_PARTITIONS)
def teacher_generations_diversity(synth: SynthStore, teacher_generations: str
                                  ) -> dg.AssetCheckResult:
    return _diversity(synth, teacher_generations, "teacher_generations")


@dg.asset_check(asset="verified_subsets", blocking=True, description=_DIVERSITY,
                partitions_def=GENERATION_PARTITIONS)
def verified_subsets_diversity(synth: SynthStore, verified_subsets: str) -> dg.AssetCheckResult:
    return _diversity(synth, verified_subsets, "verified_subsets")


PIPELINE_CHECKS = [
    seed_sets_expectations,
    teacher_generations_expectations,
    verified_subsets_expectations,
    contamination_reports_expectations,
    final_mixtures_expectations,
    preference_sets_expectations,
    teacher_generations_diversity,
    verified_subsets_diversity,
]
