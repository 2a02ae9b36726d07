"""Degenerate-text filters (repetition, truncation, preamble, gopher_quality, and language as a
default), on by default for every recipe by domain, with opt-out and tuning in the spec."""

import re
from pathlib import Path

import pytest
import yaml

from synth_assets.spec import SpecError, load_spec
from synth_assets.spec.default_filters import DEFAULT_FILTERS
from synth_assets.verify import Candidate, build_verifier
from tests.conftest import gsm8k_rows

SHEEPLE = " ".join(["Sheeple, found the treasure under the bed."] * 7)
REFRAIN_STORY = (
    "Once upon a time, a little gingerbread man jumped out of the oven. He ran past the cow "
    "and shouted, \"Run, run, as fast as you can!\" The cow could not catch him. He ran past "
    "the horse and the farmer. \"Run, run, as fast as you can!\" he laughed. At the river, a "
    "clever fox offered him a ride on his nose. The gingerbread man said yes, and that was the "
    "end of his running. \"Run, run, as fast as you can!\" is what he had said all day long.")
POEM = ("The sea is wide, the sea is blue,\nI walk along the sand with you.\n"
        "The waves come in, the waves go out,\nThe gulls above us twist about.\n"
        "The sea is wide, the sea is blue,\nAnd every day it feels brand new.")
TINY_STORY = ("Tom has a red ball. He likes it. He throws the ball to his dog. The dog runs and "
              "gets the ball. Tom is happy. The dog is happy too.")
MATH_SOLUTION = ("Natalia sold 48 / 2 = 24 clips in May.\nNatalia sold 48 + 24 = 72 clips "
                 "altogether in April and May.\nThe answer is 72")
CODE_ANSWER = "```python\ndef add(a, b):\n    return a + b\n```"
LIST_ANSWER = "- Apples\n- Bananas\n- Cherries\n- Grapes\n- Oranges"
LABELS_ANSWER = "Dolphin: mammal\nEagle: bird\nGecko: reptile\nSalmon: fish\nBat: mammal"
SKY = ("Sunlight is scattered by the molecules of the air, and blue light, with its short "
       "wavelength, is scattered the most, so the sky looks blue from every direction.")
GOOD_ANSWERS = [REFRAIN_STORY, POEM, TINY_STORY, MATH_SOLUTION, CODE_ANSWER, LIST_ANSWER,
                LABELS_ANSWER, SKY, "Paris.", "The answer is 42", "Yes."]


def verdict(kind: str, text: str, **options):
    return build_verifier(kind, options).verify(Candidate(text=text, seed={}))


# --- repetition: Gopher table A1 ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    SHEEPLE,
    "\n".join(["Sheeple, found the treasure under the bed."] * 7),
    # small word and case changes between the repeats
    "Sheeple found the treasure under the bed. Sheeple found a treasure under the bed. SHEEPLE "
    "found the treasure below the bed. Sheeple, found the gold under the bed. Sheeple found the "
    "treasure under the big bed. Sheeple found the treasure under the bed!",
    # the same line with different spacing and case
    "The cat sat on the mat.\nthe  cat sat on the MAT.\nThe cat sat on the mat. \nA dog came.",
    # a loop after a good start
    SKY + " " + " ".join(["And the sky is blue because the light is blue."] * 5),
    # paragraphs repeated
    "\n\n".join(["Lily went to the park and played on the swing with her friend Ben."] * 3),
])
def test_repetition_rejects_loops(text: str) -> None:
    result = verdict("repetition", text)
    assert not result.passed
    assert result.reason.startswith("repetitive:") and "> " in result.evidence


@pytest.mark.parametrize("text", GOOD_ANSWERS)
def test_repetition_admits_refrains_poems_and_short_answers(text: str) -> None:
    assert verdict("repetition", text).passed


