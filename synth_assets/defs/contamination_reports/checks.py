"""The blocking check of contamination_reports: its GE suite."""

import dagster as dg

from synth_assets.defs.contamination_reports.asset import ContaminationSnapshots
from synth_assets.defs.contamination_reports.suite import contamination_reports_suite
from synth_assets.defs.ge_adapter import suite_result
from synth_assets.defs.resources import SynthStore
from synth_assets.lineage.stages import CONTAMINATION_REPORTS


@dg.asset_check(asset=CONTAMINATION_REPORTS, blocking=True,
                description="GE suite: the share of verified records overlapping a benchmark is "
                            "below the spec's contamination.max_contaminated_rate.")
def contamination_reports_expectations(
    synth: SynthStore, contamination_reports: ContaminationSnapshots
) -> dg.AssetCheckResult:
    return suite_result(synth, CONTAMINATION_REPORTS, contamination_reports_suite,
                        contamination_reports.clean, contamination_reports.scanned)
