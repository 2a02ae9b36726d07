"""verified_subsets without redoing what is known: a materialization stores its result under a
key of everything it depends on, and a rerun with the same key reuses that result, where
run_verify_stage would re-read every generation, rebuild every verdict id and deduplicate
against every earlier verified record (most of a fully cached rerun's time at 50,000
generations).

The key hashes the generation snapshot, the partition, each recipe's verifiers with their
versions and settings (thresholds included), the dedup settings, and the earlier verified
records the snapshot is deduplicated against (those outside it created no later than its
newest generation: records created after it never make one of its records a duplicate). A run
with a failed judge call is not stored, so the next run retries the call."""

import json
from collections.abc import Callable

import pandas as pd

from synth_assets.lineage.ids import content_id
from synth_assets.lineage.stages import VERIFIED_SUBSETS
from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec
from synth_assets.stages.partitions import UNPARTITIONED
from synth_assets.stages.verify_stage import (
    REJECTION_COLUMNS,
    STAGE,
    VerifyStageResult,
    current_verifiers,
    run_verify_stage,
)


def verify_input_key(store: LineageStore, loaded: LoadedSpec, generation_snapshot_id: str,
                     partition_key: str) -> str:
    spec = loaded.spec
    versions = {name: version for name, (_, version) in current_verifiers(loaded).items()}
    [verified_before] = store.query("verified_before_snapshot", verified_stage=VERIFIED_SUBSETS,
                                    snapshot_id=generation_snapshot_id)
    return content_id(
        "vrun", generation_snapshot_id, partition_key, versions,
        {name: spec.verifiers[name].model_dump(mode="json") for name in versions},
        {name: recipe.verifiers for name, recipe in spec.recipes.items()},
        spec.dedup.model_dump(mode="json"), verified_before,
    )


def run_verify_stage_reusing(
    store: LineageStore, loaded: LoadedSpec, generation_snapshot_id: str,
    log: Callable[[str], None] = print, partition_key: str = UNPARTITIONED,
) -> VerifyStageResult:
    """run_verify_stage, or the stored result of a run with the same inputs."""
    key = verify_input_key(store, loaded, generation_snapshot_id, partition_key)
    stored = store.query("verify_run", input_key=key)
    if stored:
        log("every input of this verification is unchanged: reusing its stored result")
        return _reused(store, stored[0]["snapshot_id"], json.loads(stored[0]["summary"]),
                       partition_key)
    result = run_verify_stage(store, loaded, generation_snapshot_id, log=log,
                              partition_key=partition_key)
    if not result.judge_failures:
        with store.writer() as writer:
            writer.insert_new("verify_runs", [{"input_key": key,
                                               "snapshot_id": result.snapshot_id,
                                               "summary": json.dumps(_summary(result),
                                                                     default=_plain)}])
    return result


def _summary(result: VerifyStageResult) -> dict:
    return {"judged": result.judged, "passed": result.passed, "duplicates": result.duplicates,
            "per_recipe": result.per_recipe.to_dict(orient="records"),
            "per_verifier": result.per_verifier.to_dict(orient="records"),
            "rejections": result.rejections.to_dict(orient="records")}


def _plain(value: object) -> object:
    """A NumPy number of a summary frame as the Python number it holds."""
    return value.item()


def _reused(store: LineageStore, snapshot_id: str, summary: dict, partition_key: str
            ) -> VerifyStageResult:
    with store.writer() as writer:
        writer.execute("writes.sql", "set_partition_head", stage=STAGE,
                       partition_key=partition_key, snapshot_id=snapshot_id)
    return VerifyStageResult(
        snapshot_id=snapshot_id, judged=summary["judged"], passed=summary["passed"],
        duplicates=summary["duplicates"], newly_run={}, judge_failures=0,
        per_recipe=pd.DataFrame(summary["per_recipe"]),
        per_verifier=pd.DataFrame(summary["per_verifier"]),
        rejections=pd.DataFrame(summary["rejections"], columns=REJECTION_COLUMNS),
    )