def test_top_ngram_rules_wait_for_fifty_words_and_can_be_tuned() -> None:
    keyword_spam = " ".join(["cheap shoes"] * 10 + ["buy", "now", "today"] * 12)
    assert len(keyword_spam.split()) >= 50
    failed = verdict("repetition", keyword_spam, max_duplicate_ngram_char_fraction={})
    assert not failed.passed and "top 2-gram" in failed.reason
    assert verdict("repetition", keyword_spam, max_duplicate_ngram_char_fraction={},
                   top_ngram_min_words=1000).passed
    # a loop of one sentence is caught by the sentence statistics without any n-gram rule
    looped = verdict("repetition", SHEEPLE, max_duplicate_ngram_char_fraction={})
    assert not looped.passed and "duplicate sentence fraction" in looped.reason


def test_repetition_ignores_code_blocks() -> None:
    code = "```python\n" + "x = x + 1\n" * 8 + "```\nThis adds eight to x, one step at a time."
    assert verdict("repetition", code).passed


# --- truncation ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Tom went to the park with his mom. He saw a big red",
    "Lily wanted to bake a cake for her friend, so she went to the",
    "Here are the steps to follow:",
    "The sky is blue because sunlight is scattered,",
    "First, mix the flour and the sugar. Then add",
    "- Preheat the oven.\n- Mix the eggs with",
    "```python\ndef add(a, b):\n    return a +",
    "So the total number of apples she has is",
    '"Let\'s go to the beach," said Mom. "We can swim and',
])
def test_truncation_rejects_text_cut_mid_sentence(text: str) -> None:
    result = verdict("truncation", text)
    assert not result.passed and result.reason.startswith("cut off mid-sentence")


@pytest.mark.parametrize("text", [
    *GOOD_ANSWERS,
    "Write a poem about the sea in the style of a sailor's song",
    "Janet has 16 - 3 - 4 = 9 eggs left.\n#### 9",
    "So she pays $18 in total: \\boxed{18}",
    "The area is $x^2 = 9$",
    "So the root is \\(x = 3\\)",
    "Therefore\n\\[x = \\frac{1}{2}\\]",
    "The answer is 18 dollars",
    "We had a great time at the lake.\n\nBest regards,\nJohn Smith",
    "Steps:\n1. Boil the water.\n2. Add the pasta\n3. Drain and serve",
    '"We did it!" Tom shouted.',
    "The fox said, \"I will help you.\"",
    "Explain the difference between weather and climate (with one example)",
    "Planets compared.\n\n| planet | moons |\n| --- | --- |\n| Earth has one moon | 1 |",
])
def test_truncation_admits_finished_text(text: str) -> None:
    assert verdict("truncation", text).passed, verdict("truncation", text).reason


# --- preamble and meta-commentary ----------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Sure, here is a short story about a cat: Once upon a time a cat sat in the sun.",
    "sURE! hERE's the rewritten instruction: Explain photosynthesis to a child.",
    "**Certainly!** Below is the story you asked for.\n\nThe dog ran home.",
    "Here is the rewritten prompt: Describe the water cycle in detail.",
    "Here's a more complex version of the question: How do tides work?",
    "Explain how plants grow. The new instruction asks a question that requires reasoning.",
    "The new instruction asks a question that is harder than the original.",
    "Sure, I can write a new response with the requested information.",
    "#Rewritten Prompt#: Describe the water cycle in detail.",
    "#Given Prompt#\nWrite a haiku.",
    "Rewritten Instruction: List three uses of copper.",
    "Cats are great pets. As an AI language model, I do not own one.",
    "Tom found a shell. As an AI, I think shells are nice. He took it home.",
    "The dog ran. I'd be happy to rewrite the story if you want more detail.",
    "Of course! Let me explain how rainbows form.",
    # SmolLM2 on the default spec: the chat role leaked into a "verified" answer
    "A helpful AI assistant named Sarah:\n\nSounds like Sarah.\n\nWeather is day to day.",
    "Assistant: Weather changes every day, climate is the long-term pattern.",
    "Hello! I am your helpful AI assistant, and weather is what happens today.",
    "i'm an AI assistant, so here is the difference between weather and climate.",
])
def test_preamble_rejects_leaks_from_the_prompt(text: str) -> None:
    result = verdict("preamble", text)
    assert not result.passed and result.reason.startswith("prompt leak:")
    assert "matched" in result.evidence


