"""The final_mixtures asset: clean synthetic records mixed with real data and exported."""

from pathlib import Path

import dagster as dg
import pandas as pd

from synth_assets.defs.automation import STAGE_AUTOMATION
from synth_assets.defs.contamination_reports.asset import ContaminationSnapshots
from synth_assets.defs.failures import input_errors_as_failure
from synth_assets.defs.final_mixtures.checks import FINAL_MIXTURES_CHECKS
from synth_assets.defs.metadata import markdown_table
from synth_assets.defs.resources import STORE_WRITERS_POOL, SynthStore
from synth_assets.defs.stage import GROUP, table_metadata, with_code_references
from synth_assets.stages.mixture_stage import run_mixture_stage
from synth_assets.stages.partitions import all_partitions_snapshot
from synth_assets.stages.teacher_stage import STAGE as TEACHER_STAGE


@with_code_references(run_mixture_stage)
@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb", "parquet"},
          deps=["teacher_generations"],
          automation_condition=STAGE_AUTOMATION["final_mixtures"],
          check_specs=FINAL_MIXTURES_CHECKS.specs, dagster_type=dict[str, str])
@input_errors_as_failure
@FINAL_MIXTURES_CHECKS.after_output
def final_mixtures(
    context: dg.AssetExecutionContext, synth: SynthStore,
    contamination_reports: ContaminationSnapshots,
) -> dg.Output[dict[str, str]]:
    """Clean synthetic records of every day and recipe mixed with real data as each mixture's
    components ask, exported (JSONL, Parquet, OpenAI chat, a datasets-loadable folder with a
    card) with a manifest."""
    with synth.analytic_store() as store:
        judged = all_partitions_snapshot(store, TEACHER_STAGE)
        results = run_mixture_stage(
            store, synth.load_spec(), contamination_reports.clean, judged,
            synth.export_root(), run_id=context.run.run_id, log=context.log.info,
        )
    metadata: dict[str, object] = {"mixtures": len(results)}
    for result in results:
        counts = result.manifest["counts"]
        metadata[f"{result.mixture}/records"] = counts["total"]
        metadata[f"{result.mixture}/synthetic"] = counts["synthetic"]
        metadata[f"{result.mixture}/real"] = counts["real"]
        metadata[f"{result.mixture}/materialization_id"] = result.materialization_id
        metadata[f"{result.mixture}/components"] = dg.MetadataValue.json(
            result.manifest["components"])
        metadata[f"{result.mixture}/export_dir"] = dg.MetadataValue.path(str(result.export_dir))
        metadata[f"{result.mixture}/preview"] = markdown_table(pd.DataFrame(
            result.preview, columns=["mixture_record_id", "component", "source_kind", "domain",
                                     "instruction", "response"]))
    return dg.Output({r.mixture: r.snapshot_id for r in results}, metadata={
        **metadata,
        **export_root_metadata(synth.export_root()),
        **table_metadata(synth.store(), "mixture_records", [r.snapshot_id for r in results]),
    })


def export_root_metadata(export_root: Path) -> dict[str, object]:
    """The folder holding every export (one folder per mixture or preference set): as a path,
    and as `dagster/uri`, the address Dagster's catalog shows for an asset."""
    folder = export_root.resolve()
    return {"export_root": dg.MetadataValue.path(str(folder)), "dagster/uri": folder.as_uri()}
