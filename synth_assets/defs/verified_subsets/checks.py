"""The blocking checks of verified_subsets, run in its step: its GE suite and the diversity
suite."""

import dagster as dg

from synth_assets.defs.blocking_checks import BlockingCheck, BlockingChecks
from synth_assets.defs.diversity.checks import DESCRIPTION, diversity_result
from synth_assets.defs.ge_adapter import suite_result
from synth_assets.defs.partitions import GENERATION_PARTITIONS
from synth_assets.defs.resources import SynthStore
from synth_assets.defs.verified_subsets.suite import verified_subsets_suite
from synth_assets.lineage.stages import VERIFIED_SUBSETS


def verified_subsets_expectations(
    synth: SynthStore, verified_subsets: str, teacher_generations: str
) -> dg.AssetCheckResult:
    return suite_result(synth, VERIFIED_SUBSETS, verified_subsets_suite, verified_subsets,
                        teacher_generations)


def verified_subsets_diversity(synth: SynthStore, verified_subsets: str) -> dg.AssetCheckResult:
    return diversity_result(synth, verified_subsets, VERIFIED_SUBSETS)


VERIFIED_SUBSETS_CHECKS = BlockingChecks((
    BlockingCheck(VERIFIED_SUBSETS, "verified_subsets_expectations",
                  "GE suite: the overall verifier pass rate is at least the spec's "
                  "quality.min_pass_rate.", verified_subsets_expectations,
                  GENERATION_PARTITIONS),
    BlockingCheck(VERIFIED_SUBSETS, "verified_subsets_diversity", DESCRIPTION,
                  verified_subsets_diversity, GENERATION_PARTITIONS),
))