@pytest.mark.parametrize("text", [
    *GOOD_ANSWERS,
    "Sure enough, the dog came back home before dark.",
    "Certainly not everyone agrees with this view of history.",
    "Here is why the sky is blue: air scatters short wavelengths the most.",
    "Here are three tips for staying healthy: sleep, move and eat well.",
    '"Sure!" said Tom, and he ran to get the ball.',
    "She worked as an assistant at the new bakery in town.",
    "I am the assistant manager of the store, said Mia with a smile.",
    "An AI assistant can plan a trip, answer questions and draft emails.",
    "I am an assistant teacher at the village school.",
    "The final answer is 42.",
    "The new version of the app lets you share photos with friends.",
    "Okra grows best in warm weather.",
])
def test_preamble_admits_ordinary_text(text: str) -> None:
    assert verdict("preamble", text).passed, verdict("preamble", text).evidence


def test_preamble_patterns_can_be_allowed_one_by_one() -> None:
    text = "Sure, here is how rainbows form: light bends in raindrops."
    assert not verdict("preamble", text).passed
    assert verdict("preamble", text, allow=["chat preamble"]).passed
    with pytest.raises(ValueError, match="pattern names"):
        build_verifier("preamble", {"allow": ["chatty"]})


# --- gopher_quality ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "rule"), [
    ("tree happy dog ball sky run fast blue green jump cat sun moon star big", "stop words"),
    ("@@@ ### $$$ %%% ^^^ &&& *** ||| ~~~ <<< >>> === +++ @@@ ### ||| ~~~", "per word"),
    ("The results are 12 34 56 78 90 11 22 33 44 55 66 77 88 99 00 and that is all", "alphabetic"),
    ("Well...\nI think...\nmaybe the cat...\nor the dog went away.", "ellipsis"),
    ("The best day ever 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", "symbol characters"),
    ("Photosynthesisization internationalizationalism counterrevolutionarily "
     "antidisestablishmentarianism incomprehensibilities uncharacteristically "
     "electroencephalographically otorhinolaryngological psychoneuroimmunology "
     "immunoelectrophoretically and the of", "mean word length"),
    ("a b c d e f g h i j k l m n o p the of", "mean word length"),
])
def test_gopher_quality_rejects_text_that_is_not_prose(text: str, rule: str) -> None:
    result = verdict("gopher_quality", text)
    assert not result.passed and rule in result.evidence, result.evidence


@pytest.mark.parametrize("text", [
    *[answer for answer in GOOD_ANSWERS if answer is not MATH_SOLUTION],
    "1. The Porch Light Readers\n2. Chapter and Street\n3. The Bookmark Society",
    "## Summary\nThe report covers sales in the first quarter and what changed since then.",
])
def test_gopher_quality_admits_prose_lists_and_short_answers(text: str) -> None:
    assert verdict("gopher_quality", text).passed, verdict("gopher_quality", text).evidence


def test_bullet_rule_is_off_by_default_and_available() -> None:
    assert verdict("gopher_quality", LIST_ANSWER).passed
    assert not verdict("gopher_quality", LIST_ANSWER, max_bullet_line_fraction=0.9).passed


# --- language (the existing verifier, as a default filter) ---------------------------------

FRENCH = ("Le soleil se levait lentement sur la ville endormie, et les rues étaient encore vides. "
          "Marie marchait vers la boulangerie pour acheter du pain frais pour toute sa famille, "
          "puis elle est rentrée chez elle en chantant une vieille chanson de son enfance.")


@pytest.mark.parametrize("text", [
    FRENCH,
    SKY + " " + SKY + " " + FRENCH,           # drifts into French at the end
    FRENCH + " " + SKY + " " + SKY,           # starts in French
])
def test_language_rejects_other_languages_and_drift(text: str) -> None:
    result = verdict("language", text, min_letters=80)
    assert not result.passed and "expected en" in result.reason, result.evidence


@pytest.mark.parametrize("text", [SKY, REFRAIN_STORY, TINY_STORY, MATH_SOLUTION, LIST_ANSWER,
                                  "Le croissant is a French pastry that you can eat with jam."])
