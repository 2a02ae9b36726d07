"""`synth`: run the pipeline once, inspect where a record came from, and try a recipe's verifiers
on your own candidate answers."""

import argparse
import contextlib
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from synth_assets.cli_batches import add_batch_commands
from synth_assets.cli_mixtures import add_mixture_commands
from synth_assets.cli_store import STORE_HELP, add_store_commands
from synth_assets.runs.home import dagster_log_path, ensure_dagster_home

if TYPE_CHECKING:
    import dagster as dg

    from synth_assets.lineage.location import Store

def run_pipeline(args: argparse.Namespace) -> int:
    """Check the spec and every input it reads, then generate each day's partition of every
    recipe and publish the contamination reports and mixtures (synth_assets.runs.runner),
    recorded in DAGSTER_HOME's instance. Dagster's own log, tracebacks included, goes to a log
    file; stdout says what ran and, for a failure, its cause in a sentence."""
    home = ensure_dagster_home()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import dagster as dg

    from synth_assets.definitions import defs
    from synth_assets.defs.partitions import check_day
    from synth_assets.defs.resources import SynthStore
    from synth_assets.lineage.location import open_store
    from synth_assets.runs.runner import run_days
    from synth_assets.spec import SpecError
    from synth_assets.stages.spec_check import check_spec_file

    try:
        days = days_between(args.first_day, args.last_day)
        for day in days:
            check_day(day)
    except ValueError as error:
        print(f"synth run: {error}", file=sys.stderr)
        return 2
    try:
        loaded, check = check_spec_file(SynthStore().spec_file())
    except SpecError as error:
        print(f"synth run: not started, no teacher call made.\n{error}")
        return 2
    if not check.ok:
        print(f"synth run: not started, no teacher call made.\n{check.report()}")
        return 2
    store = open_store()
    answers_before = _stored_teacher_answers(store)
    log_path = dagster_log_path(home, "run")
    print(f"synth run: {loaded.path}, {len(days)} day(s); Dagster's log: {log_path}")
    with dg.DagsterInstance.get() as instance, log_path.open("w", encoding="utf-8") as log:
        with contextlib.redirect_stderr(log):
            runs = run_days(instance, defs, loaded, days, on_run=_print_run)
    print(f"\nlineage store: {store.path}\nDagster home: {home}")
    if runs.success:
        print("try: synth lineage <id from an export's data.jsonl>   |   dagster dev")
        return 0
    name, result = runs.runs[-1]
    kept = _stored_teacher_answers(store) - answers_before
    print(_failure_summary(name, result, len(days) * len(loaded.spec.recipes) + 1 - len(runs.runs),
                           kept, log_path))
    return 1


def _print_run(name: str, result: "dg.ExecuteInProcessResult") -> None:
    print(f"\n{name}: run {result.run_id} {'succeeded' if result.success else 'FAILED'}",
          flush=True)
    for event in result.get_asset_check_evaluations():
        status = "passed" if event.passed else "FAILED"
        print(f"  check {event.asset_key.to_user_string()}/{event.check_name}: {status}")
    materialized = sorted({e.asset_key.to_user_string()
                           for e in result.get_asset_materialization_events()})
    print(f"  materialized: {', '.join(materialized) or 'nothing'}", flush=True)


def _failure_summary(name: str, result: "dg.ExecuteInProcessResult", not_run: int,
                     kept_answers: int, log_path: Path) -> str:
    from synth_assets.runs.run_report import run_failure

    failure = run_failure(result)
    where = f"{name} (partition {failure.partition})" if failure.partition else name
    cause = failure.cause.replace("\n", "\n  ")
    return "\n".join([
        f"\nFAILED: {where}, at {failure.step or 'an unknown step'}, run {result.run_id}:",
        f"  {cause}",
        f"not run: {not_run} later run(s) of this command",
        f"kept: {kept_answers} new teacher answer(s) stored; the same command resumes from "
        "them without asking (or paying) for them again",
        f"traceback and Dagster's log: {log_path}",
    ])


def _stored_teacher_answers(store: "Store") -> int:
    counts = {row["table_name"]: row["row_count"] for row in store.query("table_row_counts")}
    return int(counts["teacher_calls"])


