"""Each stage's Great Expectations suite as a blocking Dagster asset check: a failure stops
every downstream stage of the same run."""

import warnings

import dagster as dg

from synth_assets.assets.partitions import GENERATION_PARTITIONS
from synth_assets.assets.pipeline import ContaminationSnapshots
from synth_assets.checks.diversity_suite import diversity_suite
from synth_assets.checks.ge_adapter import validate_frame
from synth_assets.checks.mixture_suite import final_mixtures_suite
from synth_assets.checks.preference_suite import preference_sets_suite
from synth_assets.checks.suites import (
    contamination_reports_suite,
    seed_sets_suite,
    teacher_generations_suite,
    verified_subsets_suite,
)
from synth_assets.lineage.stages import (
    CONTAMINATION_REPORTS,
    FINAL_MIXTURES,
    PREFERENCE_SETS,
    SEED_SETS,
    TEACHER_GENERATIONS,
    VERIFIED_SUBSETS,
)
from synth_assets.resources import SynthStore

# Checks of the partitioned stages are partitioned alike (a Dagster preview feature), so each
# runs on the partition its run materialized.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")


@dg.asset_check(asset=SEED_SETS, blocking=True,
                description="GE suite: seeds have unique ids, known sets and kinds, and every "
                            "set has its minimum size.")
def seed_sets_expectations(synth: SynthStore, seed_sets: str) -> dg.AssetCheckResult:
    frame, expectations = seed_sets_suite(synth.store(), synth.load_spec(), seed_sets)
    return validate_frame(frame, expectations, SEED_SETS)


@dg.asset_check(asset=TEACHER_GENERATIONS, blocking=True,
                partitions_def=GENERATION_PARTITIONS,
                description="GE suite: generations have unique ids, known recipes, no empty text, "
                            "non-negative tokens, cost and latency, and a minimum count.")
def teacher_generations_expectations(
    synth: SynthStore, teacher_generations: str
) -> dg.AssetCheckResult:
    frame, expectations = teacher_generations_suite(
        synth.store(), synth.load_spec(), teacher_generations
    )
    return validate_frame(frame, expectations, TEACHER_GENERATIONS)


@dg.asset_check(asset=VERIFIED_SUBSETS, blocking=True,
                partitions_def=GENERATION_PARTITIONS,
                additional_ins={"teacher_generations": dg.AssetIn(TEACHER_GENERATIONS)},
                description="GE suite: the overall verifier pass rate is at least the spec's "
                            "quality.min_pass_rate.")
def verified_subsets_expectations(
    synth: SynthStore, verified_subsets: str, teacher_generations: str
) -> dg.AssetCheckResult:
    frame, expectations = verified_subsets_suite(
        synth.store(), synth.load_spec(), verified_subsets, teacher_generations
    )
    return validate_frame(frame, expectations, VERIFIED_SUBSETS)


@dg.asset_check(asset=CONTAMINATION_REPORTS, blocking=True,
                description="GE suite: the share of verified records overlapping a benchmark is "
                            "below the spec's contamination.max_contaminated_rate.")
def contamination_reports_expectations(
    synth: SynthStore, contamination_reports: ContaminationSnapshots
) -> dg.AssetCheckResult:
    frame, expectations = contamination_reports_suite(
        synth.store(), synth.load_spec(), contamination_reports.clean,
        contamination_reports.scanned,
    )
    return validate_frame(frame, expectations, CONTAMINATION_REPORTS)


@dg.asset_check(asset=FINAL_MIXTURES, blocking=True,
                description="GE suite: each mixture against its spec: component ratios, counts "
                            "or token budgets, the real-data floor, no contaminated record, no "
                            "duplicate ids, no empty texts, a minimum count.")
def final_mixtures_expectations(
    synth: SynthStore, final_mixtures: dict[str, str]
) -> dg.AssetCheckResult:
    frame, expectations = final_mixtures_suite(synth.store(), synth.load_spec(), final_mixtures)
    return validate_frame(frame, expectations, FINAL_MIXTURES)


@dg.asset_check(asset=PREFERENCE_SETS, blocking=True,
                description="GE suite: each preference set against its spec: every source's "
                            "requested count met, no pair with identical or empty sides, no "
                            "side overlapping a benchmark.")
def preference_sets_expectations(
    synth: SynthStore, preference_sets: dict[str, str]
) -> dg.AssetCheckResult:
    frame, expectations = preference_sets_suite(synth.store(), synth.load_spec(), preference_sets)
    return validate_frame(frame, expectations, PREFERENCE_SETS)


_DIVERSITY = ("GE suite: no recipe's records collapse: distinct-2 (on fixed-size samples) at "
              "least quality.min_distinct_2 and at most quality.max_distinct_2_drop below its "
              "earlier days, exact and near duplicates at most quality.max_duplicate_share.")


def _diversity(synth: SynthStore, snapshot_id: str, asset: str) -> dg.AssetCheckResult:
    frame, expectations = diversity_suite(synth.store(), synth.load_spec(), snapshot_id)
    return validate_frame(frame, expectations, f"{asset}_diversity")


@dg.asset_check(asset=TEACHER_GENERATIONS, blocking=True, description=_DIVERSITY,
                partitions_def=GENERATION_PARTITIONS)
def teacher_generations_diversity(synth: SynthStore, teacher_generations: str
                                  ) -> dg.AssetCheckResult:
    return _diversity(synth, teacher_generations, TEACHER_GENERATIONS)


@dg.asset_check(asset=VERIFIED_SUBSETS, blocking=True, description=_DIVERSITY,
                partitions_def=GENERATION_PARTITIONS)
def verified_subsets_diversity(synth: SynthStore, verified_subsets: str) -> dg.AssetCheckResult:
    return _diversity(synth, verified_subsets, VERIFIED_SUBSETS)


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