def test_language_admits_english(text: str) -> None:
    assert verdict("language", text, min_letters=80).passed


def test_language_tells_english_by_function_words_and_the_rest_by_the_classifier() -> None:
    assert "by function words" in verdict("language", REFRAIN_STORY).evidence
    assert "by py3langid" in verdict("language", FRENCH).evidence
    assert verdict("language", FRENCH, languages=["fr"]).passed


# --- default-on in the spec ----------------------------------------------------------------

def write_spec(folder: Path, recipes: dict, verifiers: dict | None = None) -> Path:
    (folder / "seeds.jsonl").write_text('{"instruction": "Say hi."}\n', encoding="utf-8")
    spec = {"seed_sets": {"chat": {"path": "seeds.jsonl", "kind": "instruction"}},
            "teachers": {"t": {"model": "openai/stub", "api_base": "http://127.0.0.1:9/v1"}},
            "recipes": {name: {"seed_set": "chat", "teacher": "t", "template": "{{ instruction }}",
                               **recipe} for name, recipe in recipes.items()},
            "verifiers": verifiers or {}}
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_filters_apply_by_domain_to_recipes_that_do_not_name_them(tmp_path: Path) -> None:
    loaded = load_spec(write_spec(tmp_path, {
        "chat": {"domain": "general"},
        "sums": {"domain": "math", "verifiers": ["length"]},
        "functions": {"domain": "code"},
        "records": {"domain": "general", "response_format": "json"},
    }, {"length": {"type": "length"}}))
    recipes = loaded.spec.recipes
    assert recipes["chat"].verifiers == ["language", "preamble", "truncation", "repetition",
                                         "gopher_quality"]
    assert recipes["sums"].verifiers == ["length", "language", "preamble", "truncation",
                                         "math_repetition"]
    assert recipes["functions"].verifiers == ["language"]
    assert recipes["records"].verifiers == ["language"]
    assert loaded.spec.verifiers["math_repetition"].type == "repetition"
    assert loaded.spec.verifiers["language"].options == {"min_letters": 80}


def test_every_builtin_and_the_default_spec_get_the_filters(tmp_path: Path) -> None:
    from tests.test_recipes_builtin import every_builtin

    for name, recipe in every_builtin(tmp_path).spec.recipes.items():
        assert "language" in recipe.verifiers, name
        if recipe.domain == "general":  # less what a built-in skips (self_instruct: labels)
            assert {"preamble", "truncation", "repetition", "gopher_quality"} - set(
                recipe.skip_filters) <= set(recipe.verifiers), name
    default = load_spec(Path(__file__).resolve().parents[1] / "synth_assets" / "default_spec"
                        / "pipeline.yaml")
    assert "repetition" in default.spec.recipes["stories"].verifiers
    assert "truncation" in default.spec.recipes["math_chain_of_thought"].verifiers


def test_a_recipe_opts_out_and_a_spec_tunes_a_filter(tmp_path: Path) -> None:
    loaded = load_spec(write_spec(tmp_path, {
        "poems": {"domain": "general", "skip_filters": ["repetition", "truncation"],
                  "verifiers": ["loose_repetition"]},
        "chat": {"domain": "general"},
    }, {"language": {"type": "language", "options": {"languages": ["fr"]}},
        "loose_repetition": {"type": "repetition",
                             "options": {"max_duplicate_line_fraction": 0.6}}}))
    poems = loaded.spec.recipes["poems"].verifiers
    assert "repetition" not in poems and "truncation" not in poems
    assert "loose_repetition" in poems and "gopher_quality" in poems
    assert "repetition" in loaded.spec.recipes["chat"].verifiers
    assert loaded.spec.verifiers["language"].options == {"languages": ["fr"]}


def test_a_recipe_may_name_a_filter_its_domain_lacks_and_gets_it_once(tmp_path: Path) -> None:
    loaded = load_spec(write_spec(tmp_path, {
        "chat": {"domain": "general", "verifiers": ["truncation"]},
        "functions": {"domain": "code", "verifiers": ["truncation"]}}))
    assert loaded.spec.recipes["chat"].verifiers.count("truncation") == 1
    assert loaded.spec.recipes["functions"].verifiers == ["truncation", "language"]
    assert loaded.spec.verifiers["truncation"].type == "truncation"


