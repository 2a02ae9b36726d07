import pytest

from synth_assets.verify.dedup import (
    DedupSettings,
    MinHasher,
    exact_key,
    find_duplicates,
    lsh_bands,
)

STORY = ("the quick brown fox jumps over the lazy dog and then runs into the forest to look for "
         "food for its family before the night falls and the cold wind starts to blow")


def test_exact_duplicates_ignore_case_punctuation_and_spacing() -> None:
    assert exact_key("Hello,   World!") == exact_key("hello world")
    found = find_duplicates([("a", STORY), ("b", STORY.upper() + "!!"), ("c", "other text")])
    assert set(found) == {"b"}
    assert (found["b"].kept_id, found["b"].kind, found["b"].similarity) == ("a", "exact", 1.0)


def test_near_duplicates_point_at_the_earliest_record() -> None:
    records = [("first", STORY), ("second", STORY + " and it was happy"),
               ("third", STORY + " and it was very happy indeed"),
               ("unrelated", "a train travels sixty kilometres per hour for two hours")]
    found = find_duplicates(records)
    assert {k: v.kept_id for k, v in found.items()} == {"second": "first", "third": "first"}
    assert all(v.kind == "near" and v.similarity >= 0.7 for v in found.values())


def test_threshold_is_configurable() -> None:
    changed = STORY.replace("lazy", "sleepy")  # 5 of 31 word 5-grams change: Jaccard ~0.72
    assert "b" in find_duplicates([("a", STORY), ("b", changed)], DedupSettings(threshold=0.6))
    assert find_duplicates([("a", STORY), ("b", changed)], DedupSettings(threshold=0.9)) == {}


def test_minhash_estimates_jaccard() -> None:
    hasher = MinHasher(DedupSettings(num_perm=256))
    words = [f"w{i}" for i in range(400)]
    a, b = " ".join(words[:300]), " ".join(words[100:])  # 5-gram Jaccard = 196/404 ~ 0.485
    estimate = (hasher.signature(a) == hasher.signature(b)).mean()
    assert estimate == pytest.approx(196 / 404, abs=0.08)


def test_lsh_band_choice() -> None:
    bands, rows = lsh_bands(0.7, 128)
    assert bands * rows <= 128
    # pairs at the threshold mostly become candidates, pairs at 0.3 almost never
    assert 1 - (1 - 0.7**rows) ** bands > 0.9
    assert 1 - (1 - 0.3**rows) ** bands < 0.05


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        DedupSettings(threshold=0)
