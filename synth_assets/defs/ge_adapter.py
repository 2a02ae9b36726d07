"""Run a list of Great Expectations 1.x expectations on a pandas frame, as a Dagster check result.

`great_expectations` takes seconds to import, so it is imported on first use, never at module
import time. One ephemeral GX context (with its pandas batch definition) is built per process
and reused by every call.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib.metadata
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dagster as dg

from synth_assets.defs.resources import SynthStore
from synth_assets.lineage.ids import content_id
from synth_assets.lineage.store import LineageStore

if TYPE_CHECKING:
    import pandas as pd

_MAX_UNEXPECTED_SHOWN = 5
_MAX_CELL_CHARS = 80
_INDEX_KEY = "synth_assets_index"

# The shared context's pandas execution engine keeps the "current batch" as mutable state,
# so two validations in one process must not interleave.
_VALIDATION_LOCK = threading.Lock()


@dataclass(frozen=True)
class Expectation:
    """One GX expectation: its class name, its arguments and a sentence for the UI."""

    type: str  # GX expectation class name, e.g. "ExpectColumnValuesToNotBeNull"
    kwargs: Mapping[str, Any]  # e.g. {"column": "seed_id"}
    description: str  # e.g. "every seed has an id"


def validate_frame(
    frame: pd.DataFrame, expectations: Sequence[Expectation], suite_name: str,
    store: LineageStore | None = None,
) -> dg.AssetCheckResult:
    """Validate `frame` against `expectations` with GX; failure has severity ERROR.

    With a store, the outcome of validating an identical frame (same columns, types, index and
    values) against the same expectations with the same GX version is read back from it
    (ge_results) instead of validated again: a rerun that changed nothing imports no GX.

    Raises ValueError for an unknown expectation type, bad arguments or an empty suite.
    """
    if not expectations:
        raise ValueError(f"expectation suite {suite_name!r} has no expectations")
    if store is None:
        return _check_result(_validated_rows(frame, expectations, suite_name), len(frame),
                             suite_name)
    key = _result_key(frame, expectations, suite_name)
    stored = store.query("ge_result", result_key=key)
    if stored:
        return _check_result(json.loads(stored[0]["rows"]), len(frame), suite_name)
    rows = _validated_rows(frame, expectations, suite_name)
    with store.writer() as writer:
        writer.insert_new("ge_results", [{"result_key": key, "suite": suite_name,
                                          "rows": json.dumps(rows)}])
    return _check_result(rows, len(frame), suite_name)


def _result_key(frame: pd.DataFrame, expectations: Sequence[Expectation], suite_name: str
                ) -> str:
    """Everything the outcome depends on: the frame's exact values (float bits included), its
    columns and types, the expectations and the GX version."""
    import pandas as pd

    values = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return content_id(
        "gxr", importlib.metadata.version("great_expectations"), suite_name,
        [[e.type, dict(e.kwargs), e.description] for e in expectations],
        [str(column) for column in frame.columns], [str(dtype) for dtype in frame.dtypes],
        values.hexdigest(),
    )


def _validated_rows(frame: pd.DataFrame, expectations: Sequence[Expectation],
                    suite_name: str) -> list[dict[str, Any]]:
    """One row per expectation, in the suite's order, as GX judged it."""
    suite = _build_suite(expectations, suite_name)
    with _VALIDATION_LOCK:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            suite,
            result_format={
                "result_format": "SUMMARY",
                "partial_unexpected_count": _MAX_UNEXPECTED_SHOWN,
            },
        )

    # GX returns results in its own order, not the suite's: match them back by our index.
    by_index = {res.expectation_config.meta[_INDEX_KEY]: res for res in result.results}
    return [_row(exp, by_index[i]) for i, exp in enumerate(expectations)]


def _check_result(rows: list[dict[str, Any]], frame_rows: int, suite_name: str
                  ) -> dg.AssetCheckResult:
    failed = [row for row in rows if not row["success"]]
    failed_text = "; ".join(f"{row['description']} ({row['type']})" for row in failed)
    summary = (
        f"{suite_name}: all {len(rows)} expectations passed"
        if not failed
        else f"{suite_name}: {len(failed)} of {len(rows)} expectations failed: {failed_text}"
    )
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=summary,
        metadata={
            "suite": dg.MetadataValue.text(suite_name),
            "rows": dg.MetadataValue.int(frame_rows),
            "evaluated": dg.MetadataValue.int(len(rows)),
            "failed": dg.MetadataValue.int(len(failed)),
            "failed_expectations": dg.MetadataValue.text(failed_text or "none"),
            "expectations": dg.MetadataValue.md(_markdown_table(rows)),
        },
    )


