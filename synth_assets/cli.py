"""`synth`: run the pipeline once, and inspect where a record came from."""

import argparse
import os
import sys
from pathlib import Path

from synth_assets.cli_mixtures import add_mixture_commands

REPO_DAGSTER_HOME = Path(__file__).resolve().parents[1] / "dagster_home"


def _ensure_dagster_home() -> Path:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(REPO_DAGSTER_HOME))).resolve()
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").touch(exist_ok=True)
    return home


def run_pipeline(args: argparse.Namespace) -> int:
    """Materialize all five stages and their checks, recorded in DAGSTER_HOME's instance;
    `--rounds N` materializes N times, so recipes with `seeds_from` get N rounds."""
    home = _ensure_dagster_home()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import dagster as dg

    from synth_assets.definitions import defs
    from synth_assets.lineage.store import default_db_path

    with dg.DagsterInstance.get() as instance:
        job = defs.resolve_job_def("full_pipeline")
        for _ in range(args.rounds):
            result = job.execute_in_process(instance=instance, raise_on_error=False)
            if not result.success:
                break
    print(f"\nrun {result.run_id}: {'succeeded' if result.success else 'FAILED'}")
    for event in result.get_asset_check_evaluations():
        status = "passed" if event.passed else "FAILED"
        print(f"  check {event.asset_key.to_user_string()}/{event.check_name}: {status}")
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    print(f"  materialized: {', '.join(sorted(materialized)) or 'nothing'}")
    print(f"  lineage store: {default_db_path()}\n  Dagster home: {home}")
    if result.success:
        print("  try: synth lineage <id from an export's data.jsonl>   |   dagster dev")
    return 0 if result.success else 1


def show_lineage(args: argparse.Namespace) -> int:
    _ensure_dagster_home()
    from synth_assets.lineage.history import UnknownRecordError, format_chain, lineage_chain
    from synth_assets.lineage.store import LineageStore, default_db_path

    store = LineageStore(args.db or default_db_path())
    try:
        print(format_chain(lineage_chain(store, args.record_id), full=args.full), end="")
    except UnknownRecordError as error:
        print(f"synth lineage: {error}", file=sys.stderr)
        return 2
    return 0


def check_spec(args: argparse.Namespace) -> int:
    from synth_assets.spec import SpecError, load_spec

    try:
        loaded = load_spec(args.spec)
    except SpecError as error:
        print(error, file=sys.stderr)
        return 2
    spec = loaded.spec
    print(f"{loaded.path}: ok ({len(spec.seed_sets)} seed sets, {len(spec.recipes)} recipes, "
          f"{len(spec.mixtures)} mixtures)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="synth", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="materialize the whole pipeline once")
    run.add_argument("--rounds", type=int, default=1,
                     help="materialize this many times (one more round of seeds_from recipes each)")
    run.set_defaults(handler=run_pipeline)
    lineage = commands.add_parser("lineage", help="print a record's full history")
    lineage.add_argument("record_id")
    lineage.add_argument("--db", help="DuckDB file (default: SYNTH_DB, else in DAGSTER_HOME)")
    lineage.add_argument("--full", action="store_true", help="do not shorten long texts")
    lineage.set_defaults(handler=show_lineage)
    add_mixture_commands(commands, db_help="DuckDB file (default: SYNTH_DB, else in DAGSTER_HOME)")
    spec = commands.add_parser("check-spec", help="validate a pipeline spec file")
    spec.add_argument("spec")
    spec.set_defaults(handler=check_spec)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
