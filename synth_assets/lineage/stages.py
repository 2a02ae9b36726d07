"""The stage names: each stage's Dagster asset name, which is also the `stage` its snapshots
carry in the store. Code that names a stage uses these."""

SEED_SETS = "seed_sets"
TEACHER_GENERATIONS = "teacher_generations"
VERIFIED_SUBSETS = "verified_subsets"
CONTAMINATION_REPORTS = "contamination_reports"
FINAL_MIXTURES = "final_mixtures"
FINAL_MIXTURES_POOL = "final_mixtures_pool"  # snapshots only: what a mixture could pick from
PREFERENCE_SETS = "preference_sets"
