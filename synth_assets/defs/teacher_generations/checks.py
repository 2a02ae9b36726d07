"""The blocking checks of teacher_generations: its GE suite and the diversity suite."""

import dagster as dg

from synth_assets.defs.diversity.checks import DESCRIPTION, diversity_result
from synth_assets.defs.ge_adapter import validate_frame
from synth_assets.defs.partitions import GENERATION_PARTITIONS
from synth_assets.defs.resources import SynthStore
from synth_assets.defs.teacher_generations.suite import teacher_generations_suite


@dg.asset_check(asset="teacher_generations", blocking=True,
                partitions_def=GENERATION_PARTITIONS,
                description="GE suite: generations have unique ids, known recipes, no empty text, "
                            "non-negative tokens, cost and latency, and a minimum count.")
def teacher_generations_expectations(
    synth: SynthStore, teacher_generations: str
) -> dg.AssetCheckResult:
    frame, expectations = teacher_generations_suite(
        synth.store(), synth.load_spec(), teacher_generations
    )
    return validate_frame(frame, expectations, "teacher_generations")


@dg.asset_check(asset="teacher_generations", blocking=True, description=DESCRIPTION,
                partitions_def=GENERATION_PARTITIONS)
def teacher_generations_diversity(synth: SynthStore, teacher_generations: str
                                  ) -> dg.AssetCheckResult:
    return diversity_result(synth, teacher_generations, "teacher_generations")
