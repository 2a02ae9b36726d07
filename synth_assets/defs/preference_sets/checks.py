"""The blocking check of preference_sets, run in its step: its GE suite."""

import dagster as dg

from synth_assets.defs.blocking_checks import BlockingCheck, BlockingChecks
from synth_assets.defs.ge_adapter import suite_result
from synth_assets.defs.preference_sets.suite import preference_sets_suite
from synth_assets.defs.resources import SynthStore
from synth_assets.lineage.stages import PREFERENCE_SETS


def preference_sets_expectations(
    synth: SynthStore, preference_sets: dict[str, str]
) -> dg.AssetCheckResult:
    return suite_result(synth, PREFERENCE_SETS, preference_sets_suite, preference_sets)


PREFERENCE_SETS_CHECKS = BlockingChecks((
    BlockingCheck(PREFERENCE_SETS, "preference_sets_expectations",
                  "GE suite: each preference set against its spec: every source's requested "
                  "count met, no pair with identical or empty sides, no side overlapping a "
                  "benchmark.", preference_sets_expectations),
))
