"""`synth check-spec` and the start of `synth run` find every mistake knowable without the
teacher, all in one report naming file and line, and no request reaches the teacher."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest

from synth_assets.cli import main
from synth_assets.definitions import defs
from synth_assets.recipes.seeds import load_seed_set
from synth_assets.runs.runner import run_days
from synth_assets.spec import load_spec
from synth_assets.stages.spec_check import check_spec_file
from tests.conftest import write_jsonl
from tests.openai_stub import OpenAIStub
from tests.pipeline_fixture import TEST_DAY

MATH_SEEDS = [
    {"question": "What is 2 + 3?", "answer": "5"},
    {"question": "What is 4 times 5?", "answer": "20"},
    {"question": "What is 10 minus 7?", "answer": "3"},
    {"question": "What is 9 divided by 3?", "answer": "3"},
]
CHAT_SEEDS = [
    {"instruction": "Describe a river.", "topic": "nature"},
    {"instruction": "Describe a city.", "topic": "places"},
]
QUIZ = [{"question": "Which planet is known as the red planet?", "answer": "Mars"},
        {"question": "How many legs does a spider have?", "answer": "8"}]
REAL_RECORDS = [{"instruction": f"Real question {i}?", "response": f"A human answer {i}.",
                 "domain": "general", "license": "CC0-1.0"} for i in range(6)]

SPEC = """\
version: 1
seed_sets:
  math:
    path: seeds/math.jsonl
    kind: math
  chat:
    path: seeds/chat.jsonl
    kind: instruction
teachers:
  stub:
    model: openai/stub-teacher
    api_base: {api_base}
    api_key_env: STUB_TEACHER_KEY
    max_tokens: 32
recipes:
  math_cot:
    seed_set: math
    teacher: stub
    domain: math
    template: "Solve: {{{{ question }}}}"
  chat:
    seed_set: chat
    teacher: stub
    domain: general
    attributes:
      style: {{file: styles.txt}}
    template: "{{{{ instruction }}}} ({{{{ topic }}}}), answered {{{{ style }}}}."
benchmarks:
  quiz:
    type: file
    path: quiz.jsonl
contamination:
  semantic: {{backend: tfidf}}
real_sources:
  human:
    path: real/real.jsonl
mixtures:
  mix:
    recipes: [math_cot, chat]
    real_sources: [human]
    real_fraction: 0.5
"""


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub(lambda request: "The answer is 5.") as server:
        yield server


@pytest.fixture
def spec_path(tmp_path: Path, stub: OpenAIStub, dagster_home: Path,
              monkeypatch: pytest.MonkeyPatch) -> Path:
    """A valid spec whose teacher is the stub; SYNTH_SPEC names it for `synth run`."""
    folder = tmp_path / "spec"
    write_jsonl(folder / "seeds" / "math.jsonl", MATH_SEEDS)
    write_jsonl(folder / "seeds" / "chat.jsonl", CHAT_SEEDS)
    write_jsonl(folder / "real" / "real.jsonl", REAL_RECORDS)
    write_jsonl(folder / "quiz.jsonl", QUIZ)
    (folder / "styles.txt").write_text("briefly\nin detail\n", encoding="utf-8")
    path = folder / "pipeline.yaml"
    path.write_text(SPEC.format(api_base=stub.base_url), encoding="utf-8")
    monkeypatch.setenv("SYNTH_SPEC", str(path))
    monkeypatch.setenv("STUB_TEACHER_KEY", "sk-test")
    return path


def edit_spec(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, text: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line of the file containing `text`."""
    lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    return lines[occurrence - 1]


def refused_everywhere(spec: Path, stub: OpenAIStub, capsys: pytest.CaptureFixture[str]
                       ) -> tuple[str, str]:
    """check-spec's report (stderr) and `synth run`'s (stdout); both refuse, no call made."""
    assert main(["check-spec", str(spec)]) == 2
    checked = capsys.readouterr().err
    assert main(["run", "--first-day", TEST_DAY]) == 2
    ran = capsys.readouterr().out
    assert "not started, no teacher call made" in ran
    assert stub.requests == []
    return checked, ran


