"""`synth why`, `synth diff` and `synth forget`: explain a mixture record by record, compare
two materializations of a mixture or of a preference set, and carry out a data-removal
request."""

import argparse
import sys
from collections.abc import Callable
from typing import Any


def add_mixture_commands(commands: Any, db_help: str) -> None:
    why = commands.add_parser("why", help="why a record is or is not in a mixture (a "
                                          "generation: which verifier rejected it and why)")
    why.add_argument("record_id", help="a mixture record, generation, real record or seed id")
    why.add_argument("--db", help=db_help)
    why.set_defaults(handler=why_command)

    diff = commands.add_parser("diff", help="what changed between two materializations of a "
                                            "mixture or a preference set, and why")
    diff.add_argument("mixture", help="a mixture or preference set")
    diff.add_argument("--from", dest="before", help="materialization id or the snapshot id it "
                                                    "made (default: the one before --to)")
    diff.add_argument("--to", dest="after", help="materialization id or the snapshot id it made "
                                                 "(default: the latest)")
    diff.add_argument("--all", action="store_true", help="list every changed record")
    diff.add_argument("--db", help=db_help)
    diff.set_defaults(handler=diff_command)

    forget = commands.add_parser("forget", help="delete a seed (or any record) and everything "
                                                "derived from it; then publish the mixtures "
                                                "again through Dagster")
    forget.add_argument("record_id")
    forget.add_argument("--db", help=db_help)
    forget.set_defaults(handler=forget_command)


def _store(args: argparse.Namespace) -> Any:
    from synth_assets.lineage.location import open_store
    from synth_assets.runs.home import ensure_dagster_home

    ensure_dagster_home()
    return open_store(args.db)


def why_command(args: argparse.Namespace) -> int:
    from synth_assets.defs.resources import SynthStore
    from synth_assets.mix.explain import ExplainError, explain_record, verification_lines

    store = _store(args)
    verification = verification_lines(store, SynthStore().load_spec(), args.record_id)
    try:
        lines = explain_record(store, args.record_id)
    except ExplainError as error:
        if not verification:
            print(f"synth why: {error}", file=sys.stderr)
            return 2
        lines = [str(error)]
    print("\n".join(verification + lines))
    return 0


def diff_command(args: argparse.Namespace) -> int:
    from synth_assets.mix.explain import (
        ExplainError,
        diff_materializations,
        find_materialization,
        format_diff,
        materializations,
    )
    from synth_assets.mix.preference_diff import (
        diff_preference_sets,
        find_preference_materialization,
        format_preference_diff,
        preference_materializations,
    )

    store = _store(args)
    preference_history = preference_materializations(store, args.mixture)
    try:
        if preference_history:
            before, after = _before_and_after(args, store, preference_history,
                                              find_preference_materialization,
                                              "preference set")
        else:
            before, after = _before_and_after(args, store, materializations(store, args.mixture),
                                              find_materialization, "mixture")
    except ExplainError as error:
        print(f"synth diff: {error}", file=sys.stderr)
        return 2
    limit = None if args.all else 20
    if preference_history:
        report = format_preference_diff(before, after,
                                        diff_preference_sets(store, before, after), limit)
    else:
        report = format_diff(before, after, diff_materializations(store, before, after), limit)
    print(report, end="")
    return 0


def _before_and_after(args: argparse.Namespace, store: Any, history: list[Any],
                      find: Callable[[Any, str], Any], kind: str) -> tuple[Any, Any]:
    """The materializations to compare: --to (default the latest) and --from (default the one
    before it)."""
    from synth_assets.mix.explain import ExplainError

    after = find(store, args.after) if args.after else (history[-1] if history else None)
    if after is None:
        raise ExplainError(f"{kind} {args.mixture!r} has no materialization in {store.path}")
    earlier = [m for m in history if m.row["created_at"] < after.row["created_at"]]
    before = find(store, args.before) if args.before else (earlier[-1] if earlier else None)
    if before is None:
        raise ExplainError(f"{kind} {args.mixture!r} has only one materialization "
                           f"({after.id}): nothing to compare")
    return before, after


def forget_command(args: argparse.Namespace) -> int:
    """Remove the record and what derives from it, then launch the publish job through the
    Dagster instance, so the mixtures and preference sets are rebuilt behind their blocking
    checks and the catalog shows the new materializations."""
    import contextlib

    import dagster as dg

    from synth_assets.definitions import defs
    from synth_assets.defs.resources import SynthStore
    from synth_assets.lineage.forget import ForgetError
    from synth_assets.mix.explain import format_diff
    from synth_assets.mix.forget import forget_record, mixture_changes
    from synth_assets.runs.home import dagster_log_path, ensure_dagster_home
    from synth_assets.runs.run_report import run_failure
    from synth_assets.runs.runner import publish

    home = ensure_dagster_home()
    synth = SynthStore(db_path=args.db or "")
    store = synth.store()
    try:
        forgotten = forget_record(store, synth.load_spec(), args.record_id, log=print)
    except ForgetError as error:
        print(f"synth forget: {error}", file=sys.stderr)
        return 2
    for kind, ids in forgotten.removal.removed.items():
        print(f"  removed {len(ids)} {kind} record(s)")
    if forgotten.source:
        print(f"  {args.record_id} was read from {forgotten.source}: the seed stage now skips "
              "it; delete it from that file as well")
    log_path = dagster_log_path(home, "forget")
    with dg.DagsterInstance.get() as instance, log_path.open("w", encoding="utf-8") as log:
        with contextlib.redirect_stderr(log):
            result = publish(instance, defs, {"db_path": args.db} if args.db else None,
                             tags={"synth/trigger": "forget", "synth/forgotten": args.record_id})
    print(f"  publish: run {result.run_id} {'succeeded' if result.success else 'FAILED'} "
          f"(Dagster's log: {log_path})")
    if not result.success:
        failure = run_failure(result)
        print(f"synth forget: the records are removed, but publishing failed at "
              f"{failure.step or 'an unknown step'}: {failure.cause}\n"
              "until a publish run succeeds, an export may still hold them (fix the cause, "
              "then run `synth run` or the publish job)",
              file=sys.stderr)
        return 1
    changes = mixture_changes(store, forgotten)
    if not changes:
        print("  no mixture held any of it")
    for change in changes.values():
        print()
        print(format_diff(change.before, change.after, change.changes), end="")
    return 0
