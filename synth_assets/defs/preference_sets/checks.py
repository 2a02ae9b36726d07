"""The blocking check of preference_sets: its GE suite."""

import dagster as dg

from synth_assets.defs.ge_adapter import validate_frame
from synth_assets.defs.preference_sets.suite import preference_sets_suite
from synth_assets.defs.resources import SynthStore


@dg.asset_check(asset="preference_sets", blocking=True,
                description="GE suite: each preference set against its spec: every source's "
                            "requested count met, no pair with identical or empty sides, no "
                            "side overlapping a benchmark.")
def preference_sets_expectations(
    synth: SynthStore, preference_sets: dict[str, str]
) -> dg.AssetCheckResult:
    frame, expectations = preference_sets_suite(synth.store(), synth.load_spec(), preference_sets)
    return validate_frame(frame, expectations, "preference_sets")
