"""The Measures page (AppTest): every measure with its chart and state, grouped by
RBA category, the shared filters, and a lead recording and undoing a value in scope."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from core.models import Measure, MeasureValue, TargetKind

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
    # A Record form on each of the St. Louis measures only, drawn once opened
    assert [e.label for e in at.expander].count("Record a value") == 5
    assert not at.number_input
    at.session_state[f"measure_record_{STAKEHOLDERS}"] = True  # what opening it sets
    at.run()
    [number] = at.number_input
    number.set_value(4)
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
    at.session_state[f"measure_record_{STAKEHOLDERS}"] = True
    at.run()
    at.number_input[0].set_value(2.5)
    next(b for b in at.form_submit_button if b.label == "Record").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("whole numbers" in e.value for e in at.error)
    assert values(db) == []


OFF_TRACK = range(40, 45)  # due in 2020 with no value: off track; the rest not yet due


def sixty_measures(engine) -> None:
    """The plan's measures retired and 60 of Central's own in their place, all "how
    much"; five late in the plan's order are off track."""
    with Session(engine) as session:
        for measure in session.exec(select(Measure)).all():
            measure.retired = True
            session.add(measure)
        for n in range(60):
            session.add(
                Measure(
                    id=f"central.bench-{n:02d}",
                    region_id="central",
                    name=f"Measure {n:02d}",
                    unit="people",
                    target_kind=TargetKind.AT_LEAST,
                    target_min=10,
                    target_by=date(2020, 1, 1) if n in OFF_TRACK else date(2030, 1, 1),
                    position=1000 + n,
                )
            )
        session.commit()


def card_names(at) -> list[str]:
    return [t.split("**")[1] for t in texts(at.markdown) if t.startswith("**Measure ")]


def showing(at) -> list[str]:
    return [t for t in texts(at.caption) if t.startswith("Showing ") and " measures; " in t]


def test_measures_page_draws_a_page_of_cards_at_a_time(db, new_app):
    sixty_measures(db)
    at = new_app(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.get("vega_lite_chart")) <= 25  # the old page drew all 60
    assert showing(at) == ["Showing 1–25 of 60 measures; narrow with the filters or the search."]
    assert len(card_names(at)) == 25
    assert at.number_input(key="measures_page").label == "Page (of 3)"
    at.number_input(key="measures_page").set_value(3).run()
    assert not at.exception, [e.message for e in at.exception]
    assert showing(at) == ["Showing 51–60 of 60 measures; narrow with the filters or the search."]
    assert len(card_names(at)) == len(at.get("vega_lite_chart")) == 10
    assert at.query_params["mpage"] == "3"


def test_measures_page_puts_off_track_measures_first(db, new_app):
    sixty_measures(db)
    at = new_app(PAGE).run()
    assert "**5 off track · 55 no value yet**" in texts(at.markdown)
    names = card_names(at)
    assert names[:5] == [f"Measure {n}" for n in OFF_TRACK]
    assert names[5:8] == ["Measure 00", "Measure 01", "Measure 02"]  # then the plan's order
    at.segmented_control(key="measures_order").set_value("Name").run()
    assert card_names(at)[:3] == ["Measure 00", "Measure 01", "Measure 02"]


def test_measures_search_narrows_and_goes_back_to_the_first_page(db, new_app):
    sixty_measures(db)
    at = new_app(PAGE).run()
    at.number_input(key="measures_page").set_value(2).run()
    at.text_input(key="measures_search").input("BENCH-1").run()  # the ids central.bench-1x
    assert not at.exception, [e.message for e in at.exception]
    assert card_names(at) == [f"Measure {n}" for n in range(10, 20)]
    assert showing(at) == ["Showing 1–10 of 10 measures; narrow with the filters or the search."]
    assert not at.number_input  # one page: no pager
    at.text_input(key="measures_search").input("nothing like it").run()
    assert "No measure matches this search." in texts(at.info)


def test_measures_page_opens_on_the_page_in_the_url(db, new_app):
    sixty_measures(db)
    at = new_app(PAGE)
    at.query_params["mpage"] = "2"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert showing(at)[0].startswith("Showing 26–50 of 60")
    at = new_app(PAGE)
    at.query_params["mpage"] = "99"  # past the last page: the last one
    at.run()
    assert showing(at)[0].startswith("Showing 51–60 of 60")
