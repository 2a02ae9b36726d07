"""The blocking checks of verified_subsets: its GE suite and the diversity suite."""

import dagster as dg

from synth_assets.defs.diversity.checks import DESCRIPTION, diversity_result
from synth_assets.defs.ge_adapter import validate_frame
from synth_assets.defs.partitions import GENERATION_PARTITIONS
from synth_assets.defs.resources import SynthStore
from synth_assets.defs.verified_subsets.suite import verified_subsets_suite


@dg.asset_check(asset="verified_subsets", blocking=True,
                partitions_def=GENERATION_PARTITIONS,
                additional_ins={"teacher_generations": dg.AssetIn("teacher_generations")},
                description="GE suite: the overall verifier pass rate is at least the spec's "
                            "quality.min_pass_rate.")
def verified_subsets_expectations(
    synth: SynthStore, verified_subsets: str, teacher_generations: str
) -> dg.AssetCheckResult:
    frame, expectations = verified_subsets_suite(
        synth.store(), synth.load_spec(), verified_subsets, teacher_generations
    )
    return validate_frame(frame, expectations, "verified_subsets")


@dg.asset_check(asset="verified_subsets", blocking=True, description=DESCRIPTION,
                partitions_def=GENERATION_PARTITIONS)
def verified_subsets_diversity(synth: SynthStore, verified_subsets: str) -> dg.AssetCheckResult:
    return diversity_result(synth, verified_subsets, "verified_subsets")