def days_between(first: str, last: str) -> list[str]:
    """Every day from first to last (YYYY-MM-DD), both included."""
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError as error:
        raise ValueError(f"a day must be YYYY-MM-DD ({error})") from None
    if end < start:
        raise ValueError(f"--last-day {last} is before --first-day {first}")
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def show_lineage(args: argparse.Namespace) -> int:
    ensure_dagster_home()
    from synth_assets.lineage.history import UnknownRecordError, format_chain, lineage_chain
    from synth_assets.lineage.location import open_store

    store = open_store(args.db)
    try:
        print(format_chain(lineage_chain(store, args.record_id), full=args.full), end="")
    except UnknownRecordError as error:
        print(f"synth lineage: {error}", file=sys.stderr)
        return 2
    return 0


def check_spec(args: argparse.Namespace) -> int:
    """Everything knowable without the teacher (stages.spec_check), reported at once."""
    from synth_assets.stages.spec_check import check_spec_file

    try:
        loaded, check = check_spec_file(args.spec)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    if not check.ok:
        print(check.report(), file=sys.stderr)
        return 2
    spec = loaded.spec
    print(f"{loaded.path}: ok ({len(spec.seed_sets)} seed sets, {len(spec.recipes)} recipes, "
          f"{len(spec.mixtures)} mixtures; seed files, templates, attribute files, real "
          "sources and benchmark files checked)")
    return 0


def verify_file(args: argparse.Namespace) -> int:
    """Judge a JSONL file of candidates with a recipe's verifiers: one JSON verdict a line on
    stdout, the summary on stderr."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import json

    from synth_assets.jsonl import InputFileError
    from synth_assets.spec import SpecError, load_spec
    from synth_assets.spec.load import DEFAULT_SPEC_PATH
    from synth_assets.stages.verify_file import (
        UnknownRecipeError,
        read_candidates,
        summary_lines,
        verify_candidates,
    )

    def log(message: str) -> None:
        print(message, file=sys.stderr)

    try:
        loaded = load_spec(args.spec or os.environ.get("SYNTH_SPEC") or DEFAULT_SPEC_PATH)
        candidates = read_candidates(loaded, args.recipe, Path(args.file))
    except (SpecError, UnknownRecipeError, InputFileError) as error:
        print(f"synth verify: {error}", file=sys.stderr)
        return 2
    verdicts = verify_candidates(loaded, args.recipe, candidates, log)
    for verdict in verdicts:
        print(json.dumps(verdict.as_json(), ensure_ascii=False))
    print("\n".join(summary_lines(verdicts)), file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="synth", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="generate a day (or a range of days) of every recipe, "
                                          "then publish reports and mixtures")
    today = datetime.now(UTC).date().isoformat()
    run.add_argument("--first-day", default=today, help="first day to generate (default today)")
    run.add_argument("--last-day", default=None, help="last day (default: the first day)")
    run.set_defaults(handler=run_pipeline)
    lineage = commands.add_parser("lineage", help="print a record's full history")
    lineage.add_argument("record_id")
    lineage.add_argument("--db", help=f"{STORE_HELP} (default: SYNTH_DB, else in DAGSTER_HOME)")
    lineage.add_argument("--full", action="store_true", help="do not shorten long texts")
    lineage.set_defaults(handler=show_lineage)
    add_mixture_commands(commands, db_help=f"{STORE_HELP} (default: SYNTH_DB, else in "
                                           "DAGSTER_HOME)")
    add_store_commands(commands)
    verify = commands.add_parser(
        "verify", help="run a recipe's verifiers over a JSONL file of candidates "
                       '({"seed": {...}, "attributes": {...}, "response": "..."} a line)')
    verify.add_argument("recipe")
    verify.add_argument("file")
    verify.add_argument("--spec", help="pipeline spec (default: SYNTH_SPEC, else the built-in "
                                       "default spec)")
    verify.set_defaults(handler=verify_file)
    add_batch_commands(commands, db_help="DuckDB file (default: SYNTH_DB, else in DAGSTER_HOME)")
    spec = commands.add_parser("check-spec", help="validate a pipeline spec file and every "
                                                   "input it reads, before any teacher call")
    spec.add_argument("spec")
    spec.set_defaults(handler=check_spec)
    args = parser.parse_args(argv)
    if args.command == "run" and args.last_day is None:
        args.last_day = args.first_day
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
