"""The blocking checks of teacher_generations, each a step of its own (the asset's output is
optional: see defs/blocking_checks.py): its GE suite and the diversity suite."""

import dagster as dg

from synth_assets.defs.blocking_checks import BlockingCheck
from synth_assets.defs.diversity.checks import DESCRIPTION, diversity_result
from synth_assets.defs.ge_adapter import suite_result
from synth_assets.defs.partitions import GENERATION_PARTITIONS
from synth_assets.defs.resources import SynthStore
from synth_assets.defs.teacher_generations.suite import teacher_generations_suite
from synth_assets.lineage.stages import TEACHER_GENERATIONS


def teacher_generations_expectations(
    synth: SynthStore, teacher_generations: str
) -> dg.AssetCheckResult:
    return suite_result(synth, TEACHER_GENERATIONS, teacher_generations_suite, teacher_generations)


def teacher_generations_diversity(synth: SynthStore, teacher_generations: str
                                  ) -> dg.AssetCheckResult:
    return diversity_result(synth, teacher_generations, TEACHER_GENERATIONS)


teacher_generations_expectations_step = BlockingCheck(
    TEACHER_GENERATIONS, "teacher_generations_expectations",
    "GE suite: generations have unique ids, known recipes, no empty text, non-negative tokens, "
    "cost and latency, and a minimum count.", teacher_generations_expectations,
    GENERATION_PARTITIONS).own_step()
teacher_generations_diversity_step = BlockingCheck(
    TEACHER_GENERATIONS, "teacher_generations_diversity", DESCRIPTION,
    teacher_generations_diversity, GENERATION_PARTITIONS).own_step()
