"""The blocking checks of seed_sets (the budget gate, also on seed_sets, is in defs/budget)."""

import dagster as dg

from synth_assets.defs.ge_adapter import validate_frame
from synth_assets.defs.resources import SynthStore
from synth_assets.defs.seed_sets.suite import seed_sets_suite


@dg.asset_check(asset="seed_sets", blocking=True,
                description="GE suite: seeds have unique ids, known sets and kinds, and every "
                            "set has its minimum size.")
def seed_sets_expectations(synth: SynthStore, seed_sets: str) -> dg.AssetCheckResult:
    frame, expectations = seed_sets_suite(synth.store(), synth.load_spec(), seed_sets)
    return validate_frame(frame, expectations, "seed_sets")
