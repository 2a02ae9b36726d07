"""seed_sets: read and validate every seed file of the spec, then store the seeds."""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from synth_assets.file_hashes import file_digest
from synth_assets.lineage.stages import SEED_SETS
from synth_assets.lineage.store import LineageStore, snapshot_id_of
from synth_assets.recipes.seeds import SeedRecord, load_seed_set
from synth_assets.spec import LoadedSpec

STAGE = SEED_SETS


@dataclass(frozen=True)
class SeedStageResult:
    snapshot_id: str
    seeds: list[SeedRecord]
    new_rows: int

    def counts_by_set(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for seed in self.seeds:
            counts[seed.seed_set] = counts.get(seed.seed_set, 0) + 1
        return counts


def run_seed_stage(store: LineageStore, loaded: LoadedSpec) -> SeedStageResult:
    # Every file is validated before anything is written: a bad file stores nothing.
    seeds = [
        seed
        for name, seed_set in loaded.spec.seed_sets.items()
        for seed in _seed_file(name, loaded.resolve(seed_set.path), seed_set.kind)[
            : seed_set.limit
        ]
    ]
    with store.kept_open():
        # Seeds removed by `synth forget` stay removed even while still in their file.
        ids = [seed.seed_id for seed in seeds]
        forgotten = set(store.query_with_ids("forgotten_among", ids)["record_id"])
        seeds = [seed for seed in seeds if seed.seed_id not in forgotten]
        snapshot_id = snapshot_id_of(STAGE, "*", [seed.seed_id for seed in seeds])
        if store.query("snapshot_label", snapshot_id=snapshot_id):
            # Stored with every seed it holds (a forgotten seed would have changed its id).
            return SeedStageResult(snapshot_id=snapshot_id, seeds=seeds, new_rows=0)
        with store.writer() as writer:
            new_rows = writer.insert_new("seeds", [seed_row(seed) for seed in seeds])
            writer.record_snapshot(STAGE, "*", [seed.seed_id for seed in seeds])
    return SeedStageResult(snapshot_id=snapshot_id, seeds=seeds, new_rows=new_rows)


def _seed_file(name: str, path: Path, kind: str) -> tuple[SeedRecord, ...]:
    """load_seed_set, parsed once per process for the same file bytes: each generation run of
    `synth run` materializes seed_sets again."""
    return _parsed_seed_file(name, path, kind, file_digest(path))


@functools.lru_cache(maxsize=8)
def _parsed_seed_file(name: str, path: Path, kind: str, digest: str) -> tuple[SeedRecord, ...]:
    """`digest`: of the file's bytes as read just before (an edited file is another key; an
    unreadable one raises InputFileError, which is not kept)."""
    return tuple(load_seed_set(name, path, kind))


def seed_row(seed: SeedRecord) -> dict:
    return {
        "seed_id": seed.seed_id,
        "seed_set": seed.seed_set,
        "kind": seed.kind,
        "payload": json.dumps(seed.payload, ensure_ascii=False),
        "source_file": seed.source_file,
        "source_line": seed.source_line,
    }


_SNAPSHOT_SEEDS: dict[tuple[str, str], tuple[SeedRecord, ...]] = {}  # the last one read


def seeds_of_snapshot(store: LineageStore, snapshot_id: str) -> list[SeedRecord]:
    """Read once per process for the same store and snapshot (a run's budget check and teacher
    step both read it, and so does each generation run of `synth run`): a snapshot's id derives
    from its members, and seeds are never edited."""
    key = (str(store.path), snapshot_id)
    if key not in _SNAPSHOT_SEEDS:
        _SNAPSHOT_SEEDS.clear()
        _SNAPSHOT_SEEDS[key] = tuple(
            SeedRecord(
                seed_id=row["seed_id"],
                seed_set=row["seed_set"],
                kind=row["kind"],
                payload=json.loads(row["payload"]),
                source_file=row["source_file"],
                source_line=int(row["source_line"]),
            )
            for row in store.query("seeds_in_snapshot", snapshot_id=snapshot_id)
        )
    return list(_SNAPSHOT_SEEDS[key])
