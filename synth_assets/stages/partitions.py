"""Partitions of the generation stages: one recipe on one day. The day salts the recipe's
attribute draws and the teacher's sampling seeds, so every day adds new generations; the
stages after generation read every partition together."""

from dataclasses import dataclass

from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec

UNPARTITIONED = "*"  # the partition label of a run that names no partition


class PartitionError(ValueError):
    pass


@dataclass(frozen=True)
class GenerationPartition:
    day: str  # YYYY-MM-DD
    recipe: str

    @property
    def key(self) -> str:
        """The key as Dagster writes a multi-partition key (dimensions in name order)."""
        return f"{self.day}|{self.recipe}"

    def check_against(self, loaded: LoadedSpec) -> None:
        if self.recipe not in loaded.spec.recipes:
            raise PartitionError(
                f"partition {self.key}: recipe {self.recipe!r} is not in the spec "
                f"{loaded.path} (recipes: {', '.join(loaded.spec.recipes)})"
            )


def partition_label(partition: GenerationPartition | None) -> str:
    return UNPARTITIONED if partition is None else partition.key


def all_partitions_snapshot(store: LineageStore, stage: str) -> str:
    """A snapshot of every record the partitions of a stage hold now: what later stages read."""
    with store.writer() as writer:
        return writer.record_all_partitions_snapshot(stage)
