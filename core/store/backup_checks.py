"""What a backup file must pass before a restore writes anything (`validate`): its
format, its checksum, its signature
(HMAC-SHA256 with the deployment's TRACKER_BACKUP_KEY), bounds on its shape (nesting
depth, integer range, text length) and every value against the model (nullability,
column length, the enums the schema's CHECK constraints hold)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from core.config import get_settings
from core.errors import TrackerError
from core.models import ChangeAction, DateBasis, DateFlag, Role, Status, Term
from core.store import chain, migrate

FORMAT = "plan-tracker-backup"
FORMAT_VERSION = 2  # 2: signed, with the history chain's heads
KINDS = ("string", "integer", "float", "decimal", "boolean", "date", "datetime", "json", "bytes")


class BackupError(TrackerError, ValueError):
    """A backup or restore that cannot be done; the message says why. Nothing was
    changed."""


SIGNATURE = "hmac-sha256"
MIN_KEY_LENGTH = 32
MAX_DEPTH = 40  # the file's own structure is 5 deep; the rest is JSON column values
INTEGER_RANGE = (-(2**63), 2**63 - 1)  # a BIGINT: what both databases can store
MAX_TEXT = 1_000_000  # characters in a column without a length (notes, reasons)
TRUST_HINT = (
    "If you know where this file came from, an admin can restore it on the command line "
    "with `python -m core restore FILE --trust-unsigned`."
)
# Columns holding one of an enum's values; the schema's CHECK constraints say the same
# (tests/core/store/test_checks.py holds the two side by side).
ENUMS: dict[tuple[str, str], type[StrEnum]] = {
    ("outcome", "status"): Status,
    ("outcome", "term"): Term,
    ("outcome", "date_basis"): DateBasis,
    ("outcome", "date_flag"): DateFlag,
    ("status_update", "old_status"): Status,
    ("status_update", "new_status"): Status,
    ("plan_change", "action"): ChangeAction,
    ("user_account", "role"): Role,
}


# --- the key and the signature ----------------------------------------------------


def configured_key() -> str | None:
    """TRACKER_BACKUP_KEY, or None when it is not set; refused when too short."""
    secret = get_settings().tracker_backup_key
    if secret is None or not secret.get_secret_value():
        return None
    key = secret.get_secret_value()
    if len(key) < MIN_KEY_LENGTH:
        raise BackupError(
            f"TRACKER_BACKUP_KEY is {len(key)} characters long; use at least "
            f'{MIN_KEY_LENGTH} (e.g. the output of `python -c "import secrets; '
            'print(secrets.token_urlsafe(32))"`). Nothing was written or restored.'
        )
    return key


def key_id(key: str) -> str:
    """A short name of a key, safe to show: which key signed a file."""
    return hashlib.sha256(b"plan-tracker-backup-key:" + key.encode()).hexdigest()[:12]


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(data: dict[str, Any], key: str) -> dict[str, str]:
    """The signature of everything in the file but the signature itself."""
    signed = canonical({k: v for k, v in data.items() if k != "signature"})
    value = hmac.new(key.encode(), signed, hashlib.sha256).hexdigest()
    return {"alg": SIGNATURE, "key_id": key_id(key), "value": value}


def signature_problem(data: dict[str, Any], key: str | None) -> str | None:
    """Why the file's signature cannot be trusted (None: it is good)."""
    found = data.get("signature")
    if not isinstance(found, dict) or found.get("alg") != SIGNATURE:
        return "The backup is not signed (it was made without a backup key, or edited)."
    if key is None:
        return (
            "The backup is signed, but this deployment has no backup key to check it "
            "with: set TRACKER_BACKUP_KEY (environment or .streamlit/secrets.toml) to the "
            "key of the deployment that made it."
        )
    expected = signature(data, key)
    if not hmac.compare_digest(str(found.get("value", "")), expected["value"]):
        if found.get("key_id") != expected["key_id"]:
            return (
                f"The backup was signed with another key (key id {found.get('key_id')}; "
                f"this deployment's is {expected['key_id']}): set TRACKER_BACKUP_KEY to "
                "that key to restore it."
            )
        return "The backup's signature does not match its contents: it was edited."
    return None


# --- the file's shape ------------------------------------------------------------


