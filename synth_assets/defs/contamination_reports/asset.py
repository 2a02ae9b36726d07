"""The contamination_reports asset: every verified record scanned for benchmarks."""

from dataclasses import dataclass

import dagster as dg

from synth_assets.defs.automation import STAGE_AUTOMATION
from synth_assets.defs.contamination_reports.checks import CONTAMINATION_REPORTS_CHECKS
from synth_assets.defs.contamination_reports.metadata import worst_hits_markdown
from synth_assets.defs.failures import input_errors_as_failure
from synth_assets.defs.metadata import markdown_table
from synth_assets.defs.resources import STORE_WRITERS_POOL, SynthStore
from synth_assets.defs.stage import GROUP, table_metadata, with_code_references
from synth_assets.stages.contamination_stage import run_contamination_stage
from synth_assets.stages.partitions import all_partitions_snapshot
from synth_assets.stages.verify_stage import STAGE as VERIFY_STAGE


@dataclass(frozen=True)
class ContaminationSnapshots:
    """What contamination_reports passes on: the verified records it scanned, and the clean."""

    scanned: str
    clean: str


@with_code_references(run_contamination_stage)
@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb"}, deps=["verified_subsets"],
          automation_condition=STAGE_AUTOMATION["contamination_reports"],
          check_specs=CONTAMINATION_REPORTS_CHECKS.specs, dagster_type=ContaminationSnapshots)
@input_errors_as_failure
@CONTAMINATION_REPORTS_CHECKS.after_output
def contamination_reports(
    context: dg.AssetExecutionContext, synth: SynthStore
) -> dg.Output[ContaminationSnapshots]:
    """The verified records of every day and recipe scanned for benchmarks (n-gram, coverage,
    MinHash, semantic, optional LLM judge); contaminated records and those derived from
    contaminated seeds are held back."""
    with synth.analytic_store() as store:
        scanned = all_partitions_snapshot(store, VERIFY_STAGE)
        result = run_contamination_stage(store, synth.load_spec(), scanned, log=context.log.info)
    return dg.Output(ContaminationSnapshots(scanned=scanned, clean=result.snapshot_id), metadata={
        "snapshot_id": result.snapshot_id,
        "scanned_snapshot_id": scanned,
        "records_scanned": result.scanned,
        "records_contaminated": result.contaminated,
        "records_quarantined": result.quarantined,
        "records_clean": result.scanned - result.contaminated - result.quarantined,
        "contaminated_rate": ((result.contaminated + result.quarantined) / result.scanned
                              if result.scanned else 0.0),
        "newly_scanned": result.newly_scanned,
        "detectors": ", ".join(result.detectors),
        "index_fingerprint": result.index_fingerprint,
        "index_reused": result.index_reused,
        "judged_pairs": result.judged_pairs,
        "per_benchmark": markdown_table(result.per_benchmark),
        "worst_hits": worst_hits_markdown(result.worst_hits),
        **table_metadata(synth.store(), "generations", [result.snapshot_id]),
    })
