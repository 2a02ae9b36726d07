"""Planning one partition (a recipe on a day): the same day plans the same prompts and calls, a
new day draws new attributes and new samples, only the partition's recipe is planned, and a
recipe the spec does not have is named."""

from pathlib import Path

import pytest

from synth_assets.assets.partitions import partition_key
from synth_assets.cli import main
from synth_assets.lineage.store import ALL_PARTITIONS, LineageStore
from synth_assets.stages.partitions import (
    GenerationPartition,
    PartitionError,
    labelled_partition,
    partition_label,
)
from synth_assets.stages.teacher_stage import plan_generations
from tests.teacher_fixture import seeded
from tests.test_recipes_builtin import write_spec


def planned(tmp_path: Path, day: str, recipe: str = "stories") -> list:
    spec = write_spec(tmp_path / "spec", {
        "stories": {"builtin": "tinystories", "teacher": "t", "samples_per_seed": 2},
        "rephrased": {"builtin": "rephrase", "teacher": "t"},
    })
    store = LineageStore(tmp_path / "synth.duckdb")
    loaded, seeds = seeded(store, spec)
    return plan_generations(store, loaded, seeds, GenerationPartition(day, recipe)).generations


def test_a_day_plans_the_same_calls_and_another_day_new_ones(tmp_path: Path) -> None:
    monday = planned(tmp_path, "2026-11-16")
    assert monday and {g.recipe for g in monday} == {"stories"}
    assert [g.request.call_id for g in planned(tmp_path, "2026-11-16")] == \
        [g.request.call_id for g in monday]

    tuesday = planned(tmp_path, "2026-11-17")
    assert len(tuesday) == len(monday)
    assert not {g.request.call_id for g in tuesday} & {g.request.call_id for g in monday}
    # New attribute draws, not only new sampling seeds: most prompts change.
    changed = sum(a.prompt.messages != b.prompt.messages
                  for a, b in zip(monday, tuesday, strict=True))
    assert changed > len(monday) // 2
    # The samples of one prompt still differ from each other on the same day.
    seeds_of_prompt = {}
    for generation in monday:
        seeds_of_prompt.setdefault(generation.prompt.prompt_id, set()).add(
            generation.request.params["seed"])
    assert all(len(seeds) == 2 for seeds in seeds_of_prompt.values())


def test_a_partition_names_a_recipe_the_spec_lacks(tmp_path: Path) -> None:
    with pytest.raises(PartitionError, match=r"partition 2026-11-16\|gone: recipe 'gone' is "
                                             r"not in the spec .*\(recipes: stories, rephrased\)"):
        planned(tmp_path, "2026-11-16", recipe="gone")


def test_synth_run_refuses_a_day_outside_the_partitions(
    dagster_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--first-day", "2020-01-01"]) == 2
    assert "day 2020-01-01 is not a partition: days run from 2026-11-01" in \
        capsys.readouterr().err
    assert main(["run", "--first-day", "2026-11-20", "--last-day", "2026-11-19"]) == 2
    assert "--last-day 2026-11-19 is before --first-day 2026-11-20" in capsys.readouterr().err


def test_a_partition_key_is_built_and_read_in_one_place() -> None:
    partition = GenerationPartition(day="2026-11-16", recipe="math_cot")
    assert GenerationPartition.from_key(partition.key) == partition
    assert str(partition_key("2026-11-16", "math_cot")) == partition.key   # as Dagster joins it
    assert labelled_partition(partition_label(partition)) == partition
    for label in (partition_label(None), ALL_PARTITIONS):   # labels that name no partition
        assert labelled_partition(label) is None
    with pytest.raises(PartitionError, match="not a generation partition key"):
        GenerationPartition.from_key("2026-11-16")
