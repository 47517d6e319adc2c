"""The admin page "Edit the plan" under AppTest: re-baseline with a preview, re-date
with the date captured when the form was rendered, edits, and admins only."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from streamlit.proto.SelectWidgetFilterMode_pb2 import SelectWidgetFilterMode

from core.models import LogicModel, Outcome, PlanChange
from core.plan import redating

from .conftest import make_user, texts

PAGE = "pages/plan_editor.py"
SOUTHWEST = 5  # index of the Southwest logic model in the report's order
SW_OUTCOME = "southwest.legal-services.short.1"  # "by 2/2020"


def due(engine, outcome_id: str = SW_OUTCOME) -> date:
    with Session(engine) as s:
        return s.get(Outcome, outcome_id).due_date


def changes(engine) -> list[PlanChange]:
    with Session(engine) as s:
        return list(s.exec(select(PlanChange).order_by(PlanChange.id)).all())


@pytest.fixture
def admin_app(db, new_app):
    admin = make_user(db, "admin", "admin")

    def make():
        at = new_app(PAGE, user_id=admin).run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return make


def test_page_renders_every_tab_for_admin(admin_app) -> None:
    at = admin_app()

    assert texts(at.title) == ["Edit the plan"]
    control = at.segmented_control(key="pe_section")
    assert [o.content for o in control.proto.options] == [
        "Re-baseline",
        "Re-date an outcome",
        "Edit",
        "Add",
        "Retire or restore",
        "Import",
        "Change log",
        "Backup",
    ]
    assert not at.error, texts(at.error)


def test_page_not_offered_to_a_lead(db, new_app) -> None:
    lead = make_user(db, "lead-sw", region="southwest")
    at = new_app(user_id=lead).run()

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_rebaseline_previews_then_moves_dates(db, admin_app) -> None:
    at = admin_app()
    at.selectbox(key="rb_lm").select_index(SOUTHWEST)
    at.date_input(key="rb_start").set_value(date(2025, 3, 1)).run()

    assert any("32 outcomes move 5 years, 8 months later" in m for m in texts(at.markdown))
    assert due(db) == date(2020, 2, 29), "the preview writes nothing"

    at.text_area(key="rb_reason").input("The workgroup formed in March 2025")
    at.button(key="rb_go").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.success) == ["Re-baselined 32 outcomes to start on 03/01/2025."]
    assert due(db) == date(2025, 10, 31)
    with Session(db) as s:
        assert s.get(LogicModel, "southwest").start_date == date(2025, 3, 1)
    assert len(changes(db)) == 33


def test_rebaseline_without_reason_is_refused(db, admin_app) -> None:
    at = admin_app()
    at.selectbox(key="rb_lm").select_index(SOUTHWEST)
    at.date_input(key="rb_start").set_value(date(2025, 3, 1)).run()
    at.button(key="rb_go").click().run()

    assert texts(at.error) == ["Give a reason for this change; it goes into the plan's history."]
    assert due(db) == date(2020, 2, 29)
    assert changes(db) == []


def open_section(at, section: str):
    at.segmented_control(key="pe_section").set_value(section).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _open_redate_form(at):
    open_section(at, "redate")
    at.selectbox(key="rd_lm").select_index(SOUTHWEST)
    at.run()
    strategies = at.selectbox(key="rd_strategy")
    legal = next(i for i, o in enumerate(strategies.options) if o.startswith("Legal"))
    strategies.select_index(legal).run()
    assert at.selectbox(key="rd_outcome").index == 0  # short term 1
    return at


def test_redate_saves_with_reason_and_shows_slip(db, admin_app) -> None:
    at = _open_redate_form(admin_app())
    form_date = next(d for d in at.date_input if d.label == "New due date")
    form_date.set_value(date(2020, 4, 30))
    at.text_area(key=f"rd_reason_{SW_OUTCOME}").input("Waiting on the grant")
    next(b for b in at.button if b.label == "Re-date").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.success) == ["Now due 04/30/2020."]
    assert due(db) == date(2020, 4, 30)
    assert any("slip +61 days · re-dated 1×" in c for c in texts(at.caption))


def test_redate_refused_when_someone_moved_it_after_the_form_opened(db, admin_app) -> None:
    at = _open_redate_form(admin_app())
    # another admin moves the date while this form is open
    with Session(db) as s:
        oc = s.get(Outcome, SW_OUTCOME)
        oc.due_date = date(2020, 6, 30)
        s.add(oc)
        s.commit()
    next(d for d in at.date_input if d.label == "New due date").set_value(date(2020, 4, 30))
    at.text_area(key=f"rd_reason_{SW_OUTCOME}").input("Waiting on the grant")
    next(b for b in at.button if b.label == "Re-date").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert any("Someone moved this outcome's due date" in e for e in texts(at.error))
    assert due(db) == date(2020, 6, 30), "the other admin's date is kept"
    assert changes(db) == []


def test_edit_outcome_text_is_logged(db, admin_app) -> None:
    at = open_section(admin_app(), "edit")
    at.radio(key="ed_kind").set_value("outcome")
    at.selectbox(key="ed_lm").select_index(SOUTHWEST)
    at.run()
    strategies = at.selectbox(key="ed_strategy")
    strategies.select_index(
        next(i for i, o in enumerate(strategies.options) if o.startswith("Legal"))
    ).run()
    next(t for t in at.text_area if t.label == "Outcome").input("A corrected sentence.")
    at.text_area(key=f"ed_reason_outcome_{SW_OUTCOME}").input("Typo in the report")
    next(b for b in at.button if b.label == "Save changes").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.success) == ["Saved the outcome."]
    log = changes(db)
    assert [(c.action, c.subject_id, c.after) for c in log] == [
        ("edited", SW_OUTCOME, {"text": "A corrected sentence."})
    ]
    assert log[0].changed_by == "admin" and log[0].reason == "Typo in the report"


def test_database_error_during_a_save_is_a_message_not_a_traceback(
    db, admin_app, monkeypatch
) -> None:
    """A save that fails in the database (here a disk I/O error) is shown as a message
    through the action runner; the form keeps what was typed and nothing is written."""

    def disk_fails(**_kwargs):
        raise OperationalError("x", {}, Exception("disk I/O error"))

    at = admin_app()
    at.selectbox(key="rb_lm").select_index(SOUTHWEST)
    at.date_input(key="rb_start").set_value(date(2025, 3, 1)).run()
    at.text_area(key="rb_reason").input("The workgroup formed in March 2025")
    monkeypatch.setattr(redating, "rebaseline", disk_fails)
    at.button(key="rb_go").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert len(at.error) == 1 and "disk I/O error" in texts(at.error)[0]
    assert not at.success
    assert at.text_area(key="rb_reason").value == "The workgroup formed in March 2025"
    assert due(db) == date(2020, 2, 29)
    assert changes(db) == []


def test_a_save_keeps_the_section_it_was_made_in(db, admin_app) -> None:
    """The rerun after a save shows the same section (kept in session state and the
    URL), not the first one."""
    at = _open_redate_form(admin_app())
    assert at.query_params["tab"] == "redate"
    next(d for d in at.date_input if d.label == "New due date").set_value(date(2020, 4, 30))
    at.text_area(key=f"rd_reason_{SW_OUTCOME}").input("Waiting on the grant")
    next(b for b in at.button if b.label == "Re-date").click().run()

    assert texts(at.success) == ["Now due 04/30/2020."]
    assert at.segmented_control(key="pe_section").value == "redate"
    assert at.query_params["tab"] == "redate"
    assert at.selectbox(key="rd_outcome").value == SW_OUTCOME
    assert not [b for b in at.button if b.key == "rb_go"], "the Re-baseline form is not shown"


def test_a_link_opens_its_section(db, new_app) -> None:
    admin = make_user(db, "admin", "admin")
    at = new_app(PAGE, user_id=admin)
    at.query_params["tab"] = "edit"
    at.run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.segmented_control(key="pe_section").value == "edit"
    assert at.radio(key="ed_kind").label == "What to edit"


def test_rebaseline_form_shows_the_new_start_and_offers_no_second_apply(db, admin_app) -> None:
    at = admin_app()
    at.selectbox(key="rb_lm").select_index(SOUTHWEST)
    at.date_input(key="rb_start").set_value(date(2025, 3, 1)).run()
    at.text_area(key="rb_reason").input("The workgroup formed in March 2025")
    at.button(key="rb_go").click().run()

    assert texts(at.success) == ["Re-baselined 32 outcomes to start on 03/01/2025."]
    assert at.selectbox(key="rb_lm").index == SOUTHWEST
    assert "Starts now on March 1, 2025." in texts(at.caption)
    assert at.date_input(key="rb_start").value == date(2025, 3, 1)
    assert at.text_area(key="rb_reason").value == ""
    assert not any("Preview" in m for m in texts(at.markdown)), "the old preview is gone"
    assert not [b for b in at.button if b.key == "rb_go"]
    assert texts(at.info) == ["Already starts on that date: nothing would move."]
    assert len(changes(db)) == 33


def test_outcome_picker_keeps_its_outcome_when_a_save_changes_its_words(db, admin_app) -> None:
    """The pickers are keyed by ids: re-dating the third outcome changes its label
    (its due date), and the picker still shows it, not the first outcome."""
    at = _open_redate_form(admin_app())
    at.selectbox(key="rd_outcome").select_index(2).run()
    third = "southwest.legal-services.short.3"
    next(d for d in at.date_input if d.label == "New due date").set_value(date(2020, 5, 31))
    at.text_area(key=f"rd_reason_{third}").input("Waiting on the grant")
    next(b for b in at.button if b.label == "Re-date").click().run()

    assert texts(at.success) == ["Now due 05/31/2020."]
    assert due(db, third) == date(2020, 5, 31)
    assert at.selectbox(key="rd_outcome").value == third
    assert any("due 05/31/2020" in o for o in at.selectbox(key="rd_outcome").options)


def test_pickers_filter_by_any_part_of_their_words(admin_app) -> None:
    """Typing in a picker matches any part of an item's words (the filter runs in the
    browser; a fuzzy match would also offer unrelated items)."""
    at = _open_redate_form(admin_app())
    for key in ("rd_lm", "rd_strategy", "rd_outcome"):
        assert (
            at.selectbox(key=key).proto.filter_mode == SelectWidgetFilterMode.FILTER_MODE_CONTAINS
        )
