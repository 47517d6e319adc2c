"""Measures outside the Measures page (AppTest): inside the outcome dialog, on the
Regions page and on My work, and the Measures page's Download / Upload values."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.models import MeasureValue

from .conftest import PASSWORD, make_user, texts
from .test_updates import open_dialog, sign_in

STAKEHOLDERS = "st-louis.adult-shelter.short.1.stakeholders"  # range 3-5, due 6/2020
STL_OUTCOME = "st-louis.adult-shelter.short.1"
KC_SURVIVORS = "kansas-city.survivors-served"
NAME = "Key stakeholders identified for the shelter working group"


def values(engine) -> list[MeasureValue]:
    with Session(engine) as session:
        return list(session.exec(select(MeasureValue).order_by(MeasureValue.id)).all())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def st_louis(at: AppTest) -> AppTest:
    """The Regions page of St. Louis, from wherever `at` is."""
    at.switch_page("pages/region.py").run()
    at.selectbox(key="region_page_pick").select("st-louis").run()
    assert texts(ok(at).title) == ["St. Louis"]
    return at


def lead_stl(db, new_app, page: str | None = None) -> AppTest:
    make_user(db, "lead-stl", region="st-louis")
    at = new_app().run()
    sign_in(at, "lead-stl", PASSWORD)
    if page:
        at.switch_page(page).run()
    return ok(at)


@pytest.mark.backends("sqlite", "postgresql")
def test_dialog_shows_the_outcomes_measures_with_state_and_chart(db, new_app):
    at = open_dialog(st_louis(new_app().run()), STL_OUTCOME)
    dialog = at.get("dialog")[0]
    shown = texts(dialog.markdown)
    assert "**Measures** · 1 off track" in shown
    assert f"**{NAME}** · St. Louis" in shown
    assert any(t.startswith(":material/error: **Off track** · no value") for t in shown)
    assert len(dialog.get("vega_lite_chart")) == 1
    assert not dialog.number_input  # a visitor records nothing


def test_lead_records_a_value_from_the_dialog(db, new_app):
    at = lead_stl(db, new_app)
    at = open_dialog(st_louis(at), STL_OUTCOME)
    dialog = at.get("dialog")[0]
    [value] = dialog.number_input
    value.set_value(4)
    next(b for b in dialog.button if b.label == "Record").click().run()
    ok(at)
    [entry] = values(db)
    assert (entry.measure_id, entry.value, entry.recorded_by) == (STAKEHOLDERS, 4.0, "lead-stl")


def test_region_page_lists_the_regions_measures_with_state(db, new_app):
    at = st_louis(new_app().run())
    [box] = [e for e in at.expander if e.label.startswith("Measures (")]
    assert not box.markdown  # drawn once opened (issue 15)
    at.session_state["region_measures_open"] = True  # what opening it sets
    [box] = [e for e in ok(at.run()).expander if e.label.startswith("Measures (")]
    assert box.label == "Measures (5)"
    assert "Measures: 3 off track · 1 no target · 1 no value yet" in texts(at.caption)
    names = [t for t in texts(box.markdown) if t.startswith("**")]
    assert len(names) == 5 and all(n.endswith("· St. Louis") for n in names)
    assert not box.get("vega_lite_chart")  # the Measures page draws the charts
    assert not box.number_input


def test_my_work_shows_the_leads_measures_with_a_record_form(db, new_app):
    at = lead_stl(db, new_app)
    assert texts(at.title) == ["My work"]
    assert "Your measures" in texts(at.subheader)
    [box] = [e for e in at.expander if e.label.startswith("Measures (")]
    assert box.label.startswith("Measures (5)")
    # their own: a Record form on each, drawn once opened
    assert [e.label for e in box.expander].count("Record a value") == 5
    at.session_state[f"my_work_measure_record_{STAKEHOLDERS}"] = True
    [box] = [e for e in ok(at.run()).expander if e.label.startswith("Measures (")]
    [number] = box.number_input
    number.set_value(3)
    next(b for b in box.button if b.label == "Record").click().run()
    ok(at)
    [entry] = values(db)
    assert (entry.measure_id, entry.value) == (STAKEHOLDERS, 3.0)
    [box] = [e for e in at.expander if e.label.startswith("Measures (")]
    assert any("latest 3 stakeholders" in t for t in texts(box.markdown))


def test_the_region_measures_stay_open_when_a_value_moves_their_counts(db, new_app):
    """Found in review: the listing's label held the states' counts, and an expander
    that tracks its state is a new widget when its label changes, so recording a
    value (which moves a count) closed the listing and hid the result."""
    at = lead_stl(db, new_app)
    at = st_louis(at)
    at.session_state["region_measures_open"] = True
    at.session_state[f"region_measure_record_{STAKEHOLDERS}"] = True
    [box] = [e for e in ok(at.run()).expander if e.label.startswith("Measures (")]
    before = [t for t in texts(at.caption) if t.startswith("Measures: ")]
    [number] = box.number_input
    number.set_value(4)
    next(b for b in box.button if b.label == "Record").click().run()
    ok(at)
    assert [t for t in texts(at.caption) if t.startswith("Measures: ")] != before  # moved
    [box] = [e for e in at.expander if e.label.startswith("Measures (")]
    assert any("latest 4 stakeholders" in t for t in texts(box.markdown))  # still open


def test_measures_page_offers_downloads_and_no_upload_to_visitors(db, new_app):
    at = ok(new_app("pages/measures.py").run())
    assert [b.label for b in at.get("download_button")][:2] == ["CSV", "Excel"]
    assert not [e for e in at.expander if e.label == "Upload values"]


def upload(at: AppTest, content: bytes) -> AppTest:
    at.file_uploader[0].set_value(("values.csv", content, "text/csv"))
    return ok(at.run())


def test_lead_uploads_values_with_a_preview_then_applies(db, new_app):
    at = lead_stl(db, new_app, "pages/measures.py")
    at = upload(at, f"measure_id,value,as_of\r\n{STAKEHOLDERS},4,2021-05-01\r\n".encode())
    assert values(db) == []  # the preview writes nothing
    assert "**What uploading values.csv would record**" in texts(at.markdown)
    apply = at.button(key="measure_values_apply_0")
    assert apply.label == "Apply"
    apply.click().run()
    ok(at)
    [entry] = values(db)
    assert (entry.measure_id, entry.value, entry.recorded_by) == (STAKEHOLDERS, 4.0, "lead-stl")
    assert any("recorded 1 new value" in t for t in texts(at.success))
    assert at.file_uploader[0].value is None  # a fresh uploader for the next file


def test_upload_with_a_bad_row_lists_it_and_offers_no_apply(db, new_app):
    at = lead_stl(db, new_app, "pages/measures.py")
    bad = (
        f"measure_id,value,as_of\r\n{STAKEHOLDERS},4,2021-05-01\r\n{KC_SURVIVORS},x,2030-01-01\r\n"
    )
    at = upload(at, bad.encode())
    assert any("1 row with problems; nothing was imported" in t for t in texts(at.error))
    frame = at.dataframe[0].value
    assert list(frame["Row"]) == ["3", "3", "3"]
    assert list(frame["Column"]) == ["measure_id", "value", "as_of"]
    assert not [b for b in at.button if b.key == "measure_values_apply_0"]
    assert values(db) == []
