import os
import pickle
import subprocess
import sys

import pytest

from synth_assets.decontam import (
    BenchmarkItem,
    NgramIndex,
    load_benchmark_file,
    load_humaneval,
    normalize_tokens,
)
from tests.conftest import GSM8K_TEST, gsm8k_rows

FILLER = (
    "Here is a practice problem written for you by a tutor. Read it carefully before you start. "
)


@pytest.fixture(scope="module")
def gsm8k_test_items() -> list[BenchmarkItem]:
    return load_benchmark_file("gsm8k_test", GSM8K_TEST, "question")


@pytest.fixture(scope="module")
def humaneval_items() -> list[BenchmarkItem]:
    return load_humaneval()


@pytest.fixture(scope="module")
def index(gsm8k_test_items, humaneval_items) -> NgramIndex:
    return NgramIndex.build(gsm8k_test_items + humaneval_items)


def test_verbatim_gsm8k_test_question_in_longer_text_is_hit(index, gsm8k_test_items):
    item = gsm8k_test_items[17]
    record = f"{FILLER}{item.text}\nLet's think step by step. First we add the numbers."

    hits = index.find_hits(record)

    assert [(hit.benchmark, hit.item_id) for hit in hits] == [("gsm8k_test", "gsm8k_test:17")]
    tokens = normalize_tokens(item.text)
    assert hits[0].matched_ngram == " ".join(tokens[:13])
    assert hits[0].matched_count == hits[0].item_ngram_count == len(set(_grams(tokens, 13)))


def test_case_and_punctuation_changes_do_not_hide_a_copy(index, gsm8k_test_items):
    item = gsm8k_test_items[0]  # contains a curly apostrophe: "Janet’s ducks"
    record = item.text.upper().replace("’", "'").replace(".", " ;")
    assert [hit.item_id for hit in index.find_hits(record)] == ["gsm8k_test:0"]


def test_partial_copy_reports_partial_overlap(index, gsm8k_test_items):
    item = gsm8k_test_items[5]
    tokens = normalize_tokens(item.text)
    record = FILLER + " ".join(tokens[3:16])  # exactly one 13-gram of the item

    [hit] = index.find_hits(record)

    assert hit.item_id == "gsm8k_test:5"
    assert hit.matched_ngram == " ".join(tokens[3:16])
    assert hit.matched_count == 1
    assert hit.item_ngram_count > 1


def test_verbatim_humaneval_prompt_is_hit(index, humaneval_items):
    item = humaneval_items[42]
    record = f"Complete this function.\n```python\n{item.text}    return []\n```\nDone."

    hits = index.find_hits(record)

    assert [(hit.benchmark, hit.item_id) for hit in hits] == [("humaneval", "HumanEval/42")]
    assert hits[0].matched_ngram == " ".join(normalize_tokens(item.text)[:13])


def test_hits_come_in_order_of_first_match_in_the_record(index, gsm8k_test_items):
    record = f"{gsm8k_test_items[900].text}\n{FILLER}\n{gsm8k_test_items[3].text}"
    assert [hit.item_id for hit in index.find_hits(record)] == [
        "gsm8k_test:900",
        "gsm8k_test:3",
    ]


def test_unrelated_text_has_no_hits(index):
    record = (
        "The mitochondria is the powerhouse of the cell, and photosynthesis in plants turns "
        "sunlight, water and carbon dioxide into glucose and oxygen over many small steps. "
        "def add(a, b):\n    return a + b\n"
    )
    assert index.find_hits(record) == []
    assert index.find_hits("") == []


def test_gsm8k_train_questions_rarely_hit_gsm8k_test(gsm8k_test_items):
    index = NgramIndex.build(gsm8k_test_items)
    train_rows = gsm8k_rows("train")[:500]

    hit_records = [
        line_number
        for line_number, row in enumerate(train_rows)
        if index.find_hits(row["question"])
    ]

    # Train and test are disjoint problems, but share stock phrasings; see the report figure.
    print(f"false positives: {len(hit_records)} of 500 GSM8K train questions {hit_records}")
    assert len(hit_records) <= 5


