"""The recipe-specific verifiers on answers built to slip past them, and on good answers a
naive check would reject."""

from fractions import Fraction

import pytest

from synth_assets.verify import Candidate, build_verifier
from synth_assets.verify.computes import computes
from synth_assets.verify.words import named_entities, numbers
from synth_assets.verify.worked_solution import wrong_calculations

STORY = {"verb": "hug", "noun": "ball", "adjective": "happy"}


def story(text: str, **attributes) -> Candidate:
    return Candidate(text=text, seed={"response": text}, attributes={**STORY, **attributes})


def passes(kind: str, candidate: Candidate, **options) -> bool:
    return build_verifier(kind, options).verify(candidate).passed


@pytest.mark.parametrize(("text", "expected"), [
    ("Mia hugged the happy dog and threw the ball.", True),  # inflected verb
    ("The happiest girl hugs her two balls.", True),
    ("Mia went to the bakery with a happy face and a ball.", False),  # no form of "hug"
    ("The thug had a happy ball.", False),  # "hug" inside another word
    ("Mia hugged the dog and threw the ball.", False),  # adjective missing
])
def test_required_words_are_lemmatized(text: str, expected: bool) -> None:
    assert passes("required_words", story(text), attributes=["verb", "noun", "adjective"]) \
        is expected


def test_bakery_does_not_count_for_bake() -> None:
    candidate = Candidate(text="We went to the bakery.", seed={"response": "We went to the "
                                                               "bakery."},
                          attributes={"verb": "bake"})
    assert not passes("required_words", candidate, attributes=["verb"])


def test_a_missing_attribute_is_named() -> None:
    with pytest.raises(ValueError, match="prompt attribute 'colour'"):
        build_verifier("required_words", {"attributes": ["colour"]}).verify(story("A ball."))


@pytest.mark.parametrize(("text", "expected"), [
    ('"Hi!" said Tom.', True),
    ("“Look at the ball,” said Mia.", True),
    ('She liked the word "hug" a lot.', False),  # a quoted word is not speech
    ("Tom said hello to the dog.", False),
])
def test_dialogue_needs_quoted_speech(text: str, expected: bool) -> None:
    candidate = story(text, feature={"name": "dialogue", "instruction": "..."})
    assert passes("story_feature", candidate) is expected


def test_numbers_read_words_and_digits_alike_and_skip_list_markers() -> None:
    assert numbers("twenty kilograms") == numbers("20 kg") == {Fraction(20)}
    assert numbers("twenty-five and three hundred and 1,250.5") == {
        Fraction(25), Fraction(300), Fraction(2501, 2)}
    assert numbers("1. Water the plants\n2) Move them") == set()
    assert named_entities("Bees like it. The Moon's pull and Isaac Newton.") == {
        "moon", "isaac", "newton"}


BEES = ("Worker bees collect nectar from flowers. A strong colony can store more than twenty "
        "kilograms of honey for the winter.")


def grounded(text: str) -> bool:
    candidate = Candidate(text=text, seed={"text": BEES, "response": text})
    return passes("grounding", candidate, min_similarity=0.7)


def test_grounding_rejects_new_facts_copies_and_drift() -> None:
    assert grounded("Bees that work gather nectar from flowers, and a strong colony keeps over "
                    "20 kilograms of honey for winter.")
    assert not grounded("Worker bees collect nectar from flowers. A hive of 50,000 bees can "
                        "store more than twenty kilograms of honey.")  # a number made up
    assert not grounded("As Karl von Frisch showed, worker bees collect nectar, and a colony "
                        "stores over twenty kilograms of honey for winter.")  # a name made up
    assert not grounded(BEES)  # a verbatim copy is no rephrase
    assert not grounded("Twenty kilograms of luggage is the limit on most budget flights in "
                        "winter.")  # keeps the number, not the meaning


@pytest.mark.parametrize(("solution", "wrong"), [
    ("17 x 12.50 = 212.50 dollars", []),
    ("17 x 12.50 = 202.50 dollars", ["17 x 12.50 = 202.50"]),
    ("$2.75 * 3 = $8.25, and 20 - 8.25 - 1.40 = 10.35", []),
    ("10 / 3 = 3.33 per person", []),  # rounded to the stated cents
    ("10 / 3 = 3 per person", ["10 / 3 = 3"]),
    ("(6 + 4) × 2 = 20", []),
    ("3 + 4 = 8", ["3 + 4 = 8"]),
])
def test_every_explicit_calculation_is_recomputed(solution: str, wrong: list[str]) -> None:
    assert wrong_calculations(solution) == wrong


def test_a_program_must_compute_its_answer() -> None:
    assert not computes("def solution():\n    return 79", "solution")
    assert not computes("def solution():\n    answer = 79\n    return answer", "solution")
    assert computes("def helper(a, b):\n    return a * b\n\ndef solution():\n"
                    "    return helper(6, 15)", "solution")
    assert not computes("def other():\n    return 6 * 15", "solution")


def evolved(instruction: str, original: str = "List five ways to reduce food waste at home."
            ) -> bool:
    candidate = Candidate(text=instruction, seed={"instruction": instruction,
                                                  "evolved_from": original})
    return passes("evolution", candidate)


def test_evolution_elimination() -> None:
    assert evolved("For a family of four with a small fridge, list five ways to reduce food "
                   "waste and estimate what each saves per month.")
    assert evolved("Why do households waste more food than shops do?")
    assert not evolved("List five ways to reduce the food waste at home.")  # no new information
    assert not evolved("#Rewritten Prompt#: List ways to cut food waste in a restaurant.")
    assert not evolved("The new instruction asks for ways to reduce food waste at home.")
    assert not evolved("Planning meals and freezing leftovers are the two best ways.")
    assert not evolved("Sure! Here are five ways: plan meals and use leftovers.")


def revision(text: str, principle: str = "harmless") -> bool:
    draft = "You could try common passwords like 12345678 when you visit."
    candidate = Candidate(text=f"Critique: bad.\nRevision: {text}",
                          seed={"response": text, "draft": draft,
                                "instruction": "How can I get my neighbor's wifi password?"},
                          attributes={"principle": {"name": principle}})
    return passes("revision", candidate)


def test_a_revision_may_decline_but_must_help() -> None:
    assert revision("I can't help with getting into someone else's network, but you can ask "
                    "your neighbor to share the password or use a public hotspot instead.")
    assert not revision("I'm sorry, but I can't help with that.")
    assert not revision("You could try common passwords like 12345678 when you visit.")
    assert not revision("Ask first. You could try common passwords like 12345678 when you "
                        "visit.")  # keeps the harmful sentence


def conversation(turns: list[tuple[str, str]]) -> Candidate:
    records = [{"speaker": speaker, "text": text} for speaker, text in turns]
    text = "\n".join(f"{speaker}: {said}" for speaker, said in turns)
    return Candidate(text=text, seed={"turns": records, "response": text})


def test_both_speakers_must_say_something() -> None:
    assert passes("conversation_turns", conversation([
        ("A", "What causes the tides?"), ("B", "Mostly the Moon's gravity pulling the oceans."),
        ("A", "Only one bulge?"), ("B", "Two: a second forms on the far side of the Earth.")]))
    assert not passes("conversation_turns", conversation([
        ("A", "The Moon's gravity pulls on the oceans and raises a bulge."), ("B", "I see."),
        ("A", "A second bulge forms on the opposite side of the Earth."), ("B", "Yes.")]))
