"""Date rules: from the report's target date as written to a due date and its basis.

- `as written`: a day was given (``6/15/2020``).
- `end of month`: month and year (``6/2020``): due on the month's last day.
- `corrected`: an impossible day (``2/31/2020``) is clamped to the month's last day.
- `inferred`: no usable date (none, no year, a year outside the plan): planned from
  the outcome's term, see `infer_due_dates`.

Calendar arithmetic is python-dateutil's (`relativedelta(day=31)` clamps to the
last day of the month, leap years included).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

from core.models import (
    DateBasis,
    DateFlag,
    Term,
)

_FULL = re.compile(r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})$")
_MONTH_YEAR = re.compile(r"^(?P<m>\d{1,2})/(?P<y>\d{4})$")
_MONTH_WORD = re.compile(
    r"\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?"
    r"|sept?(ember)?|oct(ober)?|nov(ember)?|dec(ember)?)\b",
    re.IGNORECASE,
)
_DEFAULT = datetime(2000, 1, 1)

# Where a term's outcomes fall when nothing in the plan dates that term at all
# (a brand-new logic model with no dates): months after the logic model's start.
FALLBACK_TERM_MONTHS = {Term.SHORT: 6, Term.MEDIUM: 12, Term.LONG: 24}


@dataclass(frozen=True)
class ParsedDate:
    """What the report's date says; `due_date` is None when it must be inferred."""

    due_date: date | None
    basis: DateBasis
    flag: DateFlag | None = None
    note: str | None = None


def parse_date_as_written(
    as_written: str | None, *, first_year: int = 2019, last_year: int = 2022
) -> ParsedDate:
    """Parse one target date as the report writes it. Never raises on bad input."""
    raw = (as_written or "").strip()
    if not raw:
        return ParsedDate(None, DateBasis.INFERRED, DateFlag.NO_DATE, "The report gives no date.")

    if m := _FULL.match(raw):
        year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
        if not 1 <= month <= 12 or year < 1:
            return _unparseable(raw)
        try:
            due = date_parser.parse(raw, default=_DEFAULT, dayfirst=False).date()
            parsed = ParsedDate(due, DateBasis.AS_WRITTEN)
        except (ValueError, OverflowError):
            if day < 1:
                return _unparseable(raw)
            due = month_end(date(year, month, 1))
            parsed = ParsedDate(
                due,
                DateBasis.CORRECTED,
                DateFlag.IMPOSSIBLE_DATE,
                f"{raw} does not exist; due on the month's last day, {due:%-m/%-d/%Y}.",
            )
        return _check_span(parsed, raw, year, first_year, last_year)

    if m := _MONTH_YEAR.match(raw):
        year, month = int(m["y"]), int(m["m"])
        if not 1 <= month <= 12 or year < 1:
            return _unparseable(raw)
        first = date_parser.parse(raw, default=_DEFAULT).date()
        due = first + relativedelta(day=31)
        return _check_span(
            ParsedDate(due, DateBasis.END_OF_MONTH), raw, year, first_year, last_year
        )

    if _MONTH_WORD.search(raw) and not re.search(r"\d{4}", raw):
        return ParsedDate(
            None,
            DateBasis.INFERRED,
            DateFlag.NO_YEAR,
            f"“{raw}” names a month but no year.",
        )
    return _unparseable(raw)


def _unparseable(raw: str) -> ParsedDate:
    return ParsedDate(
        None, DateBasis.INFERRED, DateFlag.UNPARSEABLE, f"“{raw}” is not a date we can read."
    )


def _check_span(parsed: ParsedDate, raw: str, year: int, first: int, last: int) -> ParsedDate:
    if first <= year <= last:
        return parsed
    return ParsedDate(
        None,
        DateBasis.INFERRED,
        DateFlag.LIKELY_TYPO,
        f"{raw} falls outside the plan's {first}–{last} span; likely a typo.",
    )


@dataclass
class DatedItem:
    """The minimum `infer_due_dates` needs to know of an outcome."""

    key: str
    strategy_key: str
    logic_model_key: str
    term: Term
    due_date: date | None  # None: to be inferred
    logic_model_start: date


@dataclass(frozen=True)
class Inference:
    due_date: date
    rule: str


def infer_due_dates(items: Sequence[DatedItem]) -> dict[str, Inference]:
    """Plan a due date for every item that has none. The rule, in order:

    1. the latest dated outcome of the same term in the same strategy;
    2. else the latest dated outcome of the same term in the same logic model;
    3. else the latest dated outcome of the same term anywhere in the plan;
    4. else the logic model's start plus FALLBACK_TERM_MONTHS for the term;
    and never earlier than the latest due date of an earlier term in its strategy,
    so short → medium → long stays in order.
    """
    # Latest report date per (term, strategy), (term, logic model) and term, and per
    # (strategy, term) for the ordering rule: one pass, so large plans stay linear.
    by_strategy: dict[tuple[Term, str], date] = {}
    by_model: dict[tuple[Term, str], date] = {}
    by_term: dict[Term, date] = {}
    term_due: dict[tuple[str, Term], date] = {}  # grows with inferred dates too

    def raise_to(table: dict, key, day: date) -> None:
        if key not in table or day > table[key]:
            table[key] = day

    for i in items:
        if i.due_date is not None:
            raise_to(by_strategy, (i.term, i.strategy_key), i.due_date)
            raise_to(by_model, (i.term, i.logic_model_key), i.due_date)
            raise_to(by_term, i.term, i.due_date)
            raise_to(term_due, (i.strategy_key, i.term), i.due_date)

    result: dict[str, Inference] = {}
    for term in Term:  # earlier terms first, so later ones can build on them
        for item in (i for i in items if i.due_date is None and i.term == term):
            candidates = (
                ("the latest {t} date in its strategy", by_strategy.get((term, item.strategy_key))),
                (
                    "the latest {t} date in its logic model",
                    by_model.get((term, item.logic_model_key)),
                ),
                ("the latest {t} date in the plan", by_term.get(term)),
            )
            due, rule = None, ""
            for text, found in candidates:
                if found is not None:
                    due, rule = found, text.format(t=term.label.lower())
                    break
            if due is None:
                months = FALLBACK_TERM_MONTHS[term]
                due = item.logic_model_start + relativedelta(months=months, day=31)
                rule = f"{months} months after its logic model's start"
            earlier = [
                term_due[(item.strategy_key, t)]
                for t in Term
                if t.rank < term.rank and (item.strategy_key, t) in term_due
            ]
            if earlier and max(earlier) > due:
                due = max(earlier)
                rule = "the latest earlier-term date in its strategy"
            raise_to(term_due, (item.strategy_key, term), due)
            result[item.key] = Inference(due, rule)
    return result


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def start_offset(old_start: date, new_start: date) -> relativedelta:
    """The calendar offset (years, months, days) that moves `old_start` to `new_start`."""
    return relativedelta(new_start, old_start)


def shift_date(day: date, offset: relativedelta) -> date:
    """`day` moved by `offset`; a month-end date (the report's "by 6/2020") stays a
    month-end date: it becomes the last day of the month the move lands in."""
    moved = day + offset
    return month_end(moved) if is_month_end(day) else moved


def describe_offset(offset: relativedelta) -> str:
    parts = [
        f"{abs(n)} {unit}{'' if abs(n) == 1 else 's'}"
        for n, unit in (
            (offset.years, "year"),
            (offset.months, "month"),
            (offset.days, "day"),
        )
        if n
    ]
    if not parts:
        return "no change"
    later = (offset.years, offset.months, offset.days) > (0, 0, 0)
    return ", ".join(parts) + (" later" if later else " earlier")