@pytest.mark.parametrize(("recipes", "verifiers", "message"), [
    ({"chat": {"domain": "general", "skip_filters": ["repetiton"]}}, {},
     "recipes.chat.skip_filters: unknown default filter(s) 'repetiton'"),
    ({"chat": {"domain": "general"}},
     {"repetition": {"type": "repetition", "options": {"max_dup_line": 0.5}}},
     "verifiers.repetition.options: unknown option(s) 'max_dup_line' for verifier 'repetition'"),
    ({"chat": {"domain": "general"}},
     {"gopher_quality": {"type": "gopher_quality", "options": {"min_stop_words": -1}}},
     "gopher_quality min_stop_words must be an int >= 0"),
    ({"chat": {"domain": "general"}},
     {"repetition": {"type": "repetition",
                     "options": {"max_duplicate_ngram_char_fraction": {5: 1.5}}}},
     "max_duplicate_ngram_char_fraction[5] must be a number in [0, 1]"),
    ({"chat": {"domain": "general"}}, {"language": {"type": "length"}},
     "verifiers.language.type: 'language' is the name of a default filter"),
])
def test_bad_filter_settings_are_spec_errors(tmp_path: Path, recipes: dict, verifiers: dict,
                                             message: str) -> None:
    with pytest.raises(SpecError) as error:
        load_spec(write_spec(tmp_path, recipes, verifiers))
    assert message in str(error.value)
    assert str(tmp_path / "pipeline.yaml") in str(error.value)


def test_every_default_filter_builds_from_its_definition() -> None:
    for name, definition in DEFAULT_FILTERS.items():
        verifier = build_verifier(definition["type"], definition.get("options", {}))
        assert verifier.verify(Candidate(text=SKY, seed={})).passed, name


def default_filters_of(tmp_path: Path, domain: str) -> dict:
    loaded = load_spec(write_spec(tmp_path, {"recipe": {"domain": domain}}))
    return {name: build_verifier(loaded.spec.verifiers[name].type,
                                 loaded.spec.verifiers[name].options)
            for name in loaded.spec.recipes["recipe"].verifiers}


def test_math_filters_admit_worked_solutions_and_reject_loops(tmp_path: Path) -> None:
    filters = default_filters_of(tmp_path, "math")
    # the calculator annotations <<48/2=24>> are removed: a teacher's solution has none
    solutions = [re.sub(r"<<[^>]*>>", "", row["answer"]) for row in gsm8k_rows("train")[:300]]
    assert len(solutions) == 300
    rejected = [(name, text) for text in solutions for name, verifier in filters.items()
                if not verifier.verify(Candidate(text=text, seed={})).passed]
    assert rejected == []
    # Gopher's full table would reject many of them: its n-gram rules read restated
    # quantities as repetition.
    full_table = build_verifier("repetition", {})
    assert sum(not full_table.verify(Candidate(text=text, seed={})).passed
               for text in solutions) > 20
    for loop in ["3 * 4 = 12. The answer is 12. " * 2,
                 "Step 1: 12 + 4 = 16.\nStep 2: 16 * 2 = 32.\n" + "So the total is 32. " * 3,
                 "She has 5 apples and gives 2 to Tom, so she has 3 left. " * 2,
                 "So the answer is 12 and the answer is 12 and the answer is 12 and the answer "
                 "is 12 and the answer is 12 and the answer is 12."]:
        assert not filters["math_repetition"].verify(Candidate(text=loop, seed={})).passed, loop


def test_code_answers_pass_the_code_domain_filters(tmp_path: Path) -> None:
    filters = default_filters_of(tmp_path, "code")
    unfenced = "def flatten(lists):\n    return [item for inner in lists for item in inner]\n"
    for text in [CODE_ANSWER, unfenced, "Here is the function:\n" + CODE_ANSWER]:
        assert all(v.verify(Candidate(text=text, seed={})).passed for v in filters.values())