@functools.cache
def _gx() -> Any:
    import great_expectations as gx

    return gx


@functools.cache
def _batch_definition() -> Any:
    """The process-wide "whole dataframe" batch definition of an ephemeral context."""
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = _gx().get_context(mode="ephemeral")
    # Without this every validation prints tqdm "Calculating Metrics" bars to stderr.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("synth_assets").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def _build_suite(expectations: Sequence[Expectation], suite_name: str) -> Any:
    built = []
    for index, exp in enumerate(expectations):
        expectation_class = _expectation_class(exp.type, suite_name)
        try:
            built.append(
                expectation_class(
                    **exp.kwargs, description=exp.description, meta={_INDEX_KEY: index}
                )
            )
        except (TypeError, ValueError) as err:  # pydantic's ValidationError is a ValueError
            raise ValueError(
                f"invalid arguments {dict(exp.kwargs)!r} for {exp.type} "
                f"({exp.description!r}) in suite {suite_name!r}: {err}"
            ) from err
    # Passed to the constructor rather than add_expectation(), which looks the suite up in
    # the store of GX's global "current" context.
    return _gx().ExpectationSuite(name=suite_name, expectations=built)


def _expectation_class(type_name: str, suite_name: str) -> type:
    expectations_module = _gx().expectations
    base = expectations_module.Expectation
    candidate = getattr(expectations_module, type_name, None)
    if isinstance(candidate, type) and issubclass(candidate, base) and candidate is not base:
        return candidate
    known = [
        name
        for name in dir(expectations_module)
        if name.startswith("Expect") and isinstance(getattr(expectations_module, name), type)
    ]
    close = difflib.get_close_matches(type_name, known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValueError(
        f"unknown Great Expectations expectation type {type_name!r} in suite {suite_name!r}"
        f" (expected a class name from great_expectations.expectations){hint}"
    )


def _row(exp: Expectation, res: Any) -> dict[str, Any]:
    return {
        "description": exp.description,
        "type": exp.type,
        "kwargs": ", ".join(f"{key}={value!r}" for key, value in exp.kwargs.items()),
        "success": bool(res.success),
        "observed": _observed(res),
    }


def _observed(res: Any) -> str:
    """What GX saw: an error, an observed value, or unexpected count plus a few values."""
    info = res.exception_info or {}
    # A single exception is stored flat; metric failures are keyed by metric id.
    infos = [info] if "raised_exception" in info else list(info.values())
    errors = [i.get("exception_message") for i in infos if i.get("raised_exception")]
    if errors:
        return "error: " + "; ".join(sorted({str(e) for e in errors}))

    result = res.result or {}
    if "observed_value" in result:
        return f"observed {result['observed_value']!r}"
    if "unexpected_count" in result:
        text = f"{result['unexpected_count']} unexpected of {result.get('element_count', '?')}"
        counts = result.get("partial_unexpected_counts")
        if counts:
            shown = [f"{c['value']!r} x{c['count']}" for c in counts[:_MAX_UNEXPECTED_SHOWN]]
        else:
            shown = [repr(v) for v in result.get("partial_unexpected_list", [])]
        if shown:
            text += ": " + ", ".join(shown[:_MAX_UNEXPECTED_SHOWN])
        return text
    return ""


def _markdown_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| | expectation | GX type | arguments | observed |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [
            "pass" if row["success"] else "**FAIL**",
            row["description"],
            f"`{row['type']}`",
            row["kwargs"],
            row["observed"],
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    if len(text) > _MAX_CELL_CHARS:
        text = text[: _MAX_CELL_CHARS - 1] + "…"
    return text


SuiteFrame = tuple["pd.DataFrame", list[Expectation]]  # what a suite validates, and how


def suite_result(synth: SynthStore, suite_name: str, suite: Callable[..., SuiteFrame],
                 *snapshots: object) -> dg.AssetCheckResult:
    """Build the suite's frame and validate it, the store kept open meanwhile: a suite makes no
    LLM call, and each of its queries would otherwise open and close the file (tens of ms)."""
    store = synth.store()
    with store.kept_open():
        frame, expectations = suite(store, synth.load_spec(), *snapshots)
        return validate_frame(frame, expectations, suite_name, store)
