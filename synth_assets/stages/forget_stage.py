"""`synth forget`: a data-removal request. Delete a record (typically a seed) and everything
derived from it, re-materialize every mixture whose latest materialization held any of it, and
report what changed in each."""

import json
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from synth_assets.lineage.copy import analytic_store
from synth_assets.lineage.forget import Removal, plan_removal, remove
from synth_assets.lineage.store import LineageStore
from synth_assets.mix.explain import (
    Change,
    Materialization,
    diff_materializations,
    find_materialization,
    materializations,
)
from synth_assets.mix.materialize import MixtureInputs, materialize_mixture
from synth_assets.spec import LoadedSpec
from synth_assets.stages.mixture_stage import load_real_records
from synth_assets.stages.preference_stage import rebuild_exported_sets


@dataclass(frozen=True)
class MixtureChange:
    before: Materialization
    after: Materialization
    changes: list[Change]


@dataclass(frozen=True)
class ForgetResult:
    removal: Removal
    deleted: dict[str, int]              # table -> rows deleted
    source: str | None                   # file:line the seed was read from
    mixtures: dict[str, MixtureChange]


def forget_record(
    store: LineageStore,
    loaded: LoadedSpec,
    record_id: str,
    export_root: Path,
    log: Callable[[str], None] = print,
) -> ForgetResult:
    removal = plan_removal(store, record_id)
    origin = next((row for row in store.query("lineage_chain", record_id=record_id)
                   if row["record_id"] == record_id), None)
    source = json.loads(origin["details"]).get("source") if origin else None
    affected = {}
    for mixture in loaded.spec.mixtures:
        history = materializations(store, mixture)
        if history and _holds_any(store, history[-1], removal.ids):
            affected[mixture] = history[-1]
    deleted = remove(store, removal)
    log(f"forgot {record_id}: " + ", ".join(f"{n} {t}" for t, n in deleted.items() if n))

    run_id = f"synth-forget-{uuid.uuid4().hex[:12]}"
    changed = {}
    # The mixtures are rebuilt in DuckDB (a working copy when the store is PostgreSQL), which
    # keeps no files beside it: any temporary folder does.
    with analytic_store(store, Path(tempfile.gettempdir())) as working:
        for mixture, before in affected.items():
            sources = loaded.spec.mixtures[mixture].real_sources
            inputs = MixtureInputs(before.row["clean_snapshot_id"],
                                   before.row["judged_snapshot_id"],
                                   load_real_records(working, loaded, sources))
            result = materialize_mixture(working, loaded, mixture, inputs,
                                         export_root / mixture, run_id, log)
            after = find_materialization(working, result.materialization_id)
            changed[mixture] = MixtureChange(before, after,
                                             diff_materializations(working, before, after))
        if removal.removed.get("preference_pair"):
            rebuild_exported_sets(working, loaded, export_root, run_id, log)
    return ForgetResult(removal, deleted, source, changed)


def _holds_any(store: LineageStore, mat: Materialization, ids: list[str]) -> bool:
    snapshots = [mat.row["pool_snapshot_id"], mat.row["mixture_snapshot_id"]]
    return len(store.query_with_ids("snapshots_holding_any", ids, snapshot_ids=snapshots)) > 0
