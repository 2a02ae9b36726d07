"""The blocking check of contamination_reports: its GE suite."""

import dagster as dg

from synth_assets.defs.contamination_reports.asset import ContaminationSnapshots
from synth_assets.defs.contamination_reports.suite import contamination_reports_suite
from synth_assets.defs.ge_adapter import validate_frame
from synth_assets.defs.resources import SynthStore


@dg.asset_check(asset="contamination_reports", blocking=True,
                description="GE suite: the share of verified records overlapping a benchmark is "
                            "below the spec's contamination.max_contaminated_rate.")
def contamination_reports_expectations(
    synth: SynthStore, contamination_reports: ContaminationSnapshots
) -> dg.AssetCheckResult:
    frame, expectations = contamination_reports_suite(
        synth.store(), synth.load_spec(), contamination_reports.clean,
        contamination_reports.scanned,
    )
    return validate_frame(frame, expectations, "contamination_reports")
