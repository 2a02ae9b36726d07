"""`synth why`, `synth diff` and `synth forget`: explain a mixture record by record, compare
two materializations of a mixture, and carry out a data-removal request."""

import argparse
import sys
from typing import Any


def add_mixture_commands(commands: Any, db_help: str) -> None:
    why = commands.add_parser("why", help="why a record is or is not in a mixture (a "
                                          "generation: which verifier rejected it and why)")
    why.add_argument("record_id", help="a mixture record, generation, real record or seed id")
    why.add_argument("--db", help=db_help)
    why.set_defaults(handler=why_command)

    diff = commands.add_parser("diff", help="what changed between two materializations of a "
                                            "mixture, and why")
    diff.add_argument("mixture")
    diff.add_argument("--from", dest="before", help="materialization or mixture snapshot id "
                                                    "(default: the one before --to)")
    diff.add_argument("--to", dest="after", help="materialization or mixture snapshot id "
                                                 "(default: the latest)")
    diff.add_argument("--all", action="store_true", help="list every changed record")
    diff.add_argument("--db", help=db_help)
    diff.set_defaults(handler=diff_command)

    forget = commands.add_parser("forget", help="delete a seed (or any record) and everything "
                                                "derived from it; re-materialize mixtures")
    forget.add_argument("record_id")
    forget.add_argument("--db", help=db_help)
    forget.set_defaults(handler=forget_command)


def _store(args: argparse.Namespace) -> Any:
    from synth_assets.cli import _ensure_dagster_home
    from synth_assets.lineage.location import open_store

    _ensure_dagster_home()
    return open_store(args.db)


def why_command(args: argparse.Namespace) -> int:
    from synth_assets.mix.explain import ExplainError, explain_record, verification_lines
    from synth_assets.resources import SynthStore

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

    store = _store(args)
    try:
        history = materializations(store, args.mixture)
        after = find_materialization(store, args.after) if args.after else (
            history[-1] if history else None)
        if after is None:
            raise ExplainError(f"mixture {args.mixture!r} has no materialization in {store.path}")
        earlier = [m for m in history if m.row["created_at"] < after.row["created_at"]]
        before = find_materialization(store, args.before) if args.before else (
            earlier[-1] if earlier else None)
        if before is None:
            raise ExplainError(f"mixture {args.mixture!r} has only one materialization "
                               f"({after.id}): nothing to compare")
    except ExplainError as error:
        print(f"synth diff: {error}", file=sys.stderr)
        return 2
    changes = diff_materializations(store, before, after)
    print(format_diff(before, after, changes, limit=None if args.all else 20), end="")
    return 0


def forget_command(args: argparse.Namespace) -> int:
    from synth_assets.cli import _ensure_dagster_home
    from synth_assets.lineage.forget import ForgetError
    from synth_assets.mix.explain import format_diff
    from synth_assets.resources import SynthStore
    from synth_assets.stages.forget_stage import forget_record

    _ensure_dagster_home()
    synth = SynthStore(db_path=args.db or "")
    try:
        result = forget_record(synth.store(), synth.load_spec(), args.record_id,
                               synth.export_root(), log=print)
    except ForgetError as error:
        print(f"synth forget: {error}", file=sys.stderr)
        return 2
    for kind, ids in result.removal.removed.items():
        print(f"  removed {len(ids)} {kind} record(s)")
    if result.source:
        print(f"  {args.record_id} was read from {result.source}: the seed stage now skips it; "
              "delete it from that file as well")
    if not result.mixtures:
        print("  no mixture held any of it")
    for change in result.mixtures.values():
        print()
        print(format_diff(change.before, change.after, change.changes), end="")
    return 0
