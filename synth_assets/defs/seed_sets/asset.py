"""The seed_sets asset: the spec's seed files read, validated and stored."""

import dagster as dg
import pandas as pd

from synth_assets.defs.failures import input_errors_as_failure
from synth_assets.defs.metadata import markdown_table
from synth_assets.defs.partitions import register_recipes
from synth_assets.defs.resources import STORE_WRITERS_POOL, SynthStore
from synth_assets.defs.seed_sets.checks import SEED_SETS_CHECKS
from synth_assets.defs.stage import GROUP, table_metadata, with_code_references
from synth_assets.stages.seed_stage import run_seed_stage
from synth_assets.stages.spec_check import require_valid_inputs


@with_code_references(run_seed_stage)
@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb"},
          check_specs=SEED_SETS_CHECKS.specs, dagster_type=str)
@input_errors_as_failure
@SEED_SETS_CHECKS.after_output
def seed_sets(context: dg.AssetExecutionContext, synth: SynthStore) -> dg.Output[str]:
    """Seed records read from the spec's seed files, validated, stored with content ids. The
    spec's recipes become the recipe partitions of the generation stages. Every input the run
    will read is checked first (stages.spec_check), before any teacher call."""
    loaded = synth.load_spec()
    require_valid_inputs(loaded)
    store = synth.store()
    result = run_seed_stage(store, loaded)
    register_recipes(context.instance, loaded)
    preview = pd.DataFrame(
        [{"seed_id": s.seed_id, "seed_set": s.seed_set, "task": s.task} for s in result.seeds]
    )
    return dg.Output(result.snapshot_id, metadata={
        "snapshot_id": result.snapshot_id,
        "seeds": len(result.seeds),
        "new_rows": result.new_rows,
        "seeds_per_set": dg.MetadataValue.json(result.counts_by_set()),
        "preview": markdown_table(preview.groupby("seed_set").head(2)),
        **table_metadata(store, "seeds", [result.snapshot_id]),
    })
