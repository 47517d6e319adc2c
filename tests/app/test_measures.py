"""The Measures page (AppTest): every measure with its chart and state, grouped by
RBA category, the shared filters, and a lead recording and undoing a value in scope."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.models import MeasureValue

from .conftest import PASSWORD, make_user, texts
from .test_updates import sign_in

PAGE = "pages/measures.py"
STAKEHOLDERS = "st-louis.adult-shelter.short.1.stakeholders"


def values(engine) -> list[MeasureValue]:
    with Session(engine) as session:
        return list(session.exec(select(MeasureValue).order_by(MeasureValue.id)).all())


@pytest.mark.backends("sqlite", "postgresql")
def test_measures_page_shows_every_measure_by_rba_category(db, new_app):
    at = new_app(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.title) == ["Measures"]
    assert [s.value for s in at.main.subheader] == ["How much did we do?", "How well did we do it?"]
    assert len(at.get("vega_lite_chart")) == 21
    assert "21 off track" not in texts(at.markdown)  # region baselines have no target
    assert not [b for b in at.button if b.key and b.key.startswith("measure_undo_")]
    assert not at.number_input  # a visitor records nothing


def test_measures_page_follows_the_region_filter(db, new_app):
    at = new_app()
    at.query_params["region"] = "st-louis"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.get("vega_lite_chart")) == 5


def test_lead_records_and_undoes_a_value_in_scope(db, new_app):
    make_user(db, "lead-stl", region="st-louis")
    at = new_app().run()
    sign_in(at, "lead-stl", PASSWORD)
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.number_input) == 5  # the St. Louis measures only
    at.number_input[0].set_value(4)
    record = [b for b in at.form_submit_button if b.label == "Record"]
    record[0].click().run()
    assert not at.exception, [e.message for e in at.exception]
    [entry] = values(db)
    assert (entry.measure_id, entry.value, entry.recorded_by) == (STAKEHOLDERS, 4.0, "lead-stl")
    at.button(key=f"measure_undo_{STAKEHOLDERS}").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert [v.reverts_id for v in values(db)] == [None, entry.id]


def test_bad_value_refused_with_a_message_nothing_written(db, new_app):
    make_user(db, "lead-stl", region="st-louis")
    at = new_app().run()
    sign_in(at, "lead-stl", PASSWORD)
    at.switch_page(PAGE).run()
    at.number_input[0].set_value(2.5)
    next(b for b in at.form_submit_button if b.label == "Record").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("whole numbers" in e.value for e in at.error)
    assert values(db) == []
