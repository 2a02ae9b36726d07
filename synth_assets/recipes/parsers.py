"""Parsers: read a teacher answer into named fields, or say why it does not have the format
the recipe asked for. Picked by name in the spec (`parser: {type, options}`)."""

import ast
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from synth_assets.spec.model import ParserSpec
from synth_assets.verify.math_answer import extract_final_answer
from synth_assets.verify.python_tests import extract_code


class ParseError(ValueError):
    pass


class Parser(Protocol):
    version: str

    def parse(self, text: str) -> dict[str, Any]: ...

    def example_answer(self) -> str:
        """An answer this parser reads: checking a spec parses it to know the fields a
        record gets, without asking the teacher."""
        ...


def field_name(label: str) -> str:
    return re.sub(r"\W+", "_", label.strip().lower()).strip("_")


def _label_pattern(labels: list[str]) -> re.Pattern[str]:
    """A line that starts a labelled part: `Label: text`, `**Label:**`, `### Label` ..."""
    alternatives = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
    return re.compile(
        rf"^\s*(?:#+\s*)?(?:\*\*)?\s*({alternatives})\s*(?:\*\*)?\s*(?::|$)\s*(?:\*\*)?\s*(.*)$",
        re.IGNORECASE,
    )


def _labelled_parts(text: str, labels: list[str]) -> list[tuple[str, str]]:
    """(label as written in `labels`, its text) in order of appearance."""
    pattern = _label_pattern(labels)
    canonical = {label.lower(): label for label in labels}
    parts: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        match = pattern.match(line)
        if match:
            parts.append((canonical[match.group(1).lower()], [match.group(2)]))
        elif parts:
            parts[-1][1].append(line)
    return [(label, "\n".join(lines).strip()) for label, lines in parts]


@dataclass(frozen=True)
class TextParser:
    """The whole answer is the record's response."""

    version = "1"

    def parse(self, text: str) -> dict[str, Any]:
        if not text.strip():
            raise ParseError("empty answer")
        return {}

    def example_answer(self) -> str:
        return "An example answer."


@dataclass(frozen=True)
class SectionsParser:
    """Labelled sections (`Instruction: ...`, `Solution: ...`), each becoming a field named
    after its label. The first occurrence of each label counts; a label seen again starts a
    second record, which is ignored. `final_answer_from` names a section whose final answer
    (as the math verifier extracts it) becomes the field `answer`."""

    sections: list[str]
    optional: list[str] = field(default_factory=list)
    final_answer_from: str | None = None

    version = "1"

    def __post_init__(self) -> None:
        if not self.sections or not all(isinstance(s, str) and s for s in self.sections):
            raise ValueError("sections parser needs a non-empty list of section labels")
        unknown = set(self.optional) - set(self.sections)
        if unknown:
            raise ValueError(f"optional sections {sorted(unknown)} are not in sections")

    def parse(self, text: str) -> dict[str, Any]:
        found: dict[str, str] = {}
        for label, content in _labelled_parts(text, self.sections):
            if label in found:
                break
            found[label] = content
        missing = [s for s in self.sections if s not in self.optional and not found.get(s)]
        if missing:
            raise ParseError(f"missing section(s): {', '.join(missing)}")
        fields: dict[str, Any] = {field_name(s): found.get(s, "") for s in self.sections}
        if self.final_answer_from:
            answer = extract_final_answer(fields[field_name(self.final_answer_from)])
            if answer is None:
                raise ParseError(f"no final answer in section {self.final_answer_from!r}")
            fields["answer"] = answer
        return fields

    def example_answer(self) -> str:
        return "\n".join(f"{label}: An example {label}. The answer is 1."
                         for label in self.sections)


@dataclass(frozen=True)
class ConversationParser:
    """Turns written as `Speaker: text`. Gives `turns` (speaker, text) and `conversation`
    (the turns as plain text)."""

    speakers: list[str]
    min_turns: int = 2

    version = "1"

    def __post_init__(self) -> None:
        if len(self.speakers) < 2:
            raise ValueError("conversation parser needs at least two speakers")

    def parse(self, text: str) -> dict[str, Any]:
        turns = [{"speaker": speaker, "text": said}
                 for speaker, said in _labelled_parts(text, self.speakers) if said]
        if len(turns) < self.min_turns:
            raise ParseError(f"{len(turns)} turn(s), fewer than {self.min_turns}")
        silent = [s for s in self.speakers if s not in {turn["speaker"] for turn in turns}]
        if silent:
            raise ParseError(f"speaker(s) never talk: {', '.join(silent)}")
        conversation = "\n\n".join(f"{turn['speaker']}: {turn['text']}" for turn in turns)
        return {"turns": turns, "conversation": conversation}

    def example_answer(self) -> str:
        turns = max(self.min_turns, len(self.speakers))
        return "\n".join(f"{self.speakers[i % len(self.speakers)]}: Turn {i + 1}."
                         for i in range(turns))


@dataclass(frozen=True)
class PythonCodeParser:
    """A Python program (fenced or bare) that parses and defines the function `defines`;
    gives the field `program`."""

    defines: str

    version = "1"

    def parse(self, text: str) -> dict[str, Any]:
        program = extract_code(text, self.defines).strip()
        try:
            tree = ast.parse(program)
        except SyntaxError as error:
            raise ParseError(f"not valid Python: {error.msg} (line {error.lineno})") from None
        if not any(isinstance(node, ast.FunctionDef) and node.name == self.defines
                   for node in tree.body):
            raise ParseError(f"no top-level function {self.defines!r}")
        return {"program": program}

    def example_answer(self) -> str:
        return f"```python\ndef {self.defines}():\n    return 1\n```"


PARSER_TYPES: dict[str, type] = {
    "text": TextParser,
    "sections": SectionsParser,
    "conversation": ConversationParser,
    "python_code": PythonCodeParser,
}


def build_parser(spec: ParserSpec) -> Parser:
    """The parser of that type; ValueError naming a bad option."""
    parser_class = PARSER_TYPES[spec.type]
    known = [f.name for f in dataclasses.fields(parser_class)]
    unknown = sorted(set(spec.options) - set(known))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for parser {spec.type!r}; "
                         f"known options: {', '.join(known) or 'none'}")
    try:
        return parser_class(**spec.options)
    except TypeError as error:
        raise ValueError(f"parser {spec.type!r}: {error}") from None
