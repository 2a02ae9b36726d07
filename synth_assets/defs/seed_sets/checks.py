"""The blocking checks of seed_sets, run in its step: its GE suite, and the budget gate (in
defs/budget, before any teacher call)."""

import dagster as dg

from synth_assets.defs.blocking_checks import BlockingCheck, BlockingChecks
from synth_assets.defs.budget.check import TEACHER_BUDGET
from synth_assets.defs.ge_adapter import suite_result
from synth_assets.defs.resources import SynthStore
from synth_assets.defs.seed_sets.suite import seed_sets_suite
from synth_assets.lineage.stages import SEED_SETS


def seed_sets_expectations(synth: SynthStore, seed_sets: str) -> dg.AssetCheckResult:
    return suite_result(synth, SEED_SETS, seed_sets_suite, seed_sets)


SEED_SETS_CHECKS = BlockingChecks((
    BlockingCheck(SEED_SETS, "seed_sets_expectations",
                  "GE suite: seeds have unique ids, known sets and kinds, and every set has its "
                  "minimum size.", seed_sets_expectations),
    TEACHER_BUDGET,
))
