"""The five stages as Dagster assets. Each one reads its spec, calls the stage in
synth_assets.stages and reports what happened; the value passed downstream is the id of the
snapshot the stage stored in the lineage store.

teacher_generations and verified_subsets are partitioned by day and recipe (assets.partitions);
contamination_reports and final_mixtures read every partition together, through the snapshot
each partition holds now."""

from dataclasses import dataclass

import dagster as dg
import pandas as pd

from synth_assets.assets.budget import refuse_over_budget
from synth_assets.assets.diversity import diversity_metadata
from synth_assets.assets.failures import input_errors_as_failure
from synth_assets.assets.metadata import (
    markdown_table,
    rejections_metadata,
    worst_hits_markdown,
)
from synth_assets.assets.partitions import (
    GENERATION_PARTITIONS,
    generation_partition,
    register_recipes,
)
from synth_assets.assets.teacher_metadata import teacher_generations_metadata
from synth_assets.resources import STORE_WRITERS_POOL, SynthStore
from synth_assets.stages.contamination_stage import run_contamination_stage
from synth_assets.stages.mixture_stage import run_mixture_stage
from synth_assets.stages.partitions import all_partitions_snapshot
from synth_assets.stages.preference_stage import run_preference_stage
from synth_assets.stages.seed_stage import run_seed_stage, seeds_of_snapshot
from synth_assets.stages.spec_check import require_valid_inputs
from synth_assets.stages.teacher_stage import STAGE as TEACHER_STAGE
from synth_assets.stages.teacher_stage import run_teacher_stage
from synth_assets.stages.verify_reuse import run_verify_stage_reusing
from synth_assets.stages.verify_stage import STAGE as VERIFY_STAGE

GROUP = "synthetic_data"


@dataclass(frozen=True)
class ContaminationSnapshots:
    """What contamination_reports passes on: the verified records it scanned, and the clean."""

    scanned: str
    clean: str


@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb"})
@input_errors_as_failure
def seed_sets(context: dg.AssetExecutionContext, synth: SynthStore) -> dg.Output[str]:
    """Seed records read from the spec's seed files, validated, stored with content ids. The
    spec's recipes become the recipe partitions of the generation stages. Every input the run
    will read is checked first (stages.spec_check), before any teacher call."""
    loaded = synth.load_spec()
    require_valid_inputs(loaded)
    result = run_seed_stage(synth.store(), loaded)
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
    })


@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb"},
          partitions_def=GENERATION_PARTITIONS)
@input_errors_as_failure
def teacher_generations(
    context: dg.AssetExecutionContext, synth: SynthStore, seed_sets: str
) -> dg.Output[str]:
    """The teacher model's answers to one recipe's prompts on one day, via litellm, cached in
    DuckDB. Each day draws new attributes and new samples, so every day adds generations."""
    store, loaded = synth.store(), synth.load_spec()
    partition = generation_partition(context.partition_key)
    seeds = seeds_of_snapshot(store, seed_sets)
    refuse_over_budget(store, loaded, seeds, partition)
    result = run_teacher_stage(store, loaded, seeds, log=context.log.info,
                               run_id=context.run.run_id, partition=partition)
    if result.calls.budget_stop:
        context.log.warning("stopped early, keeping what was answered: "
                            f"{result.calls.budget_stop}")
    return dg.Output(result.snapshot_id, metadata={
        **teacher_generations_metadata(result, store),
        **diversity_metadata(store, result.snapshot_id),
    })


@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb"},
          partitions_def=GENERATION_PARTITIONS)
@input_errors_as_failure
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
    })


@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb"}, deps=[verified_subsets])
@input_errors_as_failure
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
    })


@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb", "parquet"},
          deps=[teacher_generations])
@input_errors_as_failure
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
    return dg.Output({r.mixture: r.snapshot_id for r in results}, metadata=metadata)


@dg.asset(group_name=GROUP, pool=STORE_WRITERS_POOL, kinds={"duckdb", "parquet"},
          deps=[teacher_generations])
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
        metadata[f"{result.name}/export_dir"] = dg.MetadataValue.path(str(result.export_dir))
    return dg.Output({r.name: r.snapshot_id for r in results}, metadata=metadata)


PIPELINE_ASSETS = [seed_sets, teacher_generations, verified_subsets, contamination_reports,
                   final_mixtures, preference_sets]
