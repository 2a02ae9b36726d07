"""The blocking check of final_mixtures: its GE suite."""

import dagster as dg

from synth_assets.defs.final_mixtures.suite import final_mixtures_suite
from synth_assets.defs.ge_adapter import validate_frame
from synth_assets.defs.resources import SynthStore


@dg.asset_check(asset="final_mixtures", blocking=True,
                description="GE suite: each mixture against its spec: component ratios, counts "
                            "or token budgets, the real-data floor, no contaminated record, no "
                            "duplicate ids, no empty texts, a minimum count.")
def final_mixtures_expectations(
    synth: SynthStore, final_mixtures: dict[str, str]
) -> dg.AssetCheckResult:
    frame, expectations = final_mixtures_suite(synth.store(), synth.load_spec(), final_mixtures)
    return validate_frame(frame, expectations, "final_mixtures")
