"""The semantic detector on hand-made rephrasings (tests/data/decontam_rephrased.jsonl, none of
them in tests/contamination_cases.py): 32 GSM8K test questions rephrased as a seed's task, 32
others rephrased and buried in a longer tutoring response, and 32 HumanEval prompts rewritten
(new function name, new docstring wording, examples kept or changed), against all 1,319 GSM8K
test questions and the 164 HumanEval prompts with the default detectors and thresholds. And the
false positives on the first 300 GSM8K train questions (tests/data/gsm8k/train.jsonl.gz).

Run with -s to see the figures."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from synth_assets.decontam import BenchmarkItem, load_benchmark_file, load_humaneval
from synth_assets.decontam.detectors import DetectorSuite
from synth_assets.decontam.index_cache import ArrayCache
from synth_assets.decontam.literals import LiteralWeights, literals
from synth_assets.decontam.static_stage import (
    WHOLE_PIECES,
    StaticStage,
    Window,
    vocabulary_directions,
)
from synth_assets.spec.model import ContaminationSpec
from synth_assets.text.minilm import MiniLMEncoder, model_zip_path, shared_encoder
from tests.conftest import GSM8K_TEST, gsm8k_rows

DATA = Path(__file__).parent / "data"
GOALS = {("gsm8k_test", "task"): 0.9, ("gsm8k_test", "response"): 0.7,
         ("humaneval", "task"): 0.8}
MAX_FALSE_POSITIVE_RATE = 0.01
DEFAULT_SEEDS = Path(__file__).parents[1] / "synth_assets" / "default_spec" / "seeds"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> DetectorSuite:
    assert shared_encoder() is not None, "the [semantic] extra is not installed"
    items = (load_benchmark_file("gsm8k_test", GSM8K_TEST, "question")
             + load_humaneval())
    return DetectorSuite(items, ContaminationSpec(semantic={"backend": "minilm"}),
                         ArrayCache(Path(os.environ["SYNTH_INDEX_DIR"])))


def test_rephrasings_are_found_with_their_own_item(suite):
    cases = _jsonl(DATA / "decontam_rephrased.jsonl")
    scans = suite.scan([case["text"] for case in cases])
    found: dict[tuple[str, str], list[bool]] = {}
    semantic_found: dict[tuple[str, str], list[bool]] = {}
    for case, scan in zip(cases, scans, strict=True):
        key = (case["benchmark"], case["placement"])
        own = [hit for hit in scan.hits if hit.item_id == case["item_id"]]
        found.setdefault(key, []).append(bool(own))
        semantic_found.setdefault(key, []).append(
            any(hit.detector == "semantic-minilm" for hit in own))
    for key, goal in GOALS.items():
        assert len(found[key]) >= 30, key
        recall = np.mean(found[key])
        print(f"\n{key}: any detector {recall:.1%}, semantic alone "
              f"{np.mean(semantic_found[key]):.1%} of {len(found[key])} (goal {goal:.0%})")
        assert recall >= goal, (key, recall)


def test_clean_gsm8k_train_questions_are_rarely_flagged(suite):
    questions = [row["question"] for row in gsm8k_rows("train")[:300]]
    flagged = [(question[:60], [(hit.item_id, hit.detector, round(hit.score, 3))
                                for hit in scan.hits])
               for question, scan in zip(questions, suite.scan(questions), strict=True)
               if scan.hits]
    rate = len(flagged) / len(questions)
    print(f"\nclean GSM8K train questions flagged: {len(flagged)} of {len(questions)} "
          f"({rate:.1%}): {flagged}")
    assert rate <= MAX_FALSE_POSITIVE_RATE


def test_clean_code_tasks_of_the_default_spec_are_not_taken_for_humaneval(suite):
    """Different problems of HumanEval's kind (count_vowels beside vowels_count, fizzbuzz
    beside fizz_buzz) come within 0.82-0.85 cosine of an item: they must stay clean."""
    prompts = [row["prompt"] for row in _jsonl(DEFAULT_SEEDS / "python_tasks.jsonl")]
    flagged = [(prompt.split("(")[0], [hit.item_id for hit in scan.hits])
               for prompt, scan in zip(prompts, suite.scan(prompts), strict=True) if scan.hits]
    assert flagged == []


def test_calibration_is_per_benchmark_and_cached_with_the_index(suite, tmp_path):
    gsm8k, humaneval = suite.semantic.thresholds
    # HumanEval's distinct items reuse each other's doctest values: a higher bar on agreement.
    assert humaneval.agreement > gsm8k.agreement
    assert gsm8k.borderline < gsm8k.confirmed <= 0.88
    items = suite.items
    config = ContaminationSpec(semantic={"backend": "minilm"})
    assert DetectorSuite(items, config, ArrayCache(tmp_path)).semantic is not None
    calibration = [path.name for path in tmp_path.iterdir() if "-calibration-" in path.name]
    assert len(calibration) == 1
    again = DetectorSuite(items, config, ArrayCache(tmp_path))
    assert again.semantic.thresholds == suite.semantic.thresholds
    assert again.cache.reused and all(again.cache.reused.values())


def test_small_benchmark_falls_back_to_the_fixed_threshold(tmp_path):
    items = [BenchmarkItem("toy", f"toy:{i}", f"A shop sells {i + 3} apples. How many?")
             for i in range(3)]
    suite = DetectorSuite(items, ContaminationSpec(semantic={"backend": "minilm"}),
                          ArrayCache(tmp_path))
    (limits,) = suite.semantic.thresholds
    assert limits.confirmed == limits.borderline == pytest.approx(0.88)
    assert limits.agreement > 1  # no literal route


def test_a_question_buried_in_a_response_is_compared_as_its_own_window():
    encoder = shared_encoder()
    question = ("A baker fills 14 trays with 23 rolls each and sells every roll for 65 cents. "
                "How many dollars does the baker take in?")
    filler = " ".join(f"Step {i}: we keep the units straight and write each product down."
                      for i in range(12))
    response = f"{filler}\nHere is one to practise.\n{question}\n{filler}"
    stage = StaticStage(encoder, [question, "Write a haiku about rain in April."], [0],
                        vocabulary_directions(encoder))
    assert len(encoder.untruncated_tokenizer().encode(response).ids) > WHOLE_PIECES
    (window,) = stage.best_windows([response])[0]
    assert question in window.text
    assert len(window.text) < len(response) / 2
    assert window.nearest[0] == 0


def test_literals_read_numbers_words_and_quoted_strings():
    assert literals("Janet sells 1,350.50 eggs, sixteen a day, at $2.00") == {
        "1350.5", "16", "2"}
    assert literals(">>> f('( ) (( ))')\n['()', '(())']") >= {"( ) (( ))", "()", "(())"}
    weights = LiteralWeights(["Tom has 3 apples and 47 pears.", "Ann has 3 cats and 5 dogs."])
    item = "Tom has 3 apples and 47 pears."
    assert weights.agreement(item, "three apples and 47 pears") == 1.0
    # A text of the item's length that states values of its own is a different problem...
    assert weights.agreement(item, "3 and 47 then 9") < 0.75
    # ... while a longer text (a response working the problem) only has to contain them.
    assert weights.agreement(item, f"{item} So 3 + 47 = 50 fruits, and 50 - 9 = 41.") == 1.0
    # 47 is rarer among the items than 3, so it weighs more.
    assert weights.agreement(item, "3 apples, 12 pears") < 0.5
    assert weights.agreement("Just the value 7", "7") == 0.0  # too few values to tell


def test_onnxruntime_encoder_matches_numpy_and_sentence_transformers():
    reference = json.loads((DATA / "minilm_reference.json").read_text())
    expected = np.array(reference["embeddings"], dtype=np.float32)
    onnx = MiniLMEncoder(model_zip_path(), "onnxruntime")
    numpy = MiniLMEncoder(model_zip_path(), "numpy")
    assert onnx.runtime == "onnxruntime"
    assert np.abs(onnx.encode(reference["texts"]) - expected).max() < 1e-3
    assert np.abs(onnx.encode(reference["texts"]) - numpy.encode(reference["texts"])).max() < 1e-4


def test_the_gate_lets_a_window_through_only_if_it_could_fire(suite):
    """Below `gate_alone`, a window reaches the encoder only if it states one of its nearest
    items' values as fully as the decision's value route needs: each window let through costs
    a full encoder pass, and one that states fewer could not fire."""
    semantic = suite.semantic
    limits = semantic.thresholds[0]  # gsm8k_test
    weights = semantic._literals[0]
    score = (limits.gate + limits.gate_alone) / 2
    for position in range(50):
        item = semantic.items[position].text
        values = sorted(literals(item))
        stated = [" ".join(values[:count]) for count in range(len(values), 0, -1)]
        short = [text for text in stated
                 if limits.agreement - 0.2 <= weights.agreement(item, text) < limits.agreement]
        if short and weights.agreement(item, stated[0]) >= limits.agreement:
            break
    else:
        pytest.fail("no item of the first 50 has values to state partly")
    assert semantic._passes_gate(0, Window(stated[0], score, (position,)))
    assert not semantic._passes_gate(0, Window(short[0], score, (position,)))
    assert semantic._passes_gate(0, Window(short[0], limits.gate_alone, (position,)))
    assert not semantic._passes_gate(0, Window(stated[0], limits.gate - 0.01, (position,)))
