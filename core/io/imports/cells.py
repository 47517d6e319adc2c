"""Import stage 2 — cleaning one cell.

Each cleaner takes a cell as the file holds it (text, a number or a date from Excel)
and returns the value the plan stores, or raises BadCell with the reason shown to the
user. The text rules (whitespace folded, control characters, the limits) are the
plan's own, from `core.plan.fields`; the escaping of leading = + - @ is the export's,
undone by `core.io.exports.unescape`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from core.io.exports import unescape
from core.models import Term
from core.plan import changelog, ids
from core.plan.fields import EARLIEST, ITEM_MAX, LATEST, TextProblem, fold_whitespace, text_problem

Clean = Callable[[Any], Any]  # a cell → its value; raises BadCell

ID_MAX = {  # the id columns' lengths
    f"{kind}_id": ids.id_limit(model) for kind, model in changelog.MODELS.items()
}

_ID = re.compile(r"^[A-Za-z0-9._-]+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class BadCell(ValueError):
    """A cell's problem, as the reason shown to the user."""


def norm(value: Any) -> str:
    """Whitespace collapsed, as the plan stores text (core.plan.fields)."""
    return fold_whitespace(value)


def cell_text(raw: Any) -> str:
    """A cell as text: a date as YYYY-MM-DD, a whole number without ".0", unescaped."""
    if raw is None:
        return ""
    if isinstance(raw, datetime):
        raw = raw.date() if raw.time() == datetime.min.time() else raw
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return unescape(str(raw))


def clean_text(raw: Any, limit: int, *, required: bool) -> str:
    text = fold_whitespace(cell_text(raw))
    problem = text_problem(text, limit, required=required)
    if problem is TextProblem.TOO_LONG:
        raise BadCell(f"too long: {len(text):,} characters (the limit is {limit:,})")
    if problem is not None:
        raise BadCell(problem.value)
    return text


def optional_text(limit: int) -> Clean:
    """Text that may be left empty (then None)."""
    return lambda raw: clean_text(raw, limit, required=False) or None


def text_lines(raw: Any) -> list[str]:
    """A cell of resources or tasks: one item a line, empty lines dropped."""
    text = cell_text(raw)
    if "\x00" in text:
        raise BadCell("NUL character")
    items = [fold_whitespace(line) for line in text.splitlines()]
    items = [item for item in items if item]
    for item in items:
        problem = text_problem(item, ITEM_MAX, required=False)
        if problem is TextProblem.TOO_LONG:
            raise BadCell(
                f"a line is too long: {len(item):,} characters (the limit is {ITEM_MAX:,})"
            )
        if problem is not None:
            raise BadCell(problem.value)
    return items


def clean_date(raw: Any) -> date | None:
    """A date from Excel, or written YYYY-MM-DD or M/D/YYYY; None for an empty cell."""
    if isinstance(raw, datetime):
        day = raw.date()
    elif isinstance(raw, date):
        day = raw
    else:
        text = cell_text(raw).strip()
        if not text:
            return None
        day = _written_date(text)
    if not EARLIEST <= day <= LATEST:
        raise BadCell(f"date outside {EARLIEST.year}–{LATEST.year}")
    return day


def _written_date(text: str) -> date:
    if "\x00" in text:
        raise BadCell("NUL character")
    if m := _ISO_DATE.match(text):
        year, month, dd = (int(g) for g in m.groups())
    elif m := _US_DATE.match(text):
        month, dd, year = (int(g) for g in m.groups())
    else:
        raise BadCell("unparseable date (write it as YYYY-MM-DD)")
    try:
        return date(year, month, dd)
    except ValueError:
        raise BadCell("impossible date") from None


def clean_term(raw: Any) -> str:
    """short, medium or long (also "Short term", "short-term")."""
    text = clean_text(raw, 20, required=True).lower()
    text = text.removesuffix(" term").removesuffix("-term")
    try:
        return Term(text).value
    except ValueError:
        raise BadCell("unknown term (use short, medium or long)") from None


def identifier(column: str) -> Clean:
    """The cleaner of an id column: None when empty; else an id that fits the column."""

    def clean(raw: Any) -> str | None:
        text = cell_text(raw).strip()
        if not text:
            return None
        if "\x00" in text:
            raise BadCell("NUL character")
        if not _ID.match(text):
            raise BadCell("not an id (letters, digits, '.', '-' and '_' only)")
        if len(text) > ID_MAX[column]:
            raise BadCell(f"too long for an id (the limit is {ID_MAX[column]} characters)")
        return text

    return clean


def known(lookup: dict[str, str], what: str) -> Clean:
    """The cleaner of a region or need column: the id of the one named (by name or id,
    in any case), None when empty."""

    def clean(raw: Any) -> str | None:
        text = clean_text(raw, 200, required=False)
        if not text:
            return None
        if (found := lookup.get(text.casefold())) is None:
            raise BadCell(f"unknown {what}")
        return found

    return clean
