import json
import time
from pathlib import Path

import pytest

from synth_assets.verify import Candidate, build_verifier, symbolic
from synth_assets.verify.math_answer import answers_match, extract_final_answer, stated_decimals
from tests.conftest import gsm8k_rows

# (response text, extracted final answer)
EXTRACTION_CASES = [
    # \boxed, including nested braces, the last box winning, and \fbox
    ("So the total is \\boxed{18}.", "18"),
    ("$\\boxed{\\frac{3}{4}}$", "\\frac{3}{4}"),
    ("First \\boxed{2}, no wait: \\boxed{\\dfrac{1}{\\sqrt{4}}}", "\\dfrac{1}{\\sqrt{4}}"),
    ("\\fbox{7}", "7"),
    ("The final answer is $\\boxed{1{,}200}$. I hope it is correct.", "1,200"),
    ("Unclosed \\boxed{12 and the answer is 5", "5"),
    # GSM8K-style "####"
    ("She makes 9 * 2 = $18 every day.\n#### 18", "18"),
    ("#### 1,200 apples", "1,200"),
    # "The answer is" / "Answer:" phrasings, last one wins
    ("The answer is 42.", "42"),
    ("The answer is 5. Wait, recheck: the answer is 7.", "7"),
    ("The final answer is -3.5", "-3.5"),
    ("Answer: $1,200", "$1,200"),
    ("**Answer:** 18 apples", "18"),
    ("**Answer**: 7", "7"),
    ("Final Answer:\n12", "12"),
    ("The answer is: B.", "B"),
    ("The answer is $\\frac{-3}{4}$.", "\\frac{-3}{4}"),
    ("The answer is $x^2 + 2x + 1$.", "x^2 + 2x + 1"),
    ("The answer is \\(1.5 \\times 10^3\\).", "1.5 \\times 10^3"),
    # last number in the text as the fallback
    ("She pays $12 in total.", "$12"),
    ("So 25% of them are red.", "25%"),
    ("That leaves 12 apples.", "12"),
    ("Half of it: 3/4 of a cup", "3/4"),
    ("which is \\frac{3}{4}", "\\frac{3}{4}"),
    ("a loss of -7 dollars", "-7"),
    ("x = \u22127", "-7"),  # unicode minus
    ("about 0.25 of the total", "about 0.25"),  # a hedge is kept whole: it matches nothing
    ("it costs .5 dollars", ".5"),
    ("We get 1,234,567.89 in total", "1,234,567.89"),
    ("children aged 3-5", "5"),
    ("no numbers here", None),
    ("", None),
    # several boxes: one answer when only "and", commas or "x =" stand between them
    ("The roots are $\\boxed{2}$ and $\\boxed{3}$.", "2, 3"),
    ("$x = \\boxed{-1}$ or $x = \\boxed{1{,}000}$", "-1, 1000"),
    ("\\boxed{2}. Checking again, it is \\boxed{3}", "3"),
    ("\\boxed{2}. \\boxed{3}", "3"),  # a full stop ends an answer
    ("x &= \\boxed{4} \\\\ y &= \\boxed{-1}", "4, -1"),
    ("\\boxed{\\boxed{4}}", "\\boxed{4}"),
    # listed and hedged answers are kept whole
    ("The answer is 3, 4 or 5.", "3, 4, 5"),
    ("The answer is $2$ and $-2$.", "2, -2"),
    ("The answer is 3 apples or 4 apples.", "3, 4"),
    ("The answer is 7 and the remainder is 2.", "7"),
    ("The answer is not 5, it is 6.", "not 5, it is 6"),
    ("The answer is 6, since 2 times 3 is 6.", "6"),
    ("I think it could be 8 or 9.", "8, 9"),
    ("It is 6, not 5.", "It is 6, not 5"),
    # decimal comma and LaTeX thousands separators
    ("Der Preis ist \\boxed{1000,99}.", "1000.99"),
    ("\\boxed{1,5}", "1,5"),
    ("$\\boxed{32,\\! 349}$", "32,349"),
]


