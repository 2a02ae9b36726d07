"""Data-removal requests: delete a record and everything derived from it. The one place where
stored records are deleted. Snapshots keep the removed ids (hashes, no content) so later diffs
can say a record left a mixture because it was forgotten; a tombstone keeps the seed stage from
storing the record again."""

from dataclasses import dataclass

from synth_assets.lineage.store import LineageStore

# Rows that extend a record of that kind, keyed by its id; deleted with it.
EXTENSIONS_OF_KIND = {
    "prompt": [("prompt_attributes", "prompt_id")],
    "generation": [("generation_fields", "generation_id")],
}
# lineage_nodes kind -> (table, id column)
TABLE_OF_KIND = {
    "seed": ("seeds", "seed_id"),
    "prompt": ("prompts", "prompt_id"),
    "teacher_call": ("teacher_calls", "call_id"),
    "generation": ("generations", "generation_id"),
    "verdict": ("verdicts", "verdict_id"),
    "contamination_verdict": ("contamination_verdicts", "scan_id"),
    "contamination_hit": ("contamination_hits", "hit_id"),
    "real_record": ("real_records", "real_id"),
    "mixture_record": ("mixture_records", "mixture_record_id"),
    "preference_pair": ("preference_pairs", "pair_id"),
}


@dataclass(frozen=True)
class Removal:
    record_id: str
    removed: dict[str, list[str]]       # kind -> ids

    @property
    def ids(self) -> list[str]:
        return [i for ids in self.removed.values() for i in ids]


class ForgetError(LookupError):
    pass


def plan_removal(store: LineageStore, record_id: str) -> Removal:
    """The record, every record made from it (edges followed from parent to child), and the
    teacher calls that only its generations used (they hold its text in their prompts)."""
    rows = store.query("descendants", record_id=record_id)
    if not rows:
        raise ForgetError(f"no record with id {record_id!r} in {store.path}")
    removed: dict[str, list[str]] = {}
    for row in rows:
        removed.setdefault(row["kind"], []).append(row["record_id"])
    calls = store.query_with_ids("orphaned_teacher_calls", removed.get("generation", []))
    if len(calls):
        removed["teacher_call"] = sorted(calls["record_id"])
    return Removal(record_id, removed)


def remove(store: LineageStore, removal: Removal) -> dict[str, int]:
    """Delete everything the removal names, in one transaction; rows deleted per table."""
    deleted = {}
    with store.writer() as writer:
        for kind, ids in removal.removed.items():
            for table, column in [TABLE_OF_KIND[kind], *EXTENSIONS_OF_KIND.get(kind, [])]:
                deleted[table] = writer.delete(table, column, ids)
        deleted["edges"] = writer.unlink(removal.ids)
        writer.insert_new("forgotten_records", [{"record_id": removal.record_id}])
        # Stored generation plans hold rendered prompts, stored GE outcomes may quote values,
        # stored preference set builds and pair scans may hold what was removed: all caches,
        # rebuilt by the next run.
        writer.execute("writes.sql", "delete_every_generation_plan")
        writer.execute("writes.sql", "delete_every_ge_result")
        writer.execute("preferences.sql", "delete_every_preference_run")
        writer.execute("preferences.sql", "delete_every_preference_pair_scan")
    return deleted
