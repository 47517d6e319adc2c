"""`python -m core users ...`: create users, set passwords and roles, assign leads.

The first admin is created here: `python -m core users add admin --role admin`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlmodel import Session

from core.errors import TrackerError
from core.models import Role
from core.people import accounts
from core.people.accounts import AccountError
from core.store.bootstrap import init_db
from core.store.db import make_engine, write_session

ROLES = [r.value for r in Role]


class PasswordInputError(TrackerError):
    pass


@contextmanager
def _session() -> Iterator[Session]:
    """One write transaction per command: committed when it returns, else rolled back."""
    engine = make_engine()
    init_db(engine)
    with write_session(engine) as session:
        yield session


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise PasswordInputError("--password-stdin: nothing was read from stdin.")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise PasswordInputError(
            "stdin is not a terminal, so the password cannot be prompted for. "
            "Pipe it in with --password-stdin."
        )
    try:
        first = getpass.getpass("Password: ")
        accounts.validate_password(first)
        second = getpass.getpass("Password (again): ")
    except (EOFError, KeyboardInterrupt):
        raise PasswordInputError("Cancelled; nothing was changed.") from None
    if first != second:
        raise PasswordInputError("The two passwords differ; nothing was changed.")
    return first


def cmd_add(args: argparse.Namespace) -> int:
    password = None if args.no_password else _read_password(args)
    with _session() as session:
        user = accounts.create_user(
            session=session,
            username=args.username,
            role=args.role,
            password=password,
            display_name=args.name,
            email=args.email,
        )
        print(f"Added {user.role} {user.username!r}.")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with _session() as session:
        users = accounts.list_users(session=session)
        if not users:
            print("No users yet. Add the first admin: python -m core users add NAME --role admin")
            return 0
        rows = [("USERNAME", "ROLE", "ACTIVE", "NAME", "EMAIL", "ASSIGNED")]
        for user in users:
            scopes = [
                f"region:{a.region_id}" if a.region_id else f"strategy:{a.strategy_id}"
                for a in accounts.list_assignments(session=session, user=user)
            ]
            rows.append(
                (
                    user.username,
                    user.role,
                    "yes" if user.active else "no",
                    user.display_name,
                    user.email or "-",
                    ", ".join(scopes) or "-",
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    with _session() as session:
        user = accounts.require_user(session=session, username=args.username)
        accounts.set_password(session=session, user=user, password=_read_password(args))
        print(f"Password of {user.username!r} changed.")
    return 0


def cmd_role(args: argparse.Namespace) -> int:
    with _session() as session:
        user = accounts.require_user(session=session, username=args.username)
        accounts.set_role(session=session, user=user, role=args.role)
        print(f"{user.username!r} is now {user.role}.")
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    with _session() as session:
        user = accounts.require_user(session=session, username=args.username)
        accounts.assign(
            session=session, user=user, region_id=args.region, strategy_id=args.strategy
        )
        print(f"{user.username!r} can now update outcomes of {_scope(args)}.")
    return 0


def cmd_unassign(args: argparse.Namespace) -> int:
    with _session() as session:
        user = accounts.require_user(session=session, username=args.username)
        accounts.unassign(
            session=session, user=user, region_id=args.region, strategy_id=args.strategy
        )
        print(f"{user.username!r} no longer updates outcomes of {_scope(args)}.")
    return 0


def cmd_deactivate(args: argparse.Namespace) -> int:
    with _session() as session:
        user = accounts.require_user(session=session, username=args.username)
        accounts.deactivate_user(session=session, user=user)
        print(f"{user.username!r} is deactivated and can no longer sign in.")
    return 0


def cmd_activate(args: argparse.Namespace) -> int:
    with _session() as session:
        user = accounts.require_user(session=session, username=args.username)
        accounts.activate_user(session=session, user=user)
        print(f"{user.username!r} is active again.")
    return 0


def _scope(args: argparse.Namespace) -> str:
    return f"region {args.region}" if args.region else f"strategy {args.strategy}"


def _reporting_errors(command: Callable[[argparse.Namespace], int]):
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (AccountError, PasswordInputError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `users` and its subcommands to `python -m core`."""
    users = subparsers.add_parser("users", help="manage who can sign in, their roles and scopes")
    sub = users.add_subparsers(dest="users_command", required=True)

    def command(name: str, func, text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        p.set_defaults(func=_reporting_errors(func))
        return p

    def password_stdin(p) -> None:
        p.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of stdin instead of prompting",
        )

    p = command("add", cmd_add, "create a user (prompts twice for the password)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--name", help="display name (default: the username)")
    p.add_argument("--email", help="email address; maps a single sign-on identity to this user")
    how = p.add_mutually_exclusive_group()
    password_stdin(how)
    how.add_argument(
        "--no-password", action="store_true", help="no password: single sign-on (by email) only"
    )

    command("list", cmd_list, "list users with their roles and assignments")

    p = command("passwd", cmd_passwd, "set a user's password")
    p.add_argument("username")
    password_stdin(p)

    p = command("role", cmd_role, "change a user's role")
    p.add_argument("username")
    p.add_argument("role", choices=ROLES)

    for name, func, verb in (
        ("assign", cmd_assign, "let a lead update the outcomes of a region or one strategy"),
        ("unassign", cmd_unassign, "remove a region or strategy from a lead"),
    ):
        p = command(name, func, verb)
        p.add_argument("username")
        scope = p.add_mutually_exclusive_group(required=True)
        scope.add_argument("--region", metavar="ID", help="region id, e.g. st-louis")
        scope.add_argument(
            "--strategy", metavar="ID", help="strategy id, e.g. st-louis.legal-services"
        )

    p = command("deactivate", cmd_deactivate, "stop a user signing in (keeps their history)")
    p.add_argument("username")
    p = command("activate", cmd_activate, "let a deactivated user sign in again")
    p.add_argument("username")