@pytest.mark.parametrize(("text", "expected"), EXTRACTION_CASES)
def test_extract_final_answer(text: str, expected: str | None) -> None:
    assert extract_final_answer(text) == expected


# (predicted, gold, tolerance, match?)
MATCH_CASES = [
    ("18", "18", 1e-6, True),
    ("18.0", "18", 1e-6, True),
    ("$1,200", "1200", 1e-6, True),
    ("1,200", "1,200", 1e-6, True),
    ("\\frac{3}{4}", "3/4", 1e-6, True),
    ("0.75", "3/4", 0.0, True),  # exact rational, no tolerance needed
    ("$\\frac{-3}{4}", "-0.75", 0.0, True),
    ("-\\$12", "-12", 1e-6, True),
    ("25%", "25", 1e-6, True),
    ("25\\%", "0.25", 1e-6, True),
    ("12 \\text{ apples}", "12", 1e-6, True),
    ("0.3333333", "1/3", 1e-6, True),
    ("0.333", "1/3", 1e-6, False),
    ("0.333", "1/3", 1e-3, True),
    ("1000000.5", "1000000", 1e-6, False),  # tolerance is absolute
    ("17", "18", 1e-6, False),
    ("-18", "18", 1e-6, False),
    ("1/0", "0", 1e-6, False),
    ("B", "b", 1e-6, True),  # non-numeric: normalized text
    ("x + 1", "x+1", 1e-6, True),
    ("twelve", "12", 1e-6, False),
    ("23", "2*3", 1e-6, False),  # the text comparison keeps a product's "*"
    ("1 2", "12", 1e-6, False),  # and the space between two numbers
    ("**18**", "18", 1e-6, True),
    # a number is not an expression that contains it (wrong accepts of version 2)
    ("5", "\\sqrt{5}", 1e-6, False),
    ("2", "x^2", 1e-6, False),
    ("5", "5\\pi", 1e-6, False),
    ("3", "3x", 1e-6, False),
    ("30", "\\sin(30)", 1e-6, False),
    ("x < 5", "x > 5", 1e-6, False),
    ("2021", "\\pm 2021", 1e-6, False),
    ("5 \\text{ squared}", "5", 1e-6, False),
    ("3 million", "3", 1e-6, False),
    ("5 pi", "5", 1e-6, False),
    ("18 cm^2", "18", 1e-6, True),
    ("25 percent", "0.25", 1e-6, True),
    ("5 km", "5 cm", 1e-6, False),  # units count when both sides give one
    ("5 boxes", "5 box", 1e-6, True),
    # equal forms a naive check rejects
    ("5 > x", "x < 5", 1e-6, True),
    ("-2021, 2021", "\\pm 2021", 1e-6, True),
    ("x = 5", "5", 1e-6, True),
    ("1000.99", "1000,99", 1e-6, True),
    ("32,\\! 349", "32349", 1e-6, True),
    ("\\sqrt{25}", "5", 0.0, True),
    # hedges match no gold
    ("not 5", "5", 1e-6, False),
    ("3 \\text{ or } 4", "4", 1e-6, False),
    ("\\approx 4", "4", 1e-6, False),
    # the tolerance is for decimals, not for exact expressions close to the gold
    ("1.4142136", "\\sqrt{2}", 1e-6, True),
    ("1.4142", "\\sqrt{2}", 1e-6, False),
    ("\\frac{355}{113}", "\\pi", 1e-6, False),
    ("\\pi + 10^{-20}", "\\pi", 1e-6, False),
    ("\\frac{10^{30}+1}{10^{30}}", "1", 1e-6, False),
    # numbers with only space between them: not a sum (math-verify reads "20 5" as 25)
    ("20 5", "25", 1e-6, False),
    ("3 \\quad 4", "7", 1e-6, False),
    ("1 000", "1000", 1e-6, True),  # thousands separated by spaces
    ("2 \\frac{1}{2}", "5/2", 1e-6, True),  # a mixed number
    ("\\begin{pmatrix} 7 & 15 \\\\ 10 & 22 \\end{pmatrix}",
     "\\begin{pmatrix} 7 & 10 \\\\ 15 & 22 \\end{pmatrix}", 1e-6, False),
    ("x = 2, y = 3", "(2, 3)", 1e-6, True),  # values of variables, in the variables' order
    ("y = 3, x = 2", "(2, 3)", 1e-6, True),
    ("x = 3, y = 2", "(2, 3)", 1e-6, False),
    ("\\log_2 8", "3", 1e-6, True),
    ("\\frac{4}{9}", "0.\\overline{4}", 0.0, True),  # a repeating decimal is its fraction
    ("1.2\\overline{45}", "137/110", 0.0, True),
    ("0.44", "0.\\overline{4}", 1e-6, False),
    ("\\frac{-1 \\pm \\sqrt{5}}{2}", "\\frac{-1+\\sqrt{5}}{2}, \\frac{-1-\\sqrt{5}}{2}", 1e-6,
     True),
    ("\\frac{-1 \\pm \\sqrt{5}}{2}", "\\frac{-1+\\sqrt{5}}{2}", 1e-6, False),
    # words are compared as text, never as products of letters
    ("\\text{god}", "\\text{dog}", 1e-6, False),
]