def test_short_item_matches_only_when_all_its_tokens_appear_in_a_row():
    index = NgramIndex.build([BenchmarkItem("tiny", "t:0", "What is two plus two?")], n=13)

    [hit] = index.find_hits("Question: what is two plus two? Answer: four.")
    assert (hit.item_id, hit.matched_ngram, hit.matched_count, hit.item_ngram_count) == (
        "t:0",
        "what is two plus two",
        1,
        1,
    )
    assert index.find_hits("what is two plus three") == []


@pytest.mark.parametrize("item_length", [13, 20, 12, 11, 10, 3, 1])
def test_a_copied_gram_is_found_at_every_offset(item_length):
    # The probe only looks at every stride-th position; no offset may slip through it.
    words = [f"w{i}" for i in range(item_length)]
    index = NgramIndex.build([BenchmarkItem("b", "b:0", " ".join(words))], n=13)
    copied = " ".join(words[:13])
    for offset in range(15):
        record = " ".join(["filler"] * offset + [copied] + ["filler"] * 3)
        assert [hit.matched_ngram for hit in index.find_hits(record)] == [copied], offset


def test_small_n_matches_short_grams(gsm8k_test_items):
    index = NgramIndex.build(gsm8k_test_items[:20], n=4)
    tokens = normalize_tokens(gsm8k_test_items[7].text)
    [hit] = index.find_hits(f"Something else entirely: {' '.join(tokens[10:14])}.")
    assert (hit.item_id, hit.matched_ngram) == ("gsm8k_test:7", " ".join(tokens[10:14]))


def test_record_shorter_than_n_does_not_hit_long_items(index, gsm8k_test_items):
    assert index.find_hits(" ".join(normalize_tokens(gsm8k_test_items[0].text)[:12])) == []


def test_fingerprint_is_stable_for_same_items_in_any_order(gsm8k_test_items):
    items = gsm8k_test_items[:50]
    fingerprint = NgramIndex.build(items).fingerprint
    assert NgramIndex.build(list(items)).fingerprint == fingerprint
    assert NgramIndex.build(reversed(items)).fingerprint == fingerprint


def test_fingerprint_changes_when_items_or_n_change(gsm8k_test_items):
    items = gsm8k_test_items[:50]
    fingerprint = NgramIndex.build(items).fingerprint
    edited = [*items[:-1], BenchmarkItem(items[-1].benchmark, items[-1].item_id, "edited text")]
    renamed = [BenchmarkItem("other", item.item_id, item.text) for item in items]
    assert NgramIndex.build(items[:49]).fingerprint != fingerprint
    assert NgramIndex.build(edited).fingerprint != fingerprint
    assert NgramIndex.build(renamed).fingerprint != fingerprint
    assert NgramIndex.build(items, n=8).fingerprint != fingerprint


def test_duplicate_item_ids_are_rejected():
    items = [BenchmarkItem("b", "b:0", "one text"), BenchmarkItem("b", "b:0", "another text")]
    with pytest.raises(ValueError, match="duplicate"):
        NgramIndex.build(items)


def test_item_without_tokens_is_rejected():
    with pytest.raises(ValueError, match="no tokens"):
        NgramIndex.build([BenchmarkItem("b", "b:0", "?!")])


def test_index_unpickled_in_another_process_finds_the_same_hits(tmp_path, gsm8k_test_items):
    # Gram keys use the per-process salted hash(); another process must rebuild, not reuse them.
    index = NgramIndex.build(gsm8k_test_items[:200])
    record = FILLER + gsm8k_test_items[100].text
    (tmp_path / "index.pickle").write_bytes(pickle.dumps(index))
    script = (
        "import pickle, sys; from pathlib import Path\n"
        "index = pickle.loads(Path(sys.argv[1]).read_bytes())\n"
        "print(index.fingerprint, [hit.item_id for hit in index.find_hits(sys.argv[2])])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "index.pickle"), record],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert result.stdout.split(" ", 1) == [index.fingerprint, "['gsm8k_test:100']\n"]


def _grams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
