"""One rule, however the plan is changed: the plan editor and the import make the same
id for the same outcome and refuse the same text (regressions: the two disagreed)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from core.errors import UpdateRejected
from core.models import Outcome, Role
from core.people.permissions import Actor
from core.plan import ids
from core.plan.editing import create_outcome
from core.plan.fields import TextProblem, text_problem
from core.store.db import write_session
from tests.core.io.test_imports import lm_rows, raw_csv, run

ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)


def strategies_of(engine, lm_id: str) -> list[str]:
    return list(dict.fromkeys(r["strategy_id"] for r in lm_rows(engine, lm_id)))


def add(engine, strategy_id: str, number: str | None, text: str = "A new outcome") -> str:
    with write_session(engine) as session:
        oc = create_outcome(
            session=session,
            actor=ADMIN,
            strategy_id=strategy_id,
            term="short",
            text=text,
            due_date=date(2027, 6, 30),
            reason="test",
            number=number,
        )
        return oc.id


def imported_id(engine, strategy_id: str, number: str) -> str:
    rows = lm_rows(engine, "st-louis")
    template = next(r for r in rows if r["strategy_id"] == strategy_id)
    new = {**template, "outcome_id": "", "term": "short", "number": number, "text": "Imported"}
    report = run(engine, raw_csv([*rows, new]))
    assert not report.errors
    with Session(engine) as session:
        return session.exec(
            select(Outcome.id).where(Outcome.strategy_id == strategy_id, Outcome.text == "Imported")
        ).one()


def test_editor_and_import_make_the_same_id_for_a_number(engine):
    first, second = strategies_of(engine, "st-louis")[:2]
    by_import = imported_id(engine, first, "9 B")
    by_editor = add(engine, second, "9 B")
    assert by_import == f"{first}.short.9-b"
    assert by_editor == f"{second}.short.9-b"


def test_editor_gives_an_outcome_without_number_the_first_free_n(engine):
    strategy = strategies_of(engine, "st-louis")[0]
    assert add(engine, strategy, None) == f"{strategy}.short.n1"
    assert add(engine, strategy, None) == f"{strategy}.short.n2"


def test_taken_base_gets_a_suffix_that_fits_the_column():
    long = "x" * 500
    made = ids.new_strategy_id("lm", long, lambda i: i.endswith("x"))
    assert made.endswith("-2")
    assert len(made) <= ids.id_limit(Outcome)


@pytest.mark.parametrize("text", ["Bell\x07", "Escape\x1b[31m", "CSI\x9b2J"])
def test_editor_refuses_control_characters_like_the_import(engine, text):
    strategy = strategies_of(engine, "st-louis")[0]
    with pytest.raises(UpdateRejected, match="control character"):
        add(engine, strategy, "7", text=text)
    assert text_problem(text, 100, required=True) is TextProblem.CONTROL


def test_tabs_and_line_breaks_are_folded_not_refused(engine):
    strategy = strategies_of(engine, "st-louis")[0]
    oid = add(engine, strategy, "8", text="Two\tparts\r\nof one sentence")
    with Session(engine) as session:
        assert session.get(Outcome, oid).text == "Two parts of one sentence"