@pytest.mark.parametrize(("predicted", "gold", "tolerance", "expected"), MATCH_CASES)
def test_answers_match(predicted: str, gold: str, tolerance: float, expected: bool) -> None:
    assert answers_match(predicted, gold, tolerance) is expected


def test_verifier_passes_a_correct_answer_and_shows_evidence() -> None:
    verifier = build_verifier("math_answer", {})
    verdict = verifier.verify(
        Candidate(text="3 * 6 = 18, so the answer is 18.", seed={"question": "q", "answer": "18"})
    )
    assert verdict.passed and verdict.score == 1.0
    assert verdict.evidence == "extracted=18 gold=18"
    assert verdict.duration_s >= 0


def test_verifier_fails_a_wrong_answer() -> None:
    verdict = build_verifier("math_answer", {}).verify(
        Candidate(text="\\boxed{17}", seed={"question": "q", "answer": "18"})
    )
    assert not verdict.passed and verdict.score == 0.0
    assert verdict.reason == "final answer differs from the gold answer"
    assert verdict.evidence == "extracted=17 gold=18"


def test_verifier_reports_a_missing_answer() -> None:
    verdict = build_verifier("math_answer", {}).verify(
        Candidate(text="I am not sure how to solve this.", seed={"question": "q", "answer": "3"})
    )
    assert not verdict.passed
    assert verdict.reason == "no final answer found"


def test_verifier_uses_its_tolerance() -> None:
    candidate = Candidate(text="The answer is 0.3333", seed={"question": "q", "answer": "1/3"})
    assert not build_verifier("math_answer", {}).verify(candidate).passed
    assert build_verifier("math_answer", {"tolerance": 1e-3}).verify(candidate).passed


def test_verifier_rejects_a_gold_answer_that_is_not_text_or_a_number() -> None:
    with pytest.raises(ValueError, match="answer"):
        build_verifier("math_answer", {}).verify(Candidate(text="18", seed={"answer": [18]}))


SYMBOLIC_CASES = [
    ("\\sqrt{8}", "2\\sqrt{2}", True),
    ("x^2 + 2x + 1", "(x+1)^2", True),
    ("\\dfrac{1}{\\sqrt{4}}", "1/2", True),
    ("\\frac{\\pi}{2}", "\\pi/2", True),
    ("\\{1, 2\\}", "\\{2, 1\\}", True),
    ("1.5 \\times 10^3", "1500", True),
    ("\\sqrt{8}", "3", False),
    ("x^2 + 1", "(x+1)^2", False),
    ("[1, 4]", "(1, 4]", False),
]


