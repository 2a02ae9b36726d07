"""Verifier options survive the JSON round trip an rl_prompts export makes (its `verifiers`
column, read back by synth_assets.rewards): JSON carries mapping keys as text, so the n-gram
sizes of the repetition filter arrive as "10"."""

import json

import pytest

from synth_assets.spec.default_filters import DEFAULT_FILTERS
from synth_assets.verify import Candidate, build_verifier

LOOP = " ".join(["the cat sat on the mat and looked at the door"] * 6) + "."


@pytest.mark.parametrize("name", sorted(DEFAULT_FILTERS))
def test_each_default_filter_is_the_same_after_a_json_round_trip(name: str) -> None:
    definition = DEFAULT_FILTERS[name]
    options = definition.get("options", {})
    original = build_verifier(definition["type"], options)
    crossed = build_verifier(definition["type"], json.loads(json.dumps(options)))
    assert crossed == original
    verdicts = [verifier.verify(Candidate(LOOP, {})) for verifier in (crossed, original)]
    assert len({(v.passed, v.score, v.reason, v.evidence) for v in verdicts}) == 1


@pytest.mark.parametrize("sizes", [{"ten": 0.3}, {"0": 0.3}, {"-1": 0.3}, {True: 0.3},
                                   {"1.5": 0.3}])
def test_an_ngram_size_that_is_no_positive_int_is_still_refused(sizes: dict) -> None:
    with pytest.raises(ValueError, match="must map n-gram sizes"):
        build_verifier("repetition", {"max_duplicate_ngram_char_fraction": sizes})
