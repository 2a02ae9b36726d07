"""teacher_generations without planning again what a run stored whole: once a partition's plan
has been answered and every planned generation stored, its snapshot is kept in
`teacher_runs` under a key of everything the plan depends on, and a later run with the same key
(a rerun that changed nothing) takes that snapshot instead of rendering every prompt again and
reading the plan back a window at a time (most of a cached generation run at 50,000
generations). The budget check then has nothing to estimate: every call is answered.

The key: the partition (day and recipe), the spec (its hash covers the file and the built-ins
it pulls in), the recipe's seeds, the content of its attribute files, and the package's code
(every .py file of synth_assets, plus the Jinja version that renders the templates): a changed
renderer plans anew. A recipe reading an earlier round (`seeds_from`) draws its seeds from the
store and is planned every run. A stored snapshot is taken only while every generation it holds
is still stored (`synth forget` removes some)."""

import functools
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from synth_assets.file_hashes import file_digest, tree_sha256
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.stages.partitions import GenerationPartition

PACKAGE = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class StoredTeacherRun:
    snapshot_id: str
    planned: int        # generations planned, every one of them stored


def teacher_input_key(loaded: LoadedSpec, seeds: list[SeedRecord],
                      partition: GenerationPartition | None) -> str | None:
    """None when the plan reads the store (an unpartitioned run, or a later round)."""
    if partition is None:
        return None
    recipe = loaded.spec.recipes[partition.recipe]
    if recipe.seeds_from is not None:
        return None
    attribute_files = sorted({str(loaded.resolve(a.file)) for a in recipe.attributes.values()
                              if a.file is not None})
    return content_id(
        "trun", partition.key, loaded.spec_hash,
        [seed.seed_id for seed in seeds if seed.seed_set == recipe.seed_set],
        [[path, file_digest(Path(path))] for path in attribute_files], code_fingerprint(),
    )


def stored_teacher_run(store: LineageStore, key: str | None) -> StoredTeacherRun | None:
    """The stored run of this key whose generations are all still stored."""
    if key is None:
        return None
    with store.kept_open():
        [row] = store.query("teacher_run", input_key=key) or [None]
        if row is None or store.query("snapshot_missing_generations",
                                      snapshot_id=row["snapshot_id"])[0]["missing"]:
            return None
    return StoredTeacherRun(row["snapshot_id"], int(row["planned"]))


def store_teacher_run(store: LineageStore, key: str | None, snapshot_id: str,
                      planned: int) -> None:
    if key is not None:
        with store.writer() as writer:
            writer.insert_new("teacher_runs", [{"input_key": key, "snapshot_id": snapshot_id,
                                                "planned": planned}])


@functools.cache
def code_fingerprint() -> str:
    """Of every .py file of the package (path and bytes) and the Jinja version."""
    return tree_sha256(PACKAGE, PACKAGE.rglob("*.py"),
                       prefix=importlib.metadata.version("jinja2").encode())
