"""The hand-labelled answers of tests/data/recipe_labelled/<recipe>.jsonl judged by each
built-in recipe's default verifier set, as the verify stage would judge them: the answer is
read by the recipe's parser and record templates, and the verifiers see the record, the seed,
the rendered prompt and its sampled attributes. Used by tests/test_recipe_default_verifiers.py and
benchmarks/recipe_verifiers.py (which prints the figures)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from synth_assets.recipes.records import build_record, record_fields
from synth_assets.recipes.render import render_messages
from synth_assets.recipes.seeds import SeedRecord
from synth_assets.spec import LoadedSpec, load_spec
from synth_assets.spec.builtins import builtin_names
from synth_assets.verify import Candidate, Verdict, build_verifier

LABELLED_DIR = Path(__file__).resolve().parent / "data" / "recipe_labelled"


@dataclass(frozen=True)
class Judged:
    label: str  # "good" or "bad"
    why: str
    verdicts: dict[str, Verdict]  # spec verifier name -> verdict

    @property
    def admitted(self) -> bool:
        return all(verdict.passed for verdict in self.verdicts.values())


def every_builtin_spec(folder: Path) -> LoadedSpec:
    """A spec with each built-in recipe under its own name, with its default verifiers."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"version": 1, "seed": 0,
            "teachers": {"t": {"model": "openai/stub", "api_base": "http://127.0.0.1:9/v1"}},
            "recipes": {name: {"builtin": name, "teacher": "t"} for name in builtin_names()}}
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return load_spec(path)


def labelled(recipe: str) -> list[dict]:
    path = LABELLED_DIR / f"{recipe}.jsonl"
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            assert row["label"] in ("good", "bad"), f"{path}:{number}: label {row['label']!r}"
            rows.append(row)
    return rows


def candidate(loaded: LoadedSpec, recipe_name: str, example: dict) -> Candidate:
    recipe = loaded.spec.recipes[recipe_name]
    kind = loaded.spec.seed_sets[recipe.seed_set].kind
    seed = SeedRecord(seed_id="seed_labelled", seed_set=recipe.seed_set, kind=kind,
                      payload=example["seed"], source_file="labelled", source_line=0)
    outcome = build_record(recipe_name, recipe, seed, example["attributes"], example["response"])
    prompt = render_messages(recipe_name, recipe, seed, example["attributes"])[-1]["content"]
    return Candidate(text=example["response"], seed=record_fields(example["seed"],
                                                                  outcome.fields),
                     parse_error=outcome.parse_error, prompt=prompt,
                     attributes=example["attributes"])


def judge(loaded: LoadedSpec, recipe_name: str) -> list[Judged]:
    """Every labelled example of the recipe with each default verifier's verdict."""
    names = loaded.spec.recipes[recipe_name].verifiers
    verifiers = {name: build_verifier(loaded.spec.verifiers[name].type,
                                      loaded.spec.verifiers[name].options) for name in names}
    judged = []
    for example in labelled(recipe_name):
        made = candidate(loaded, recipe_name, example)
        judged.append(Judged(example["label"], example["why"],
                             {name: verifier.verify(made) for name, verifier in verifiers.items()}))
    return judged


def rates(judged: list[Judged]) -> tuple[float, float]:
    """(share of bad answers rejected, share of good answers admitted)."""
    bad = [j for j in judged if j.label == "bad"]
    good = [j for j in judged if j.label == "good"]
    return (sum(not j.admitted for j in bad) / len(bad), sum(j.admitted for j in good) / len(good))
