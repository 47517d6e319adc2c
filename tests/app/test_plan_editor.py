"""The admin page "Edit the plan" under AppTest: re-baseline with a preview, re-date
with the date captured when the form was rendered, edits, and admins only."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

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
    assert [t.label for t in at.tabs] == [
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


def _open_redate_form(at):
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
    at = admin_app()
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
