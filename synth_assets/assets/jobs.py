"""The jobs a person, the schedule or a sensor starts. Runs of the first two target one
partition (a day and a recipe); seed_sets, unpartitioned, runs in them too so that the budget
gate checks exactly what the run would spend."""

import dagster as dg

from synth_assets.lineage.stages import (
    CONTAMINATION_REPORTS,
    FINAL_MIXTURES,
    PREFERENCE_SETS,
    SEED_SETS,
    TEACHER_GENERATIONS,
    VERIFIED_SUBSETS,
)

GENERATE_JOB = "generate"
PUBLISH_JOB = "publish"
PIPELINE_JOB = "full_pipeline"

generate = dg.define_asset_job(
    GENERATE_JOB,
    selection=dg.AssetSelection.assets(SEED_SETS, TEACHER_GENERATIONS, VERIFIED_SUBSETS),
    description="One recipe on one day: seeds, the budget gate, teacher calls, verification.",
)

publish = dg.define_asset_job(
    PUBLISH_JOB,
    selection=dg.AssetSelection.assets(CONTAMINATION_REPORTS, FINAL_MIXTURES,
                                       PREFERENCE_SETS),
    description="Every day and recipe together: contamination reports, the final mixtures and "
                "the preference sets.",
)

full_pipeline = dg.define_asset_job(
    PIPELINE_JOB,
    selection=dg.AssetSelection.all(),
    description="Seed sets to final mixtures for one recipe on one day (the mixtures draw on "
                "every partition), every stage guarded by its GE suite.",
)

JOBS = [generate, publish, full_pipeline]
