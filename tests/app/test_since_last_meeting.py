"""The Since the last meeting page (AppTest): the window from the link (`?since=`,
`?meeting=`), the summary and sections, reasons for members only, saving a meeting
(leads and admins; not viewers), a bad link refused in words, and the empty state."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlmodel import Session, select

from core.models import Meeting, Status
from core.progress.notes import MEMBERS_ONLY

from .conftest import PASSWORD, SW_BLOCKED, SW_DONE, actor, by_label, make_user, record, texts
from .test_updates import sign_in

PAGE = "pages/since_last_meeting.py"
REASON = "Waiting for the county's answer."


def open_page(new_app, user: str | None = None, **params: str):
    at = new_app().run()
    if user is not None:
        sign_in(at, user, PASSWORD)
    at.switch_page(PAGE)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def meetings(engine) -> list[Meeting]:
    with Session(engine) as session:
        return list(session.exec(select(Meeting).order_by(Meeting.id)).all())


@pytest.mark.backends("sqlite", "postgresql")
def test_page_with_since_shows_the_summary_and_sections(history_db, new_app):
    at = open_page(new_app, since="2021-05-01")
    shown = texts(at.markdown)
    assert (
        "**Since Saturday, May 1, 2021: 1 outcome done, 1 blocked, 0 slipped, 0 comments, "
        "0 values recorded**" in shown
    )
    assert [s.value for s in at.main.subheader] == ["Newly done (1)", "Newly blocked (1)"]
    # a signed-out reader sees that there is a reason, not the reason
    assert not any(REASON in t for t in shown)
    assert any(MEMBERS_ONLY.capitalize() in t for t in shown)
    assert not [t for t in at.text_input if t.label == "Title"]  # no saving for visitors
    assert [b for b in at.button if b.key == "form_since_blocked_0"]


def test_members_read_the_blocked_reason_and_open_the_outcome(history_db, new_app):
    at = open_page(new_app, "admin", since="2021-05-01")
    assert any(REASON in t for t in texts(at.markdown))
    at.button(key="form_since_blocked_0").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["dialog_outcome"] == SW_BLOCKED


@pytest.mark.backends("sqlite", "postgresql")
def test_lead_saves_a_meeting_and_the_link_names_it(history_db, new_app):
    make_user(history_db.engine, "lead-sw", region="southwest")
    at = open_page(new_app, "lead-sw", since="2021-05-01")
    by_label(at.text_input, "Title").input("Leadership *meeting*")
    by_label(at.form_submit_button, "Save meeting").click().run()
    assert not at.exception, [e.message for e in at.exception]
    [saved] = meetings(history_db.engine)
    assert (str(saved.held_on), saved.title, saved.created_by) == (
        "2021-06-01",
        "Leadership *meeting*",
        "lead-sw",
    )
    assert at.query_params["meeting"] == str(saved.id)
    assert "since" not in at.query_params
    assert texts(at.info)[0].startswith("Nothing changed since Tuesday, June 1, 2021")


def test_a_duplicate_meeting_is_refused_with_a_message(history_db, new_app):
    make_user(history_db.engine, "lead-sw", region="southwest")
    at = open_page(new_app, "lead-sw")
    for _ in range(2):
        by_label(at.text_input, "Title").input("Board")
        by_label(at.form_submit_button, "Save meeting").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("already saved" in t for t in texts(at.error))
    assert len(meetings(history_db.engine)) == 1


def test_a_viewer_cannot_save_a_meeting(history_db, new_app):
    make_user(history_db.engine, "val", "viewer")
    at = open_page(new_app, "val", since="2021-05-01")
    assert not [t for t in at.text_input if t.label == "Title"]
    assert not [b for b in at.form_submit_button if b.label == "Save meeting"]


def test_meeting_in_the_link_picks_its_window(history_db, new_app):
    make_user(history_db.engine, "lead-sw", region="southwest")
    at = open_page(new_app, "lead-sw", since="2021-05-04")
    by_label(at.date_input, "Held on").set_value("2021-05-04")
    by_label(at.text_input, "Title").input("Leadership")
    by_label(at.form_submit_button, "Save meeting").click().run()
    [saved] = meetings(history_db.engine)
    fresh = open_page(new_app, meeting=str(saved.id))
    assert "**Since Tuesday, May 4, 2021: 0 outcomes done, 1 blocked" in texts(fresh.markdown)[0]
    assert by_label(fresh.selectbox, "Meeting").value == saved.id


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2021-07-01"}, "in the future"),
        ({"since": "soon"}, "not a date"),
        ({"meeting": "999"}, "no saved meeting #999"),
    ],
)
def test_a_bad_link_is_explained_and_a_window_shown(history_db, new_app, params, message):
    at = open_page(new_app, **params)
    [warning] = texts(at.warning)
    assert message in warning
    assert "Showing changes since Tuesday, May 18, 2021" in warning  # two weeks


def test_nothing_changed_in_plain_words(history_db, new_app):
    at = open_page(new_app, since="2021-06-01")
    assert texts(at.info)[0].startswith("Nothing changed since Tuesday, June 1, 2021:")
    assert not at.main.subheader


def test_picking_a_date_writes_the_link(history_db, new_app):
    at = open_page(new_app, since="2021-05-01")
    by_label(at.date_input, "Changes since").set_value("2021-05-04").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.query_params["since"] == "2021-05-04"
    assert "0 outcomes done, 1 blocked" in texts(at.markdown)[0]


def test_typed_text_is_shown_literally(history_db, new_app):
    admin = actor(history_db.engine, history_db.admin_id)
    note = "**Urgent**: see [the minutes](http://example.org) <b>now</b>"
    record(history_db.engine, admin, SW_DONE, Status.BLOCKED.value, note, day=20)
    at = open_page(new_app, "admin", since="2021-05-15")
    [body] = [str(m.value) for m in at.markdown if "Urgent" in str(m.value)]
    assert "\\*\\*Urgent\\*\\*" in body and "\\[the minutes\\]" in body and "\\<b\\>" in body
    assert note in texts([m for m in at.markdown if "Urgent" in str(m.value)])[0]


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The deferred report builder of each st.download_button, by key."""
    found: dict[str, object] = {}
    real = st.download_button

    def spy(label, data, *args, **kwargs):
        found[kwargs.get("key", "")] = data
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    return found


def test_the_report_from_this_page_has_the_since_section(history_db, new_app, builds):
    open_page(new_app, since="2021-05-01")
    html = builds["since_report_download"]()
    assert "<h2>Since May 1, 2021</h2>" in html
    assert REASON not in html  # signed out: the reason is for members


def test_the_overview_report_offers_a_since_date(history_db, new_app, builds):
    at = new_app().run()
    assert "<h2>Since " not in builds["report_download"]()
    at.toggle(key="report_since_on").set_value(True).run()
    at.date_input(key="report_since").set_value("2021-05-01").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "<h2>Since May 1, 2021</h2>" in builds["report_download"]()


def test_an_admin_removes_a_saved_meeting(history_db, new_app):
    at = open_page(new_app, "admin")
    by_label(at.text_input, "Title").input("Board")
    by_label(at.form_submit_button, "Save meeting").click().run()
    assert len(meetings(history_db.engine)) == 1
    by_label(at.button, "Remove this saved meeting").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert meetings(history_db.engine) == []
    assert "meeting" not in at.query_params
