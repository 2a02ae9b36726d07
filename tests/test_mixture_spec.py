"""Mixture specs: the real-data floor is hard to get around, quantities are consistent, and
real sources load from JSONL, Parquet or a `datasets` folder with clear errors on bad rows."""

from pathlib import Path

import pytest

from synth_assets.jsonl import InputFileError
from synth_assets.mix.real_sources import load_real_source
from synth_assets.spec import SpecError
from synth_assets.spec.model import RealSourceSpec
from tests.conftest import write_jsonl
from tests.mixture_fixture import write_mixture_spec, write_real_parquet

SYNTHETIC_ONLY = {"components": {"all": {"recipes": ["math_cot", "chat"], "ratio": 1.0}}}


def test_all_synthetic_mixture_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as error:
        write_mixture_spec(tmp_path, {"m": SYNTHETIC_ONLY})
    message = str(error.value)
    assert "mixtures.m" in message
    assert "real data would be 0 of the mixture, below min_real_fraction 0.2" in message
    assert "model collapse" in message


def test_lowering_the_floor_needs_a_stated_waiver(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="give real_floor_waiver"):
        write_mixture_spec(tmp_path, {"m": {**SYNTHETIC_ONLY, "min_real_fraction": 0.0}})
    loaded = write_mixture_spec(tmp_path, {"m": {
        **SYNTHETIC_ONLY, "min_real_fraction": 0.0,
        "real_floor_waiver": "distillation ablation, never trained on alone"}})
    assert loaded.spec.mixtures["m"].real_share == 0.0


@pytest.mark.parametrize(("components", "message"), [
    ({"a": {"recipes": ["chat"], "ratio": 0.5}, "r": {"real_sources": ["human"], "count": 5}},
     "components mix units"),
    ({"a": {"recipes": ["chat"], "ratio": 0.5}, "r": {"real_sources": ["human"], "ratio": 0.4}},
     "ratios must add up to 1"),
    ({"a": {"recipes": ["chat"], "count": 5},
      "b": {"recipes": ["chat"], "real_sources": ["human"], "count": 5}},
     "either recipes or real_sources"),
    ({"a": {"recipes": ["chat"], "count": 50}, "b": {"recipes": ["chat"], "count": 5},
      "r": {"real_sources": ["human"], "count": 50}},
     "appear in more than one component"),
    ({"a": {"recipes": ["nope"], "count": 5}, "r": {"real_sources": ["human"], "count": 5}},
     "mixtures.m.components.a.recipes.0: unknown recipe 'nope'"),
])
def test_inconsistent_components_fail_naming_the_problem(
    tmp_path: Path, components: dict, message: str
) -> None:
    with pytest.raises(SpecError, match=message):
        write_mixture_spec(tmp_path, {"m": {"components": components}})


def test_real_sources_load_from_jsonl_parquet_and_a_saved_dataset(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    parquet = write_real_parquet(tmp_path / "real.parquet", 9)
    jsonl = write_jsonl(tmp_path / "real.jsonl", [
        {"q": "What is 2 + 2?", "a": "4", "domain": "math", "license": "MIT"}])
    saved = tmp_path / "saved"
    datasets.DatasetDict({"train": datasets.Dataset.from_list([
        {"prompt": "Say hello.", "completion": "Hello!"},
        {"prompt": "Say bye.", "completion": "Bye!"}])}).save_to_disk(str(saved))

    def load(**spec: object) -> list[dict]:
        return list(load_real_source("src", RealSourceSpec(**spec), Path))

    from_parquet = load(path=str(parquet))
    assert len(from_parquet) == 9 and from_parquet[0]["source_line"] == 1
    assert load(path=str(jsonl), instruction_field="q", response_field="a")[0]["response"] == "4"
    from_disk = load(path=str(saved), instruction_field="prompt", response_field="completion",
                     domain="general", license="CC-BY-4.0", limit=1)
    assert [(r["instruction"], r["license"]) for r in from_disk] == [("Say hello.", "CC-BY-4.0")]
    missing = r"saved:1: missing required field\(s\): \['domain', 'license'\]"
    with pytest.raises(InputFileError, match=missing):
        load(path=str(saved), instruction_field="prompt", response_field="completion")


def test_a_bad_real_row_names_file_and_row(tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "real.jsonl", [
        {"instruction": "Fine?", "response": "Yes.", "domain": "math", "license": "MIT"},
        {"instruction": "Bad?", "response": "Yes.", "domain": "poetry", "license": "MIT"}])
    with pytest.raises(InputFileError, match=r"real.jsonl:2: domain must be one of"):
        list(load_real_source("src", RealSourceSpec(path=str(jsonl)), Path))
