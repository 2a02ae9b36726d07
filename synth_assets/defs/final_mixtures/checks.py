"""The blocking check of final_mixtures, run in its step: its GE suite."""

import dagster as dg

from synth_assets.defs.blocking_checks import BlockingCheck, BlockingChecks
from synth_assets.defs.final_mixtures.suite import final_mixtures_suite
from synth_assets.defs.ge_adapter import suite_result
from synth_assets.defs.resources import SynthStore
from synth_assets.lineage.stages import FINAL_MIXTURES


def final_mixtures_expectations(
    synth: SynthStore, final_mixtures: dict[str, str]
) -> dg.AssetCheckResult:
    return suite_result(synth, FINAL_MIXTURES, final_mixtures_suite, final_mixtures)


FINAL_MIXTURES_CHECKS = BlockingChecks((
    BlockingCheck(FINAL_MIXTURES, "final_mixtures_expectations",
                  "GE suite: each mixture against its spec: component ratios, counts or token "
                  "budgets, the real-data floor, no contaminated record, no duplicate ids, no "
                  "empty texts, a minimum count.", final_mixtures_expectations),
))
