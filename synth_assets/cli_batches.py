"""`synth batches`: the provider batches of mode: batch teachers (list with their progress
polled now, or cancel one)."""

import argparse
import asyncio
import sys
from typing import Any


def add_batch_commands(commands: Any, db_help: str) -> None:
    batches = commands.add_parser("batches", help="provider batches of mode: batch teachers: "
                                                  "list them, or cancel one")
    actions = batches.add_subparsers(dest="action")
    listing = actions.add_parser("list", help="open batches, their progress polled now "
                                              "(the default action)")
    listing.add_argument("--all", action="store_true", help="ingested batches too")
    cancel = actions.add_parser("cancel", help="cancel one batch (its unrun requests are "
                                               "recorded as failures when it is ingested)")
    cancel.add_argument("batch", help="batch key (batch_...) or the provider's batch id")
    for parser in (batches, listing, cancel):
        parser.add_argument("--db", help=db_help)
        parser.add_argument("--spec", help="pipeline spec: the teachers' endpoints and keys "
                                           "(default: SYNTH_SPEC, else the built-in spec)")
    batches.set_defaults(handler=batches_command, all=False)


def batches_command(args: argparse.Namespace) -> int:
    from synth_assets.defs.resources import SynthStore
    from synth_assets.lineage.location import open_store
    from synth_assets.teacher.batch import batch_states

    store = open_store(args.db)
    spec = SynthStore(spec_path=args.spec or "").load_spec().spec
    states = batch_states(store)
    if args.action == "cancel":
        return _cancel(store, spec, states, args.batch)
    shown = states if args.all else [s for s in states if s.open]
    if not shown:
        print("no open batches" if not args.all else "no batches")
        return 0
    seen = asyncio.run(_poll_and_record(store, spec, shown))
    from synth_assets.teacher.batch import batches_table

    print(batches_table(shown, seen).to_string(index=False))
    return 0


async def _poll_and_record(store: Any, spec: Any, states: list) -> dict:
    from synth_assets.teacher.batch import poll
    from synth_assets.teacher.batch_provider import BatchProvider

    seen = {}
    for state in states:
        if state.open and state.batch_id is not None and state.teacher in spec.teachers:
            seen[state.batch_key] = await poll(store, BatchProvider(spec.teachers[state.teacher]),
                                               state)
    return seen


def _cancel(store: Any, spec: Any, states: list, wanted: str) -> int:
    from synth_assets.teacher.batch import record_cancel_request
    from synth_assets.teacher.batch_provider import BatchProvider

    found = [s for s in states if wanted in (s.batch_key, s.batch_id)]
    if not found:
        print(f"synth batches: no batch {wanted!r} in {store.path}", file=sys.stderr)
        return 2
    state = found[0]
    if state.batch_id is None or not state.open or state.teacher not in spec.teachers:
        print(f"synth batches: batch {wanted} cannot be cancelled: it is "
              f"{'ingested' if not state.open else state.status}"
              + ("" if state.teacher in spec.teachers else
                 f", and the spec has no teacher {state.teacher!r}"), file=sys.stderr)
        return 2
    status = asyncio.run(BatchProvider(spec.teachers[state.teacher]).cancel(state.batch_id))
    record_cancel_request(store, state.batch_key, status)
    print(f"batch {state.batch_key} ({state.batch_id}): {status.status}")
    return 0