def depth_problem(data: Any) -> str | None:
    """Refuse nesting deeper than MAX_DEPTH (checked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"The backup nests values more than {MAX_DEPTH} levels deep; it is damaged."
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            stack.extend((child, depth + 1) for child in children)
    return None


def no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a backup can hold")


# --- every value against the model -----------------------------------------------


def _value_problem(column: sa.Column, value: Any) -> str | None:
    if value is None:
        ok = column.nullable or column.primary_key
        return None if ok else f"{column.name} is empty, which it may not be"
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = INTEGER_RANGE
        if not low <= value <= high:
            return f"{column.name} is {value}, outside the range a database can store"
    if isinstance(value, str):
        length = getattr(column.type, "length", None) or MAX_TEXT
        if len(value) > length:
            return f"{column.name} is {len(value):,} characters long, more than its {length:,}"
        enum = ENUMS.get((column.table.name, column.name))
        if enum is not None and value not in {e.value for e in enum}:
            allowed = ", ".join(e.value for e in enum)
            return f"{column.name} is {value!r}, which is none of: {allowed}"
    return None


def row_problem(table: str, row: dict[str, Any]) -> str | None:
    """The first value of a decoded row the model refuses (None: all fit). Columns the
    newest model does not have (an older backup's) are left to the schema."""
    model = SQLModel.metadata.tables.get(table)
    if model is None:
        return None
    for name, value in row.items():
        if name in model.columns and (problem := _value_problem(model.columns[name], value)):
            return problem
    return None


# --- the whole file ------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[dict[str, Any]]


def checksum(revision: str, tables: dict[str, Any]) -> str:
    return (
        "sha256:" + hashlib.sha256(canonical({"revision": revision, "tables": tables})).hexdigest()
    )


def decode(value: Any, kind: str) -> Any:
    """The Python value of a file value; ValueError/TypeError if it is not one."""
    if value is None:
        return None
    if kind == "datetime":
        parsed = datetime.fromisoformat(value)
        if parsed.utcoffset() is None:
            raise ValueError(f"{value!r} has no UTC offset")
        return parsed.astimezone(UTC)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value, validate=True)
    if kind == "decimal":
        return Decimal(value)
    types: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "integer": int,
        "float": (int, float),
        "boolean": bool,
        "json": (dict, list, str, int, float, bool),
    }
    expected = types[kind]
    # bool is an int subclass, but true/false is no number
    if not isinstance(value, expected) or (
        kind in ("integer", "float") and isinstance(value, bool)
    ):
        raise TypeError(f"{value!r} is not a {kind}")
    return value


def _check_header(data: dict[str, Any], trust_unsigned: bool) -> None:
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BackupError("The backup has no format version; it is damaged.")
    if version > FORMAT_VERSION:
        raise BackupError(
            f"The backup is in format version {version}, made by a newer version of the "
            f"tracker; this version reads format {FORMAT_VERSION}. Upgrade the tracker."
        )
    if version < 1:
        raise BackupError(f"Unknown backup format version {version}.")
    if problem := depth_problem(data):
        raise BackupError(problem)
    revision, tables, counts = data.get("revision"), data.get("tables"), data.get("row_counts")
    if (
        not isinstance(revision, str)
        or not isinstance(tables, dict)
        or not isinstance(counts, dict)
    ):
        raise BackupError("The backup lacks its revision, tables or row counts; it is damaged.")
    if data.get("checksum") != checksum(revision, tables):
        raise BackupError(
            "The backup's checksum does not match its contents: it was edited or damaged. "
            "Nothing was restored."
        )
    if not trust_unsigned and (problem := signature_problem(data, configured_key())):
        raise BackupError(f"{problem} Nothing was restored. {TRUST_HINT}")
    if revision not in migrate.revisions():
        raise BackupError(
            f"The backup is of schema revision {revision!r}, which this version of the "
            f"tracker does not know (it knows up to {migrate.head()}): it was made by a "
            "newer version. Upgrade the tracker to restore it."
        )


def _decode_table(name: str, table: Any, count: Any) -> Table:
    try:
        columns = [(str(c), str(k)) for c, k in table["columns"]]
        rows = table["rows"]
    except (KeyError, TypeError, ValueError):
        raise BackupError(f"Table {name!r} in the backup is malformed.") from None
    if unknown := sorted({k for _, k in columns} - set(KINDS)):
        raise BackupError(f"Table {name!r}: unknown value kinds {unknown}.")
    if not isinstance(rows, list):
        raise BackupError(f"Table {name!r} in the backup is malformed.")
    if count != len(rows):
        raise BackupError(f"Table {name!r} has {len(rows)} rows but the header says {count}.")
    out = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(columns):
            raise BackupError(f"Table {name!r}, row {number}: wrong number of values.")
        try:
            values = {c: decode(v, k) for (c, k), v in zip(columns, row, strict=True)}
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise BackupError(f"Table {name!r}, row {number}: {exc}.") from None
        if problem := row_problem(name, values):
            raise BackupError(f"Table {name!r}, row {number}: {problem}. Nothing was restored.")
        out.append(values)
    return Table([c for c, _ in columns], out)


def _check_heads(data: dict[str, Any], decoded: dict[str, Table]) -> None:
    """A signed file's chain heads are the last rows of its history tables."""
    if data["format_version"] < 2 or not set(chain.CHAINED) <= set(decoded):
        return
    for name in chain.CHAINED:
        rows = decoded[name].rows
        last = {"id": rows[-1]["id"], "hash": rows[-1].get("chain_hash")} if rows else None
        if (data.get("chain_heads") or {}).get(name) != last:
            raise BackupError(
                f"The backup's {name} rows do not end at the history chain's head it "
                "records: rows were added or removed. Nothing was restored."
            )


def validate(data: dict[str, Any], *, trust_unsigned: bool = False) -> dict[str, Table]:
    """Check everything that can be checked without the database (the signature
    unless `trust_unsigned`), and decode every value; raise BackupError saying what
    is wrong."""
    _check_header(data, trust_unsigned)
    counts = data["row_counts"]
    decoded = {
        name: _decode_table(name, table, counts.get(name)) for name, table in data["tables"].items()
    }
    if set(counts) != set(data["tables"]):
        raise BackupError("The backup's row counts do not name the same tables as its data.")
    _check_heads(data, decoded)
    return decoded
