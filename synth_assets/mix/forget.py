"""`synth forget`: a data-removal request. Delete a record (typically a seed) and everything
derived from it, remembering which mixtures' latest materialization held any of it; once the
publish job has rebuilt the mixtures (synth_assets.cli_mixtures), say what changed in each."""

import json
from collections.abc import Callable
from dataclasses import dataclass

from synth_assets.lineage.forget import Removal, plan_removal, remove
from synth_assets.lineage.store import LineageStore
from synth_assets.mix.explain import (
    Change,
    Materialization,
    diff_materializations,
    materializations,
)
from synth_assets.spec import LoadedSpec


@dataclass(frozen=True)
class MixtureChange:
    before: Materialization
    after: Materialization
    changes: list[Change]


@dataclass(frozen=True)
class Forgotten:
    removal: Removal
    deleted: dict[str, int]              # table -> rows deleted
    source: str | None                   # file:line the seed was read from
    held_by: dict[str, Materialization]  # mixture -> its latest materialization holding any of it


def forget_record(store: LineageStore, loaded: LoadedSpec, record_id: str,
                  log: Callable[[str], None] = print) -> Forgotten:
    removal = plan_removal(store, record_id)
    origin = next((row for row in store.query("lineage_chain", record_id=record_id)
                   if row["record_id"] == record_id), None)
    source = json.loads(origin["details"]).get("source") if origin else None
    held_by = {}
    for mixture in loaded.spec.mixtures:
        history = materializations(store, mixture)
        if history and _holds_any(store, history[-1], removal.ids):
            held_by[mixture] = history[-1]
    deleted = remove(store, removal)
    log(f"forgot {record_id}: " + ", ".join(f"{n} {t}" for t, n in deleted.items() if n))
    return Forgotten(removal, deleted, source, held_by)


def mixture_changes(store: LineageStore, forgotten: Forgotten) -> dict[str, MixtureChange]:
    """For each mixture that held the record: its materialization before the removal against
    its latest one (the publish run after it), and what changed between them."""
    changed = {}
    for mixture, before in forgotten.held_by.items():
        after = materializations(store, mixture)[-1]
        changed[mixture] = MixtureChange(before, after,
                                         diff_materializations(store, before, after))
    return changed


def _holds_any(store: LineageStore, mat: Materialization, ids: list[str]) -> bool:
    snapshots = [mat.row["pool_snapshot_id"], mat.row["mixture_snapshot_id"]]
    return len(store.query_with_ids("snapshots_holding_any", ids, snapshot_ids=snapshots)) > 0
