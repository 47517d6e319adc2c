"""Command line: `python -m core {load,export,...}`; see `python -m core --help`."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from sqlmodel import Session

from core import users_cli
from core.config import get_settings
from core.db import DatabaseUnavailable, init_db, make_engine
from core.loading import load_plan
from core.plan_files import PlanFileError
from core.queries import EXPORT_COLUMNS, export_rows


def _engine():
    engine = make_engine()
    init_db(engine)
    return engine


def cmd_load(args: argparse.Namespace) -> int:
    engine = _engine()
    report = load_plan(engine, args.data_dir or get_settings().tracker_data_dir)
    print(f"Loaded the plan: {report.summary()}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    engine = _engine()
    with Session(engine) as session:
        rows = export_rows(session)
    out = sys.stdout
    if args.format == "json":
        json.dump(rows, out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Strategic-plan tracker: manage the database named by DATABASE_URL "
        "(default: the embedded SQLite file).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "load", help="apply data/ to the database (idempotent; keeps status and history)"
    )
    p.add_argument("--data-dir", help="folder with plan.yaml and logic_models/ (default: data/)")
    p.set_defaults(func=cmd_load)
    p = sub.add_parser("export", help="write every outcome to stdout")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.set_defaults(func=cmd_export)
    users_cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PlanFileError as exc:
        print(f"error: {exc}\nNothing was changed.", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
