"""The preference_sets asset: preference pairs and RL prompts, exported."""

import dagster as dg

from synth_assets.defs.automation import STAGE_AUTOMATION
from synth_assets.defs.contamination_reports.asset import ContaminationSnapshots
from synth_assets.defs.final_mixtures.asset import export_root_metadata
from synth_assets.defs.preference_sets.checks import PREFERENCE_SETS_CHECKS
from synth_assets.defs.resources import STORE_WRITERS_POOL, SynthStore
from synth_assets.defs.stage import GROUP, table_metadata, with_code_references
from synth_assets.stages.partitions import all_partitions_snapshot
from synth_assets.stages.preference_stage import run_preference_stage
from synth_assets.stages.teacher_stage import STAGE as TEACHER_STAGE


@with_code_references(run_preference_stage)
@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb", "parquet"},
          deps=["teacher_generations"],
          automation_condition=STAGE_AUTOMATION["preference_sets"],
          check_specs=PREFERENCE_SETS_CHECKS.specs, dagster_type=dict[str, str])
@PREFERENCE_SETS_CHECKS.after_output
def preference_sets(
    context: dg.AssetExecutionContext, synth: SynthStore,
    contamination_reports: ContaminationSnapshots,
) -> dg.Output[dict[str, str]]:
    """Preference pairs (verifier, score and revision pairs) of each preference set of the spec,
    both sides clear of benchmarks, exported for DPO/ORPO and KTO, with the prompts and what
    their verifiable reward needs for RL."""
    with synth.analytic_store() as store:
        results = run_preference_stage(
            store, synth.load_spec(), contamination_reports.clean,
            all_partitions_snapshot(store, TEACHER_STAGE), synth.export_root(),
            run_id=context.run.run_id, log=context.log.info,
        )
    metadata: dict[str, object] = {"preference_sets": len(results)}
    for result in results:
        metadata[f"{result.name}/pairs"] = dg.MetadataValue.json(result.counts)
        metadata[f"{result.name}/rl_prompts"] = result.rl_prompts
        metadata[f"{result.name}/snapshot_id"] = result.snapshot_id
        metadata[f"{result.name}/materialization_id"] = result.materialization_id
        metadata[f"{result.name}/reused"] = result.reused
        metadata[f"{result.name}/export_dir"] = dg.MetadataValue.path(str(result.export_dir))
    return dg.Output({r.name: r.snapshot_id for r in results}, metadata={
        **metadata,
        **export_root_metadata(synth.export_root()),
        **table_metadata(synth.store(), "preference_pairs", [r.snapshot_id for r in results]),
    })
