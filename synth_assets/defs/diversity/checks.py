"""The diversity suite as a blocking check, the same for both generation stages: each stage's
checks.py declares its check with this description and returns `diversity_result`."""

import dagster as dg

from synth_assets.defs.diversity.suite import diversity_suite
from synth_assets.defs.ge_adapter import suite_result
from synth_assets.defs.resources import SynthStore

DESCRIPTION = ("GE suite: no recipe's records collapse: distinct-2 (on fixed-size samples) at "
               "least quality.min_distinct_2 and at most quality.max_distinct_2_drop below its "
               "earlier days, exact and near duplicates at most quality.max_duplicate_share.")


def diversity_result(synth: SynthStore, snapshot_id: str, asset: str) -> dg.AssetCheckResult:
    return suite_result(synth, f"{asset}_diversity", diversity_suite, snapshot_id)
