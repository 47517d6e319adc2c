"""Command line: `python -m core {load,export,...}`; see `python -m core --help`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from core.cli import users as users_cli
from core.config import get_settings
from core.errors import TrackerError
from core.io import exports, mail
from core.models import Role
from core.people import accounts
from core.people.permissions import Actor
from core.plan.files import PlanFileError
from core.plan.loading import load_plan
from core.progress import filters, queries
from core.store import migrate
from core.store.bootstrap import init_db
from core.store.db import DatabaseUnavailable, make_engine, write_session

# The command line is run by whoever operates the database.
MEMBERS_READ = "Run from the command line, this reads as a signed-in member."


def _engine():
    engine = make_engine()
    init_db(engine)
    return engine


def cmd_load(args: argparse.Namespace) -> int:
    engine = _engine()
    report = load_plan(engine, args.data_dir or get_settings().tracker_data_dir)
    print(f"Loaded the plan: {report.summary()}")
    return 0


def _chosen_scope(session: Session, args: argparse.Namespace) -> list[str] | None:
    """The names of the regions and needs given with --region/--need; None (after
    saying which, and what exists) when one is unknown."""
    names: list[str] = []
    for label, chosen, known in (
        ("region", args.region, {r["id"]: r["name"] for r in queries.regions(session)}),
        ("need", args.need, {n["id"]: n["label"] for n in queries.needs(session)}),
    ):
        if unknown := [v for v in chosen if v not in known]:
            print(
                f"error: no {label} {', '.join(map(repr, unknown))}; "
                f"choose from: {', '.join(known)}",
                file=sys.stderr,
            )
            return None
        names += [known[v] for v in chosen]
    return names


def cmd_export(args: argparse.Namespace) -> int:
    # Imported here: only export and import need openpyxl and icalendar.

    if args.format == "xlsx" and args.output is None:
        print("error: --format xlsx writes a workbook: give --output FILE.xlsx", file=sys.stderr)
        return 2
    engine = _engine()
    with Session(engine) as session:
        if (chosen_names := _chosen_scope(session, args)) is None:
            return 2
        flt = filters.OutcomeFilter(regions=tuple(args.region), needs=tuple(args.need))
        # Run by the database's operator, who reads as a member (every note).
        rows = queries.export_rows(session, flt, members=True)
    view = exports.view_name(chosen_names)
    if args.format == "csv" and args.output is None:
        exports.write_csv(rows, sys.stdout, lineterminator="\n")
        return 0
    if args.format == "json":
        data = (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    elif args.format == "csv":
        data = exports.to_csv(rows)
    elif args.format == "xlsx":
        data = exports.to_xlsx(rows, sheet_name=view)
    else:
        data = exports.to_ics(rows, calendar_name=exports.calendar_name(view))
    if args.output is None:
        sys.stdout.write(data.decode("utf-8"))
        return 0
    try:
        args.output.write_bytes(data)
    except OSError as exc:
        print(f"error: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"Wrote {len(rows)} outcomes ({view}) to {args.output}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from core.io.imports import command_line_actor, import_file
    from core.people.permissions import PermissionDenied

    engine = _engine()
    try:
        with Session(engine) as session:
            actor = command_line_actor(session, args.as_user)
    except PermissionDenied as exc:
        print(f"error: {exc} Nothing was imported.", file=sys.stderr)
        return 1
    report = import_file(
        engine,
        args.file,
        actor=actor,
        reason=args.reason,
        retire_missing=args.retire_missing,
        dry_run=args.dry_run,
        confirm_duplicates=args.allow_duplicates,
    )
    if report.errors:
        print("\n".join(report.lines()), file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    # Imported here: only this command needs Altair and vl-convert.
    from core.io.report import describe_filter, progress_report_html

    if args.file is None and not args.email:
        print("error: give FILE.html, --email ADDRESS, or both", file=sys.stderr)
        return 2
    recipients = [a for a in (accounts.validate_email(e) for e in args.email) if a]
    today = get_settings().today()
    engine = _engine()
    with Session(engine) as session:
        if _chosen_scope(session, args) is None:
            return 2
        flt = filters.OutcomeFilter(regions=tuple(args.region), needs=tuple(args.need))
        html = progress_report_html(session, today=today, flt=flt, members=True)
        plan = queries.plan_info(session)
        scope = describe_filter(session, flt)
        summary = mail.report_summary(session, today=today, flt=flt, scope=scope)
    if args.file is not None:
        try:
            args.file.write_text(html, encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {args.file}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"Wrote the progress report to {args.file}")
    if recipients:
        return _email_report(recipients, plan.title if plan else "Strategic plan", summary, html)
    return 0


def _email_report(to: list[str], title: str, summary: list[str], html: str) -> int:
    today = get_settings().today()
    server, sender = mail.configured_server(), mail.configured_sender()
    message = mail.report_message(
        sender=sender, to=to, title=title, today=today, summary=summary, html=html
    )
    with mail.Mailer(server) as connection:
        refused = connection.send(message)
    accepted = [a for a in to if mail.ascii_address(a) not in refused]
    print(f"E-mailed the progress report to {', '.join(accepted)}")
    for address, reply in refused.items():
        print(f"error: the mail server refused {address} ({reply})", file=sys.stderr)
    return 1 if refused else 0


def cmd_digest(args: argparse.Namespace) -> int:
    from core.clock import as_utc, utcnow
    from core.io import digest

    now = as_utc(args.now) if args.now else utcnow()
    today = now.date() if args.now else get_settings().today()
    operator = Actor(user_id=None, username="cli", display_name="cli", role=Role.ADMIN)
    with write_session(_engine()) as session:
        run = digest.send_digests(
            session=session, actor=operator, now=now, today=today, dry_run=args.dry_run
        )
        if args.dry_run:
            base, key = digest.base_url(), digest.secret_key()
    for d in run.sent:
        if args.dry_run:
            print(f"--- would send the {d.frequency} digest ({d.period}) to {d.recipient}")
            print(digest.digest_text(d, base=base, key=key))
        else:
            print(f"Sent the {d.frequency} digest ({d.period}) to {d.recipient}: {d.counts()}")
    for d, reason in run.failed:
        print(f"error: {d.recipient}: {reason} Not marked as sent.", file=sys.stderr)
    verb = "would be sent" if args.dry_run else "sent"
    print(
        f"{len(run.sent)} digest{'s' if len(run.sent) != 1 else ''} {verb}, "
        f"{len(run.failed)} failed, {run.nothing_due} with nothing due."
    )
    return 0 if run.ok else 1


def cmd_migrate(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DatabaseError

    from core.store.db import describe_db_error

    engine = make_engine()  # not _engine(): init_db would upgrade (and seed) first
    try:
        if args.status:
            print(migrate.status(engine).summary())
            return 0
        print(migrate.upgrade(engine, args.to).summary())
    except DatabaseError as exc:
        raise DatabaseUnavailable(describe_db_error(exc, engine)) from exc
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from core.store.backup import write_backup

    data = write_backup(_engine(), args.file, force=args.force)
    rows = sum(data["row_counts"].values())
    print(f"Wrote {rows:,} rows in {len(data['row_counts'])} tables to {args.file}. It holds")
    print("password hashes: keep it as safe as the database.")
    if data["signature"] is None:
        print(
            "warning: TRACKER_BACKUP_KEY is not set, so the backup is unsigned: restoring it "
            "needs --trust-unsigned. Set TRACKER_BACKUP_KEY (README, Security) to sign backups.",
            file=sys.stderr,
        )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DatabaseError

    from core.store.backup import read_backup, restore
    from core.store.db import describe_db_error

    engine = make_engine()  # not _engine(): a new database must stay empty, not seeded
    try:
        report = restore(
            engine,
            read_backup(args.file),
            replace=args.replace,
            trust_unsigned=args.trust_unsigned,
        )
    except DatabaseError as exc:
        raise DatabaseUnavailable(describe_db_error(exc, engine)) from exc
    print(report.summary())
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DatabaseError

    from core.store.chain import verify
    from core.store.db import describe_db_error

    engine = make_engine()  # not _engine(): checking changes nothing
    try:
        with engine.connect() as connection:
            revision = migrate.current_revision(connection)
        if revision != migrate.head():
            raise DatabaseUnavailable(
                f"The database is at schema revision {revision or 'none'}, not "
                f"{migrate.head()}; run `python -m core migrate` first."
            )
        report = verify(engine)
    except DatabaseError as exc:
        raise DatabaseUnavailable(describe_db_error(exc, engine)) from exc
    if report.ok:
        print(report.summary())
        return 0
    print(report.summary(), file=sys.stderr)
    return 1


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
    p = sub.add_parser(
        "export",
        help="write every outcome (or a region's or need's) to stdout or a file",
        description=f"{MEMBERS_READ} The files carry no notes.",
    )
    p.add_argument("--format", choices=["csv", "json", "xlsx", "ics"], default="csv")
    p.add_argument("--region", action="append", default=[], help="a region id (repeatable)")
    p.add_argument("--need", action="append", default=[], help="a need id (repeatable)")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write to FILE")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser(
        "import",
        help="import one logic model from a .csv or .xlsx file with the export's columns",
        description="Check the whole file first; import nothing unless every row passes. "
        "Rows that match the plan change nothing. Status columns are not imported.",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="act as this admin user (default: cli:<your login>, with admin rights)",
    )
    p.add_argument(
        "--retire-missing",
        action="store_true",
        help="retire the logic model's outcomes the file leaves out (default: report them)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="check the file and say what it would change"
    )
    p.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="add new outcomes that repeat an existing one (same strategy, term, number "
        "and text; default: refuse them, naming the existing outcome)",
    )
    p.add_argument("--reason", help="why, for the plan's change log (default: the file name)")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser(
        "report",
        help="write the printable progress report (self-contained HTML) to FILE",
        description=f"{MEMBERS_READ} The report shows every latest note, published or not: "
        "share it with members only (signed-out visitors' reports, downloaded from the "
        "Overview, show published notes only).",
    )
    p.add_argument("file", type=Path, metavar="FILE.html", nargs="?")
    p.add_argument("--region", action="append", default=[], help="a region id (repeatable)")
    p.add_argument("--need", action="append", default=[], help="a need id (repeatable)")
    p.add_argument(
        "--email",
        nargs="+",
        default=[],
        metavar="ADDRESS",
        help="e-mail the report (attached) with its summary in the body, through "
        "TRACKER_SMTP_URL from TRACKER_MAIL_FROM",
    )
    p.set_defaults(func=cmd_report)
    p = sub.add_parser(
        "digest",
        help="e-mail each lead the digest of their My work that is due (weekly or daily, "
        "as each chose); never twice in one week or day",
        description="Run it daily (cron, a systemd timer, a Kubernetes CronJob: README). "
        "Needs TRACKER_SMTP_URL, TRACKER_MAIL_FROM, TRACKER_BASE_URL and TRACKER_SECRET_KEY.",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; send and record nothing"
    )
    p.add_argument(
        "--now",
        type=datetime.fromisoformat,
        metavar="ISO",
        help="act as if it were this time (e.g. 2026-12-07T08:00+00:00); default: now",
    )
    p.set_defaults(func=cmd_digest)
    p = sub.add_parser(
        "migrate",
        help="upgrade the database schema to this version's (the app does it at start)",
    )
    p.add_argument("--to", default="head", metavar="REV", help="revision (default: newest)")
    p.add_argument("--status", action="store_true", help="show the revisions; change nothing")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser(
        "backup",
        help="write the whole database (plan, history, users with their password hashes: "
        "keep the file safe) to a JSON file",
    )
    p.add_argument("file", type=Path, metavar="FILE.json")
    p.add_argument("--force", action="store_true", help="overwrite FILE.json if it exists")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser(
        "restore",
        help="restore a backup into an empty database (or replace this one with --replace)",
    )
    p.add_argument("file", type=Path, metavar="FILE.json")
    p.add_argument(
        "--replace", action="store_true", help="replace everything the database holds now"
    )
    p.add_argument(
        "--trust-unsigned",
        action="store_true",
        help="restore a file that is unsigned, signed with another key or whose history "
        "does not verify, because you know where it came from",
    )
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser(
        "verify",
        help="check the history chain, the append-only triggers and every outcome's "
        "status against its history; exit 1 naming the first broken row",
    )
    p.set_defaults(func=cmd_verify)
    users_cli.register(sub)
    return parser


# The one map from a refusal to an exit code, most specific first: 2 the plan files in
# data/ are wrong, 3 the database cannot be reached or written, 4 the mail server cannot be
# reached or refused the login or the message, 1 any other refusal.
EXIT_CODES: tuple[tuple[type[TrackerError], int, str], ...] = (
    (PlanFileError, 2, "\nNothing was changed."),
    (DatabaseUnavailable, 3, ""),
    (mail.MailError, 4, ""),
    (TrackerError, 1, ""),
)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except TrackerError as exc:
        code, tail = next((c, t) for kind, c, t in EXIT_CODES if isinstance(exc, kind))
        print(f"error: {exc}{tail}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
