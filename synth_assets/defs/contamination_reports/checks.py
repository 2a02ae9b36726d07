"""The blocking check of contamination_reports, run in its step: its GE suite."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from synth_assets.defs.blocking_checks import BlockingCheck, BlockingChecks
from synth_assets.defs.contamination_reports.suite import contamination_reports_suite
from synth_assets.defs.ge_adapter import suite_result
from synth_assets.defs.resources import SynthStore
from synth_assets.lineage.stages import CONTAMINATION_REPORTS

if TYPE_CHECKING:  # asset.py declares the asset with these checks
    from synth_assets.defs.contamination_reports.asset import ContaminationSnapshots


def contamination_reports_expectations(
    synth: SynthStore, contamination_reports: ContaminationSnapshots
) -> dg.AssetCheckResult:
    return suite_result(synth, CONTAMINATION_REPORTS, contamination_reports_suite,
                        contamination_reports.clean, contamination_reports.scanned)


CONTAMINATION_REPORTS_CHECKS = BlockingChecks((
    BlockingCheck(CONTAMINATION_REPORTS, "contamination_reports_expectations",
                  "GE suite: the share of verified records overlapping a benchmark is below the "
                  "spec's contamination.max_contaminated_rate.",
                  contamination_reports_expectations),
))
