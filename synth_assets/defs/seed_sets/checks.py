"""The blocking checks of seed_sets (the budget gate, also on seed_sets, is in defs/budget)."""

import dagster as dg

from synth_assets.defs.ge_adapter import suite_result
from synth_assets.defs.resources import SynthStore
from synth_assets.defs.seed_sets.suite import seed_sets_suite
from synth_assets.lineage.stages import SEED_SETS


@dg.asset_check(asset=SEED_SETS, blocking=True,
                description="GE suite: seeds have unique ids, known sets and kinds, and every "
                            "set has its minimum size.")
def seed_sets_expectations(synth: SynthStore, seed_sets: str) -> dg.AssetCheckResult:
    return suite_result(synth, SEED_SETS, seed_sets_suite, seed_sets)
