"""Built-in recipes: they load from the spec by name, render the same prompts for the same
spec seed, different ones for another seed, and sample their attributes near-uniformly."""

from collections import Counter
from pathlib import Path

import pytest
import yaml

from synth_assets.recipes.attributes import sample_attributes
from synth_assets.recipes.plan import plan_prompts, recipe_rounds
from synth_assets.recipes.seeds import SeedRecord, load_seed_set
from synth_assets.spec import SpecError, load_spec
from synth_assets.spec.builtins import builtin_names, load_builtin

TEACHER = {"model": "openai/stub", "api_base": "http://127.0.0.1:9/v1"}


def write_spec(folder: Path, recipes: dict, seed: int = 0, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"version": 1, "seed": seed,
            "seed_sets": {"docs": {"path": "builtin:documents/web_documents.jsonl",
                                   "kind": "document"}},
            "teachers": {"t": TEACHER}, "recipes": recipes, **extra}
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def every_builtin(folder: Path, seed: int = 0):
    return load_spec(write_spec(folder, {name: {"builtin": name, "teacher": "t"}
                                         for name in builtin_names()}, seed=seed))


def seeds_of(loaded, recipe_name: str) -> list[SeedRecord]:
    seed_set = loaded.spec.seed_sets[loaded.spec.recipes[recipe_name].seed_set]
    name = loaded.spec.recipes[recipe_name].seed_set
    return load_seed_set(name, loaded.resolve(seed_set.path), seed_set.kind)


def prompts(loaded, recipe_name: str) -> list[str]:
    return [p.messages[-1]["content"]
            for p in plan_prompts(loaded, recipe_name, seeds_of(loaded, recipe_name))]


def test_all_nine_builtins_ship_with_docs_fields() -> None:
    assert builtin_names() == sorted([
        "self_instruct", "evol_instruct", "persona_math", "rephrase", "mind_conversations",
        "tinystories", "entigraph", "constitutional", "program_of_thought"])
    for name in builtin_names():
        builtin = load_builtin(name)
        assert builtin["about"] and builtin["paper"], name
        assert builtin["recipe"]["attributes"], f"{name} samples nothing"


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_prompts_are_deterministic_per_seed_and_differ_across_seeds(
    tmp_path: Path, name: str
) -> None:
    first = prompts(every_builtin(tmp_path / "a", seed=0), name)
    again = prompts(every_builtin(tmp_path / "b", seed=0), name)
    other_seed = prompts(every_builtin(tmp_path / "c", seed=1), name)
    assert first == again
    assert first != other_seed
    assert len(set(first)) == len(first) > 1, "different seed records give different prompts"


def test_spec_keys_override_a_builtin_and_attributes_merge_one_by_one(tmp_path: Path) -> None:
    (tmp_path / "verbs.txt").write_text("zigzag\n", encoding="utf-8")
    loaded = load_spec(write_spec(tmp_path, {"stories": {
        "builtin": "tinystories", "teacher": "t", "samples_per_seed": 3,
        "attributes": {"verb": {"file": "verbs.txt"}}}}))
    recipe = loaded.spec.recipes["stories"]
    assert recipe.samples_per_seed == 3 and recipe.builtin == "tinystories"
    assert set(recipe.attributes) == {"verb", "noun", "adjective", "feature"}
    assert all('the verb "zigzag"' in text for text in prompts(loaded, "stories"))
    assert loaded.spec.seed_sets["tinystories_settings"].kind == "instruction"


def test_parsing_recipes_get_the_format_verifier(tmp_path: Path) -> None:
    loaded = every_builtin(tmp_path)
    assert loaded.spec.recipes["mind_conversations"].verifiers[0] == "format"
    assert loaded.spec.verifiers["format"].type == "format"
    assert "format" not in loaded.spec.recipes["tinystories"].verifiers


def test_unknown_builtin_names_the_key_and_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as error:
        load_spec(write_spec(tmp_path, {"x": {"builtin": "nope", "teacher": "t"}}))
    assert "recipes.x.builtin" in str(error.value) and "unknown built-in recipe 'nope'" in str(
        error.value)
    assert "tinystories" in str(error.value)


def test_rounds_are_ordered_and_cycles_rejected(tmp_path: Path) -> None:
    loaded = load_spec(write_spec(tmp_path / "ok", {
        "answers": {"seeds_from": {"recipe": "evolved"}, "teacher": "t", "domain": "general",
                    "template": "{{ instruction }}"},
        "evolved": {"builtin": "evol_instruct", "teacher": "t"}}))
    assert list(recipe_rounds(loaded.spec).items()) == [("evolved", 1), ("answers", 2)]
    with pytest.raises(SpecError, match="rounds form a cycle: a -> b -> a"):
        load_spec(write_spec(tmp_path / "cycle", {
            "a": {"seeds_from": {"recipe": "b"}, "teacher": "t", "domain": "general",
                  "template": "x"},
            "b": {"seeds_from": {"recipe": "a"}, "teacher": "t", "domain": "general",
                  "template": "x"}}))


def test_missing_attribute_file_fails_at_load(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"recipes.r.attributes.tone.file: no such file"):
        load_spec(write_spec(tmp_path, {"r": {
            "seed_set": "docs", "teacher": "t", "domain": "general", "template": "{{ tone }}",
            "attributes": {"tone": {"file": "missing.txt"}}}}))


def chi_square(counts: Counter, categories: int, draws: int) -> float:
    expected = draws / categories
    return sum((counts.get(i, 0) - expected) ** 2 / expected for i in range(categories))


def test_attribute_coverage_is_near_uniform(tmp_path: Path) -> None:
    loaded = load_spec(write_spec(tmp_path, {"r": {
        "seed_set": "docs", "teacher": "t", "domain": "general", "template": "{{ n }}",
        "attributes": {"n": {"values": list(range(10))},
                       "verb": {"file": "builtin:tinystories/verbs.txt"}}}}))
    draws = [sample_attributes(loaded, "r", SeedRecord(f"seed_{i}", "docs", "document", {},
                                                       "f", i), 0)
             for i in range(5000)]
    # df 9, p = 0.001: 27.88; the draws are fixed by the seed, so this is not flaky.
    assert chi_square(Counter(d["n"] for d in draws), 10, len(draws)) < 27.88
    verbs = Counter(d["verb"] for d in draws)
    assert len(verbs) == 30
    assert max(abs(count / len(draws) - 1 / 30) for count in verbs.values()) < 0.4 / 30


def test_pick_draws_distinct_values_and_from_seed_reads_the_seed(tmp_path: Path) -> None:
    loaded = every_builtin(tmp_path)
    for seed in seeds_of(loaded, "entigraph"):
        for draw in range(5):
            pair = sample_attributes(loaded, "entigraph", seed, draw)["pair"]
            assert len(set(pair)) == 2 and set(pair) <= set(seed.payload["entities"])