def test_the_valid_spec_passes_and_runs(
    spec_path: Path, stub: OpenAIStub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-spec", str(spec_path)]) == 0
    assert f"{spec_path}: ok" in capsys.readouterr().out
    assert main(["run", "--first-day", TEST_DAY]) == 0
    assert len(stub.requests) == len(MATH_SEEDS) + len(CHAT_SEEDS)


def _invalid_json_on_line_4(spec: Path) -> list[str]:
    seeds = spec.parent / "seeds" / "math.jsonl"
    seeds.write_text("".join(json.dumps(row) + "\n" for row in MATH_SEEDS[:3])
                     + '{"question": "broken",\n')
    path_line = line_of(spec, "path: seeds/math.jsonl")
    return [f"{seeds}:4: invalid JSON", f"seed set 'math', {spec}:{path_line}"]


def _empty_seed_file(spec: Path) -> list[str]:
    seeds = spec.parent / "seeds" / "math.jsonl"
    seeds.write_bytes(b"")
    return [f"{seeds}: no rows: the file is empty"]


def _utf16_seed_file(spec: Path) -> list[str]:
    seeds = spec.parent / "seeds" / "chat.jsonl"
    seeds.write_bytes(seeds.read_text(encoding="utf-8").encode("utf-16"))
    return [f"{seeds}: the file is UTF-16 text"]


def _jinja_syntax_error(spec: Path) -> list[str]:
    edit_spec(spec, '"Solve: {{ question }}"', '"Solve: {{ question }"')
    line = line_of(spec, "Solve:")
    return [f"{spec}:{line}: recipes.math_cot.template: template syntax error"]


def _field_the_seeds_lack(spec: Path) -> list[str]:
    edit_spec(spec, '"Solve: {{ question }}"', '"Solve: {{ question }} in {{ units }}"')
    line = line_of(spec, "Solve:")
    seeds = spec.parent / "seeds" / "math.jsonl"
    return [f"{spec}:{line}: recipes.math_cot.template: 'units' is undefined, on 4 of 4 seeds, "
            f"the first {seeds}:1 (fields: answer, question)"]


def _real_source_missing(spec: Path) -> list[str]:
    edit_spec(spec, "path: real/real.jsonl", "path: real/nope.jsonl")
    return [f"{spec.parent / 'real' / 'nope.jsonl'}: cannot read file",
            f"real source 'human', {spec}:{line_of(spec, 'human:')}"]


def _benchmark_row_without_its_question(spec: Path) -> list[str]:
    quiz = spec.parent / "quiz.jsonl"
    write_jsonl(quiz, [QUIZ[0], {"answer": "8"}])
    return [f"{quiz}:2: missing required field(s): ['question']",
            f"benchmark 'quiz', {spec}:{line_of(spec, 'quiz:')}"]


def _duplicate_key(spec: Path) -> list[str]:
    edit_spec(spec, "    domain: math\n", "    domain: math\n    domain: general\n")
    first, second = line_of(spec, "domain: math"), line_of(spec, "domain: general")
    return [f"{spec}:{second}: recipes.math_cot.domain: duplicate key, also written on line "
            f"{first}"]


def _template_failing_on_some_seeds(spec: Path) -> list[str]:
    seeds = spec.parent / "seeds" / "chat.jsonl"
    write_jsonl(seeds, [*CHAT_SEEDS, {"instruction": "Describe a tree."}, CHAT_SEEDS[0]])
    line = line_of(spec, "answered")
    return [f"{spec}:{line}: recipes.chat.template: 'topic' is undefined, on 1 of 4 seeds, "
            f"the first {seeds}:3 (fields: instruction)"]


def _missing_attribute_file(spec: Path) -> list[str]:
    (spec.parent / "styles.txt").unlink()
    line = line_of(spec, "styles.txt")
    return [f"{spec}:{line}: recipes.chat.attributes.style.file: no such file: "
            f"{spec.parent / 'styles.txt'}"]


MISTAKES: dict[str, Callable[[Path], list[str]]] = {
    "invalid-json-line-4": _invalid_json_on_line_4,
    "empty-seed-file": _empty_seed_file,
    "utf16-seed-file": _utf16_seed_file,
    "jinja-syntax-error": _jinja_syntax_error,
    "field-the-seeds-lack": _field_the_seeds_lack,
    "real-source-missing": _real_source_missing,
    "benchmark-row-without-question": _benchmark_row_without_its_question,
    "duplicate-yaml-key": _duplicate_key,
    "template-failing-on-some-seeds": _template_failing_on_some_seeds,
    "missing-attribute-file": _missing_attribute_file,
}


@pytest.mark.parametrize("make_mistake", MISTAKES.values(), ids=MISTAKES.keys())
def test_each_mistake_is_named_with_file_and_line_before_any_teacher_call(
    spec_path: Path, stub: OpenAIStub, capsys: pytest.CaptureFixture[str],
    make_mistake: Callable[[Path], list[str]],
) -> None:
    expected = make_mistake(spec_path)
    checked, ran = refused_everywhere(spec_path, stub, capsys)
    for text in expected:
        assert text in checked
        assert text in ran


KEPT_SPEC_MISTAKES = {
    "unknown-teacher": ("    teacher: stub\n    domain: math\n",
                        "    teacher: stubb\n    domain: math\n",
                        "teacher: stubb", "recipes.math_cot.teacher: unknown teacher 'stubb'"),
    "bad-ratio": ("real_fraction: 0.5", "real_fraction: 1.5", "  mix:",
                  "mixtures.mix.components.real.ratio: Input should be less than or equal to 1"),
    "negative-number": ("max_tokens: 32", "max_tokens: -3", "max_tokens",
                        "teachers.stub.max_tokens: Input should be greater than 0"),
}


@pytest.mark.parametrize(("old", "new", "line_text", "message"), KEPT_SPEC_MISTAKES.values(),
                         ids=KEPT_SPEC_MISTAKES.keys())
def test_spec_mistakes_are_still_named_with_line_and_key(
    spec_path: Path, stub: OpenAIStub, capsys: pytest.CaptureFixture[str],
    old: str, new: str, line_text: str, message: str,
) -> None:
    edit_spec(spec_path, old, new)
    checked, ran = refused_everywhere(spec_path, stub, capsys)
    expected = f"{spec_path}:{line_of(spec_path, line_text)}: {message}"
    assert expected in checked and expected in ran


def test_a_yaml_syntax_error_names_the_line(
    spec_path: Path, stub: OpenAIStub, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(spec_path, "    kind: math\n", "    kind: [math\n")
    checked, ran = refused_everywhere(spec_path, stub, capsys)
    assert f"{spec_path}: invalid YAML" in checked and "line" in checked
    assert f"{spec_path}: invalid YAML" in ran


def test_every_mistake_is_in_one_report(
    spec_path: Path, stub: OpenAIStub, capsys: pytest.CaptureFixture[str]
) -> None:
    mistakes = [_duplicate_key, _invalid_json_on_line_4, _utf16_seed_file, _real_source_missing,
                _missing_attribute_file, _jinja_syntax_error]
    expected = [text for make_mistake in mistakes for text in make_mistake(spec_path)]
    checked, ran = refused_everywhere(spec_path, stub, capsys)
    assert f"{len(mistakes)} problems found before any teacher call" in checked
    for text in expected:
        assert text in checked and text in ran


def test_spec_problems_and_file_problems_are_in_one_report(
    spec_path: Path, stub: OpenAIStub, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown key makes the spec invalid; the seed files and real sources it names are
    still checked, so the user sees both at once."""
    edit_spec(spec_path, "    max_tokens: 32\n", "    max_tokens: 32\n    temprature: 0.2\n")
    expected = [f"{spec_path}:{line_of(spec_path, 'temprature')}: teachers.stub.temprature: "
                "unknown key", *_empty_seed_file(spec_path), *_real_source_missing(spec_path)]
    checked, ran = refused_everywhere(spec_path, stub, capsys)
    for text in expected:
        assert text in checked and text in ran


def test_every_bad_line_of_a_seed_file_is_reported_up_to_a_cap(spec_path: Path) -> None:
    seeds = spec_path.parent / "seeds" / "math.jsonl"
    good = json.dumps(MATH_SEEDS[0])
    seeds.write_text("\n".join([good, "{", good, '{"answer": "1"}', *["nope"] * 8]) + "\n")
    _, check = check_spec_file(spec_path)
    assert f"{seeds}:2: invalid JSON" in check.report()
    assert f"{seeds}:4: missing required field(s): ['question']" in check.report()
    assert f"{seeds}: 5 more bad lines not shown" in check.report()


def test_legitimate_templates_are_accepted(spec_path: Path) -> None:
    """What a naive check would reject: an optional field guarded by `is defined`, a default,
    a field only seeds past `limit` lack, values of an attribute file with different keys."""
    write_jsonl(spec_path.parent / "seeds" / "math.jsonl",
                [MATH_SEEDS[0], {"question": "What is 1 + 1?", "hint": "count"},
                 {"question": "What is 3 + 3?"}])
    edit_spec(spec_path, '"Solve: {{ question }}"',
              '"Solve: {{ question }}{% if hint is defined %} Hint: {{ hint }}{% endif %} '
              '{{ answer | default(\'\') }}"')
    write_jsonl(spec_path.parent / "seeds" / "chat.jsonl",
                [*CHAT_SEEDS, {"instruction": "Past the limit, without a topic."}])
    edit_spec(spec_path, "    kind: instruction\n", "    kind: instruction\n    limit: 2\n")
    write_jsonl(spec_path.parent / "styles.jsonl",
                [{"how": "briefly"}, {"how": "slowly", "why": "for a child"}])
    edit_spec(spec_path, "{file: styles.txt}", "{file: styles.jsonl}")
    edit_spec(spec_path, "answered {{ style }}.",
              "answered {{ style.how }}{% if style.why is defined %} {{ style.why }}{% endif %}.")
    loaded, check = check_spec_file(spec_path)
    assert loaded is not None and check.ok, check.report()


def test_a_seed_file_with_a_utf8_byte_order_mark_is_read(spec_path: Path) -> None:
    seeds = spec_path.parent / "seeds" / "math.jsonl"
    seeds.write_bytes(b"\xef\xbb\xbf" + seeds.read_bytes())
    loaded, check = check_spec_file(spec_path)
    assert check.ok, check.report()
    assert load_seed_set("math", seeds, "math")[0].payload == MATH_SEEDS[0]


def test_values_only_some_seeds_have_in_a_form_the_template_cannot_use(spec_path: Path) -> None:
    """A seed whose optional field is null fails `{{ hint.upper() }}`; the check finds it
    although every seed has the field."""
    seeds = spec_path.parent / "seeds" / "math.jsonl"
    write_jsonl(seeds, [{"question": "What is 1 + 1?", "hint": "count"},
                        {"question": "What is 2 + 2?", "hint": None}])
    edit_spec(spec_path, '"Solve: {{ question }}"', '"Solve: {{ question }} {{ hint.upper() }}"')
    _, check = check_spec_file(spec_path)
    assert f"on 1 of 2 seeds, the first {seeds}:2" in check.report()


def test_an_attribute_file_with_fewer_values_than_pick_is_found(spec_path: Path) -> None:
    edit_spec(spec_path, "{file: styles.txt}", "{file: styles.txt, pick: 3}")
    _, check = check_spec_file(spec_path)
    assert (f"{spec_path}:{line_of(spec_path, 'attributes:')}: recipes.chat.attributes: "
            "attribute 'style': pick 3 is more than the 2 values it has, on 2 of 2 seeds"
            ) in check.report()


def test_an_attribute_file_that_does_not_parse_is_reported_once(spec_path: Path) -> None:
    (spec_path.parent / "styles.jsonl").write_text('"briefly"\n{oops\n', encoding="utf-8")
    edit_spec(spec_path, "{file: styles.txt}", "{file: styles.jsonl}")
    _, check = check_spec_file(spec_path)
    assert check.problems == [
        f"{spec_path.parent / 'styles.jsonl'}:2: invalid JSON: Expecting property name enclosed "
        f"in double quotes ({spec_path}:{line_of(spec_path, 'styles.jsonl')}: "
        "recipes.chat.attributes.style.file)"]


def test_seeds_without_the_list_a_from_seed_attribute_draws_from_are_found(
    spec_path: Path,
) -> None:
    seeds = spec_path.parent / "seeds" / "chat.jsonl"
    write_jsonl(seeds, [{**CHAT_SEEDS[0], "tags": ["calm"]}, CHAT_SEEDS[1],
                        {**CHAT_SEEDS[0], "tags": []}, {**CHAT_SEEDS[1], "tags": ["busy"]}])
    edit_spec(spec_path, "      style: {file: styles.txt}\n",
              "      style: {file: styles.txt}\n      tag: {from_seed: tags}\n")
    _, check = check_spec_file(spec_path)
    assert check.problems == [
        f"{spec_path}:{line_of(spec_path, 'attributes:')}: recipes.chat.attributes: the seed "
        f"needs a non-empty list in field 'tags', on 2 of 4 seeds, the first {seeds}:2 (fields: "
        "instruction, topic)"]


def test_attribute_values_a_template_cannot_use_are_found(spec_path: Path) -> None:
    """Only the second value of the attribute file lacks the key the template reads."""
    write_jsonl(spec_path.parent / "styles.jsonl", [{"how": "briefly"}, {"tone": "warm"}])
    edit_spec(spec_path, "{file: styles.txt}", "{file: styles.jsonl}")
    edit_spec(spec_path, "answered {{ style }}.", "answered {{ style.how }}.")
    _, check = check_spec_file(spec_path)
    assert (f"{spec_path}:{line_of(spec_path, 'answered')}: recipes.chat.template: "
            "'dict object' has no attribute 'how'") in check.report()
    assert "with attributes style={'tone': 'warm'}" in check.report()


ROUND_TWO = """\
  critique:
    seeds_from: {{recipe: chat}}
    teacher: stub
    domain: general
    template: "{template}"
"""


def test_a_round_two_template_is_checked_against_the_parent_records(spec_path: Path) -> None:
    edit_spec(spec_path, "benchmarks:\n", ROUND_TWO.format(
        template="Critique: {{ response }} for {{ instruction }} ({{ rating }})") + "benchmarks:\n")
    _, check = check_spec_file(spec_path)
    assert (f"{spec_path}:{line_of(spec_path, 'Critique:')}: recipes.critique.template: "
            "'rating' is undefined, on its seeds, the records of recipe 'chat' (fields: "
            "instruction, response, topic)") in check.report()

    edit_spec(spec_path, " ({{ rating }})", "")
    loaded, check = check_spec_file(spec_path)
    assert loaded is not None and check.ok, check.report()


def test_a_round_two_kind_needs_fields_the_parent_records_have(spec_path: Path) -> None:
    edit_spec(spec_path, "benchmarks:\n", ROUND_TWO.format(template="{{ question }}")
              .replace("{recipe: chat}", "{recipe: chat, kind: math}") + "benchmarks:\n")
    _, check = check_spec_file(spec_path)
    assert (f"{spec_path}:{line_of(spec_path, 'seeds_from')}: recipes.critique.seeds_from: "
            "reads records of recipe 'chat' but math seeds need question") in check.report()


def test_parser_options_are_checked(spec_path: Path) -> None:
    edit_spec(spec_path, "    template: \"Solve:",
              "    parser: {type: sections, options: {sections: [Solution], finl: x}}\n"
              "    template: \"Solve:")
    _, check = check_spec_file(spec_path)
    assert (f"{spec_path}:{line_of(spec_path, 'parser:')}: recipes.math_cot.parser: unknown "
            "option(s) ['finl'] for parser 'sections'") in check.report()


def test_the_shipped_default_spec_passes() -> None:
    from synth_assets.spec import DEFAULT_SPEC_PATH

    loaded, check = check_spec_file(DEFAULT_SPEC_PATH)
    assert loaded is not None and check.ok, check.report()


def test_a_run_started_without_the_cli_fails_in_seed_sets_with_the_report(
    spec_path: Path, stub: OpenAIStub
) -> None:
    """A run from the UI, a schedule or a sensor: seed_sets refuses before any teacher call,
    and the run's failure carries the report."""
    _field_the_seeds_lack(spec_path)
    with dg.DagsterInstance.get() as instance:
        runs = run_days(instance, defs, load_spec(spec_path), [TEST_DAY])
        _, result = runs.runs[0]
        assert not result.success and stub.requests == []
        failures = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    error = failures[0].dagster_event.event_specific_data.error
    assert "recipes.math_cot.template: 'units' is undefined" in error.message
    step = next(event for event in result.all_events if event.is_step_failure)
    assert "'units' is undefined" in step.step_failure_data.user_failure_data.description


def test_a_run_failing_after_teacher_calls_says_why_where_and_what_was_kept(
    spec_path: Path, stub: OpenAIStub, dagster_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(spec_path, "benchmarks:\n", "verifiers:\n  long:\n    type: length\n"
              "    options: {min_chars: 500}\nquality:\n  min_pass_rate: 0.5\nbenchmarks:\n")
    edit_spec(spec_path, "    template: \"Solve:", "    verifiers: [long]\n    template: \"Solve:")
    assert main(["run", "--first-day", TEST_DAY]) == 1
    captured = capsys.readouterr()
    assert len(stub.requests) == len(MATH_SEEDS)
    assert (f"FAILED: {TEST_DAY} math_cot (partition {TEST_DAY}|math_cot), at verified_subsets"
            in captured.out)
    assert "check verified_subsets/verified_subsets_expectations failed: verified_subsets: " \
           "1 of" in captured.out
    assert "min_pass_rate" in captured.out
    assert f"kept: {len(MATH_SEEDS)} new teacher answer(s) stored" in captured.out
    log_path = Path(captured.out.split("traceback and Dagster's log: ")[1].strip())
    assert log_path.parent == dagster_home / "logs"
    log = log_path.read_text()
    assert "RUN_FAILURE" in log and "Stack Trace" in log
    assert "Stack Trace" not in captured.out + captured.err

    assert main(["run", "--first-day", TEST_DAY]) == 1     # resumes: no call is made again
    assert len(stub.requests) == len(MATH_SEEDS)
    assert "kept: 0 new teacher answer(s)" in capsys.readouterr().out