@pytest.mark.parametrize(("predicted", "gold", "expected"), SYMBOLIC_CASES)
def test_symbolic_equivalence_through_math_verify(predicted: str, gold: str,
                                                  expected: bool) -> None:
    assert answers_match(predicted, gold) is expected


@pytest.mark.parametrize(("question", "decimals"), [
    ("Round your answer to the nearest hundredth.", 2),
    ("Give it to the nearest tenth of a percent.", 1),
    ("to the nearest ten-thousandth", 4),
    ("Round to the nearest whole number.", 0),
    ("How many dollars, to the nearest cent?", 2),
    ("Round to the nearest hundred.", -2),
    ("Express it as a decimal to 3 decimal places.", 3),
    ("Write the answer to two decimal places.", 2),
    ("Round to one decimal place.", 1),
    ("How many apples are left?", None),
])
def test_stated_decimals(question: str, decimals: int | None) -> None:
    assert stated_decimals(question) == decimals


def test_rounding_comes_from_the_question_never_from_the_response() -> None:
    verifier = build_verifier("math_answer", {})
    rounded = Candidate(text="\\boxed{3.14}", seed={"answer": "\\pi"},
                        prompt="Find the area of a unit circle to the nearest hundredth.")
    assert verifier.verify(rounded).passed
    self_declared = Candidate(text="Rounded to the nearest whole number, \\boxed{3}",
                              seed={"answer": "\\pi", "question": "Find the area."})
    assert not verifier.verify(self_declared).passed
    from_seed = Candidate(text="\\boxed{12.7}",
                          seed={"answer": "12.65", "question": "Round to the nearest tenth."})
    assert verifier.verify(from_seed).passed


def test_a_box_and_a_different_final_line_fail_with_both_shown() -> None:
    verdict = build_verifier("math_answer", {}).verify(
        Candidate(text="So \\boxed{42}.\n#### 41", seed={"answer": "42"}))
    assert not verdict.passed
    assert verdict.reason == "the response gives two different final answers"
    assert verdict.evidence == "extracted=42 then 41 gold=42"


def test_prose_after_a_box_is_no_second_answer() -> None:
    verdict = build_verifier("math_answer", {}).verify(
        Candidate(text="So \\boxed{42}. The answer is reasonable: 6 * 7 = 42.",
                  seed={"answer": "42"}))
    assert verdict.passed and verdict.evidence == "extracted=42 gold=42"


def test_an_answer_too_long_to_be_final_is_not_sent_to_sympy() -> None:
    huge = "+".join(["1"] * 600)
    assert not answers_match(huge, "600")


def test_an_expression_slow_to_evaluate_is_undecided_by_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(symbolic, "DEADLINE_S", 3)
    start = time.monotonic()
    assert not answers_match("9^{9^{9^{9}}}", "1")
    assert time.monotonic() - start < 15
    monkeypatch.setattr(symbolic, "DEADLINE_S", 30)
    assert not answers_match("2^{2^{40}}", "1")  # too big for the worker's memory limit
    assert answers_match("\\sqrt{8}", "2\\sqrt{2}")


