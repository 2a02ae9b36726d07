"""The verified_subsets asset: one recipe-day's generations judged by their verifiers."""

import dagster as dg

from synth_assets.defs.automation import STAGE_AUTOMATION
from synth_assets.defs.diversity.metadata import diversity_metadata
from synth_assets.defs.failures import input_errors_as_failure
from synth_assets.defs.metadata import markdown_table
from synth_assets.defs.partitions import GENERATION_PARTITIONS, generation_partition
from synth_assets.defs.resources import STORE_WRITERS_POOL, SynthStore
from synth_assets.defs.stage import GROUP, table_metadata, with_code_references
from synth_assets.defs.verified_subsets.checks import VERIFIED_SUBSETS_CHECKS
from synth_assets.defs.verified_subsets.metadata import rejections_metadata
from synth_assets.stages.verify_reuse import run_verify_stage_reusing
from synth_assets.stages.verify_stage import run_verify_stage


@with_code_references(run_verify_stage_reusing, run_verify_stage)
@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb"},
          partitions_def=GENERATION_PARTITIONS,
          automation_condition=STAGE_AUTOMATION["verified_subsets"],
          check_specs=VERIFIED_SUBSETS_CHECKS.specs, dagster_type=str)
@input_errors_as_failure
@VERIFIED_SUBSETS_CHECKS.after_output
def verified_subsets(
    context: dg.AssetExecutionContext, synth: SynthStore, teacher_generations: str
) -> dg.Output[str]:
    """Generations of one recipe and day that pass every verifier of their recipe (verdicts
    stored per record)."""
    store = synth.store()
    result = run_verify_stage_reusing(
        store, synth.load_spec(), teacher_generations, log=context.log.info,
        partition_key=generation_partition(context.partition_key).key)
    return dg.Output(result.snapshot_id, metadata={
        "snapshot_id": result.snapshot_id,
        "judged": result.judged,
        "passed": result.passed,
        "pass_rate": result.passed / result.judged if result.judged else 0.0,
        "verdicts_made_now": dg.MetadataValue.json(result.newly_run),
        "duplicates_dropped": result.duplicates,
        "judge_calls_failed": result.judge_failures,
        "per_recipe": markdown_table(result.per_recipe),
        "per_verifier": markdown_table(result.per_verifier),
        **rejections_metadata(result.rejections),
        **diversity_metadata(store, result.snapshot_id),
        **table_metadata(store, "generations", [result.snapshot_id]),
    })
