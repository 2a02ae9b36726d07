"""`synth verify`: a recipe's verifiers over a JSONL file of candidates, the way verified_subsets
judges generations, without the teacher and without the lineage store.

Each line is {"seed": {...}, "attributes": {...}, "response": "<raw teacher answer>"}. The
recipe's parser reads the response and its record templates render the record (as the teacher
stage does), the candidate is built, judged and admitted by the same code as in the verify
stage. Candidates with the same seed are each other's samples (what self-consistency compares).
An LLM-judge verifier still asks its judge model, through the teacher path with a throwaway
cache. Deduplication is not applied: there are no earlier verified records to compare with."""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synth_assets.jsonl import InputFileError, iter_jsonl
from synth_assets.lineage.ids import canonical_json, content_id
from synth_assets.lineage.store import LineageStore
from synth_assets.recipes.records import build_record
from synth_assets.recipes.render import TemplateError, render_messages
from synth_assets.recipes.seeds import REQUIRED_FIELDS, SeedRecord
from synth_assets.spec import LoadedSpec
from synth_assets.spec.model import PipelineSpec
from synth_assets.stages.verify_stage import (
    build_candidate,
    current_verifiers,
    judge_candidates,
    min_scores,
)
from synth_assets.verify import Candidate, Verdict
from synth_assets.verify.admission import rejections

SEED_SET = "synth-verify"  # the seed set named in the ids of the file's seeds


class UnknownRecipeError(ValueError):
    pass


@dataclass(frozen=True)
class FileCandidate:
    line: int
    candidate: Candidate


@dataclass(frozen=True)
class FileVerdict:
    line: int
    verdicts: dict[str, Verdict | None]     # verifier -> its verdict (None: judge call failed)
    rejected_by: dict[str, str]              # verifier -> why it rejects; empty: admitted

    @property
    def passed(self) -> bool:
        return not self.rejected_by

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "passed": self.passed,
            "verifiers": {
                name: {"passed": name not in self.rejected_by,
                       "score": None if verdict is None else verdict.score,
                       "reason": self.rejected_by.get(name) or verdict.reason}
                for name, verdict in self.verdicts.items()
            },
        }


def read_candidates(loaded: LoadedSpec, recipe_name: str, path: Path) -> list[FileCandidate]:
    """Every line as a candidate of the recipe; the first bad line raises, naming the file and
    line (InputFileError), before anything is verified."""
    spec = loaded.spec
    if recipe_name not in spec.recipes:
        raise UnknownRecipeError(f"unknown recipe {recipe_name!r} in {loaded.path}; recipes: "
                                 f"{', '.join(sorted(spec.recipes))}")
    recipe = spec.recipes[recipe_name]
    kind = seed_kind(spec, recipe_name)
    rows = []
    for line, row in iter_jsonl(path, ()):
        _check_row(path, line, row, kind, sorted(recipe.attributes))
        attributes = row.get("attributes", {})
        seed = SeedRecord(content_id("seed", SEED_SET, kind, row["seed"]), SEED_SET, kind,
                          row["seed"], str(path), line)
        try:
            messages = render_messages(recipe_name, recipe, seed, attributes)
            record = build_record(recipe_name, recipe, seed, attributes, row["response"])
        except TemplateError as error:
            raise InputFileError(path, line, str(error)) from None
        rows.append((line, seed, attributes, messages, record, row["response"]))
    if not rows:
        raise InputFileError(path, None, "no candidates: the file is empty")
    samples: dict[str, list[str]] = {}
    for _, seed, _, _, _, response in rows:
        samples.setdefault(canonical_json(seed.payload), []).append(response)
    return [FileCandidate(line, build_candidate(
        response, seed.payload, record.fields, record.parse_error,
        tuple(samples[canonical_json(seed.payload)]), messages, attributes))
        for line, seed, attributes, messages, record, response in rows]


def seed_kind(spec: PipelineSpec, recipe_name: str) -> str:
    """The kind of seed the recipe reads: its seed set's, or for a later round the kind it
    asks for, else its earlier round's."""
    recipe = spec.recipes[recipe_name]
    if recipe.seeds_from is None:
        return spec.seed_sets[recipe.seed_set].kind
    return recipe.seeds_from.kind or seed_kind(spec, recipe.seeds_from.recipe)


def _check_row(path: Path, line: int, row: dict[str, Any], kind: str,
               attribute_names: list[str]) -> None:
    def bad(message: str) -> InputFileError:
        return InputFileError(path, line, message)

    missing = [key for key in ("seed", "response") if key not in row]
    if attribute_names and "attributes" not in row:
        missing.append("attributes")
    if missing:
        raise bad(f"missing field(s): {', '.join(missing)} (each line is {{\"seed\": {{...}}, "
                  "\"attributes\": {...}, \"response\": \"...\"})")
    if not isinstance(row["seed"], dict):
        raise bad("seed must be a JSON object")
    if not isinstance(row.get("attributes", {}), dict):
        raise bad("attributes must be a JSON object")
    if not isinstance(row["response"], str):
        raise bad("response must be a string (the teacher's raw answer)")
    empty = [name for name in REQUIRED_FIELDS[kind]
             if not isinstance(row["seed"].get(name), str) or not row["seed"][name].strip()]
    if empty:
        raise bad(f"seed needs non-empty text field(s) {', '.join(empty)} ({kind} seeds)")
    absent = [name for name in attribute_names if name not in row["attributes"]]
    if absent:
        raise bad(f"attributes lack {', '.join(absent)} (the recipe samples "
                  f"{', '.join(attribute_names)})")


def verify_candidates(loaded: LoadedSpec, recipe_name: str, candidates: list[FileCandidate],
                      log: Callable[[str], None]) -> list[FileVerdict]:
    """Each candidate judged by every verifier of the recipe and admitted (or not) by the
    admission rule, in file order."""
    verifiers = current_verifiers(loaded)
    names = loaded.spec.recipes[recipe_name].verifiers
    judged: dict[str, list[Verdict | None]] = {}
    with tempfile.TemporaryDirectory(prefix="synth-verify-") as folder:
        judge_cache = LineageStore(Path(folder) / "judge_calls.duckdb")
        for name in names:
            made = judge_candidates(judge_cache, loaded, verifiers[name][0],
                                    [c.candidate for c in candidates], log)
            judged[name] = [verdict for verdict, _ in made]
    thresholds = min_scores(loaded)
    results = []
    for index, candidate in enumerate(candidates):
        verdicts = {name: judged[name][index] for name in names}
        results.append(FileVerdict(candidate.line, verdicts, rejections(verdicts, thresholds)))
    return results


def summary_lines(verdicts: list[FileVerdict]) -> list[str]:
    """Candidates admitted, and per verifier how many it admitted and rejected."""
    admitted = sum(v.passed for v in verdicts)
    lines = [f"{admitted} of {len(verdicts)} candidates admitted"]
    for name in verdicts[0].verdicts if verdicts else []:
        rejected = sum(name in v.rejected_by for v in verdicts)
        lines.append(f"  {name}: {len(verdicts) - rejected} admitted, {rejected} rejected")
    return lines