def test_a_comparison_past_the_deadline_is_undecided_and_the_workers_recover(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(symbolic, "DEADLINE_S", 0)  # already past when the question is sent
    start = time.monotonic()
    assert symbolic.symbolically_equal("\\sqrt{8}", "2\\sqrt{2}") is None
    assert time.monotonic() - start < 5
    monkeypatch.setattr(symbolic, "DEADLINE_S", 30)
    assert symbolic.symbolically_equal("\\sqrt{8}", "2\\sqrt{2}") is True


def samples(*texts: str) -> list[Candidate]:
    """One candidate per sample of a seed without gold answer."""
    return [Candidate(text=t, seed={"question": "q"}, siblings=texts) for t in texts]


def test_self_consistency_passes_the_majority_and_records_the_agreement() -> None:
    verifier = build_verifier("math_answer", {})
    candidates = samples("The answer is 12.", "so \\boxed{12.0}", "#### 1,2", "That is 13.")
    verdicts = [verifier.verify(c) for c in candidates]
    assert [v.passed for v in verdicts] == [False] * 4  # 2 of 4 is no strict majority
    assert [v.score for v in verdicts] == [0.5, 0.5, 0.0, 0.0]
    assert verdicts[0].reason == "no gold answer and no strict majority among 4 samples"
    candidates = samples("The answer is 12.", "so \\boxed{12.0}", "That is 13.")
    verdicts = [verifier.verify(c) for c in candidates]
    assert [v.passed for v in verdicts] == [True, True, False]
    assert verdicts[0].score == pytest.approx(2 / 3)
    assert verdicts[0].reason == "no gold answer: agrees with the majority of 3 samples"
    assert verdicts[0].evidence == "extracted=12 majority=12 agreement=2/3"
    assert verdicts[2].reason == "no gold answer: differs from the majority of 3 samples"


def test_self_consistency_needs_at_least_two_samples_and_an_answer() -> None:
    verifier = build_verifier("math_answer", {})
    single = verifier.verify(samples("The answer is 12.")[0])
    assert not single.passed
    assert "single sample" in single.reason
    no_answer = verifier.verify(samples("no idea", "The answer is 4", "The answer is 4")[0])
    assert not no_answer.passed and no_answer.reason == "no gold answer and no final answer found"


def test_self_consistency_uses_symbolic_equivalence() -> None:
    verifier = build_verifier("math_answer", {})
    candidates = samples("\\boxed{\\sqrt{8}}", "\\boxed{2\\sqrt{2}}", "\\boxed{3}")
    assert [verifier.verify(c).passed for c in candidates] == [True, True, False]


def test_only_seeds_without_gold_depend_on_the_other_samples() -> None:
    verifier = build_verifier("math_answer", {})
    assert verifier.needs_siblings({"question": "q"})
    assert verifier.needs_siblings({"question": "q", "answer": ""})
    assert not verifier.needs_siblings({"question": "q", "answer": 12})


LABELLED = [json.loads(line) for line in
            (Path(__file__).parent / "data" / "math_labelled.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("case", LABELLED,
                         ids=[f"{i}-{case['format']}" for i, case in enumerate(LABELLED)])
def test_agrees_with_hand_labelled_case(case: dict) -> None:
    seed = {"answer": case["gold"], "question": case.get("question", "")}
    verdict = build_verifier("math_answer", {}).verify(Candidate(text=case["response"], seed=seed))
    assert verdict.passed is case["equivalent"], verdict.evidence


def test_the_labelled_cases_cover_each_format_with_near_misses() -> None:
    new_formats = {"radical", "pi", "variable", "trig", "inequality", "interval", "pm",
                   "multi_boxed", "tuple", "set", "matrix", "decimal_comma", "thousands",
                   "precision", "hedge", "contradiction", "near_miss", "equation"}
    for name in new_formats:
        labels = [case["equivalent"] for case in LABELLED if case["format"] == name]
        assert True in labels and False in labels, name
    new_cases = [case for case in LABELLED if case["format"] in new_formats]
    assert len(new_cases) >= 150
    assert 2 * sum(not case["equivalent"] for case in new_cases) >= len(new_cases)


def test_every_gsm8k_reference_solution_yields_its_gold_answer() -> None:
    wrong = []
    for row in gsm8k_rows("test"):
        gold = row["answer"].split("####")[-1].strip()
        extracted = extract_final_answer(row["answer"])
        if extracted is None or not answers_match(extracted, gold):
            wrong.append((gold, extracted))
    assert wrong == []
