"""Partitions of the generation stages: one recipe on one day. The day salts the recipe's
attribute draws and the teacher's sampling seeds, so every day adds new generations; the
stages after generation read every partition together."""

from dataclasses import dataclass

from synth_assets.lineage.store import LineageStore
from synth_assets.spec import LoadedSpec

UNPARTITIONED = "*"  # the partition label of a run that names no partition
# Between the day and the recipe in a partition key: Dagster joins the keys of a multi-partition
# key's dimensions (in name order) with it. Keys are built and read only here.
KEY_SEPARATOR = "|"


class PartitionError(ValueError):
    pass


@dataclass(frozen=True)
class GenerationPartition:
    day: str  # YYYY-MM-DD
    recipe: str

    @property
    def key(self) -> str:
        """The key as Dagster writes a multi-partition key (dimensions in name order)."""
        return f"{self.day}{KEY_SEPARATOR}{self.recipe}"

    @classmethod
    def from_key(cls, key: str) -> "GenerationPartition":
        day, separator, recipe = key.partition(KEY_SEPARATOR)
        if not separator:
            raise PartitionError(f"{key!r} is not a generation partition key "
                                 f"(day{KEY_SEPARATOR}recipe)")
        return cls(day=day, recipe=recipe)

    def check_against(self, loaded: LoadedSpec) -> None:
        if self.recipe not in loaded.spec.recipes:
            raise PartitionError(
                f"partition {self.key}: recipe {self.recipe!r} is not in the spec "
                f"{loaded.path} (recipes: {', '.join(loaded.spec.recipes)})"
            )


def partition_label(partition: GenerationPartition | None) -> str:
    return UNPARTITIONED if partition is None else partition.key


def labelled_partition(label: str) -> GenerationPartition | None:
    """The partition a snapshot label names; None for a label that names none (a run without
    a partition, or every partition of a stage)."""
    return GenerationPartition.from_key(label) if KEY_SEPARATOR in label else None


def all_partitions_snapshot(store: LineageStore, stage: str) -> str:
    """A snapshot of every record the partitions of a stage hold now: what later stages read."""
    with store.writer() as writer:
        return writer.record_all_partitions_snapshot(stage)
