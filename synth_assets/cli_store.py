"""`synth store copy FROM TO`: move a lineage store between a DuckDB file and PostgreSQL."""

import argparse
import sys
from pathlib import Path
from typing import Any

STORE_HELP = ("a DuckDB file or a PostgreSQL URL (postgresql+psycopg://user@host/db; the "
              "password from PGPASSWORD or ~/.pgpass, not the command line)")


def add_store_commands(commands: Any) -> None:
    store = commands.add_parser("store", help="manage lineage stores")
    actions = store.add_subparsers(dest="store_command", required=True)
    copy = actions.add_parser(
        "copy", help="copy every record and edge of one store into another (DuckDB to "
                     "PostgreSQL and back); rows the target holds already are skipped")
    copy.add_argument("source", metavar="FROM", help=STORE_HELP)
    copy.add_argument("target", metavar="TO", help=STORE_HELP)
    copy.set_defaults(handler=copy_command)


def copy_command(args: argparse.Namespace) -> int:
    from synth_assets.lineage.copy import copy_store
    from synth_assets.lineage.location import is_store_url, open_store

    if not is_store_url(args.source) and not Path(args.source).is_file():
        print(f"synth store copy: no DuckDB store at {args.source}", file=sys.stderr)
        return 2
    source, target = open_store(args.source), open_store(args.target)
    if source.path == target.path:
        print(f"synth store copy: {source.path} is both source and target", file=sys.stderr)
        return 2
    print(f"synth store copy: {source.path} -> {target.path}")
    rows = copy_store(source, target)
    for table, count in rows.items():
        print(f"  {table}: {count} rows")
    return 0
