"""What a plan field may hold: the one text, reason, date, list and term rule for every
way the plan is edited (the plan editor, the import, the command line)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String, TypeDecorator, inspect
from sqlmodel import SQLModel

from core.errors import UpdateRejected
from core.models import (
    Outcome,
    Term,
)


def column_length(model: type[SQLModel], name: str) -> int:
    """The length a model's text column is declared with (its `max_length`)."""
    column_type = inspect(model).columns[name].type
    if isinstance(column_type, TypeDecorator):  # SQLModel's AutoString wraps a String
        column_type = column_type.impl_instance
    if not isinstance(column_type, String) or column_type.length is None:
        raise TypeError(f"{model.__name__}.{name} is not a text column with a length")
    return column_type.length


REASON_MAX = 2_000
TEXT_MAX = 2_000  # an outcome's sentence; the report's longest is ~400 characters
TITLE_MAX = 300
LABEL_MAX = 200
ITEM_MAX = 1_000  # one resource or task
EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)
NUMBER_MAX = column_length(Outcome, "number")  # "1", "2a"
DATE_AS_WRITTEN_MAX = column_length(Outcome, "date_as_written")


def clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise UpdateRejected("Give a reason for this change; it goes into the plan's history.")
    return clean_text(reason, "The reason", REASON_MAX)


# C0 and C1 control characters; tabs and line breaks are folded to spaces first.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class TextProblem(StrEnum):
    NUL = "NUL character"
    CONTROL = "control character"
    EMPTY = "empty"
    TOO_LONG = "too long"


def fold_whitespace(value: Any) -> str:
    """Text as it is stored: runs of whitespace (line breaks, tabs) become one space."""
    return " ".join(str(value or "").split()) if value is not None else ""


def text_problem(text: str, limit: int, *, required: bool) -> TextProblem | None:
    """What is wrong with a folded text, or None: the one rule for every plan field."""
    if "\x00" in text:
        return TextProblem.NUL
    if CONTROL_CHARACTERS.search(text):
        return TextProblem.CONTROL
    if required and not text:
        return TextProblem.EMPTY
    if len(text) > limit:
        return TextProblem.TOO_LONG
    return None


def clean_text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    text = fold_whitespace(value)
    problem = text_problem(text, limit, required=required)
    if problem is TextProblem.NUL:
        raise UpdateRejected(f"{what} contains a NUL character; please remove it.")
    if problem is TextProblem.CONTROL:
        raise UpdateRejected(
            f"{what} contains a control character (an invisible code, often pasted from "
            "another program); please remove it."
        )
    if problem is TextProblem.EMPTY:
        raise UpdateRejected(f"{what} cannot be empty.")
    if problem is TextProblem.TOO_LONG:
        raise UpdateRejected(f"{what} is {len(text):,} characters; keep it under {limit:,}.")
    return text


def clean_date(value: Any, what: str) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise UpdateRejected(f"{what} must be a date.")
    if not EARLIEST <= value <= LATEST:
        raise UpdateRejected(
            f"{what} {value:%m/%d/%Y} is outside {EARLIEST.year}–{LATEST.year}; check the year."
        )
    return value


def clean_items(values: Any, what: str) -> list[str]:
    if isinstance(values, str):
        values = values.splitlines()
    out = [clean_text(v, f"Each {what}", ITEM_MAX) for v in values or [] if str(v or "").strip()]
    return out


def clean_term(term: str) -> str:
    try:
        return Term(str(term).strip().lower()).value
    except ValueError:
        raise UpdateRejected(
            f"“{term}” is not a term; use one of {', '.join(t.value for t in Term)}."
        ) from None
