"""Issue 11: a refusal is shown once, on the page where it happened (item 14); the
dialog's Undo draws nothing from its callback and keeps the standing reason (item 17);
table ticks stay on their outcomes when the rows change (item 18)."""

from __future__ import annotations

import pytest
from streamlit import delta_generator
from streamlit.runtime.state.session_state import SessionState
from streamlit.testing.v1 import AppTest

from core.models import Status
from core.store.db import DatabaseUnavailable
from ui import actions, data, selection

from .conftest import SW_DONE, by_label, make_user, status_of, texts

OUTCOME = "southwest.legal-services.short.2"
REASON = "Waiting for the county's answer."
DOWN = "The database cannot be reached right now; try again in a minute."


@pytest.fixture
def lead_sw(db) -> int:
    return make_user(db, "lead-sw", region="southwest")


def region_page(new_app, user_id: int) -> AppTest:
    at = new_app("pages/region.py", user_id=user_id).run()
    at.selectbox(key="region_page_pick").select("southwest").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture
def drawn_in_callbacks(monkeypatch) -> list[str]:
    """Every element a widget callback draws. In a dialog (a fragment) that blanks the
    whole app in the browser ('setIn' cannot be called on an ElementNode); AppTest does
    not rerun fragments alone, so the rule is checked for every callback."""
    drawn: list[str] = []
    inside = [False]
    call = SessionState._call_callbacks

    def calling(self, **kwargs):
        inside[0] = True
        try:
            return call(self, **kwargs)
        finally:
            inside[0] = False

    def warn() -> None:
        if inside[0]:
            drawn.append("element")

    monkeypatch.setattr(SessionState, "_call_callbacks", calling)
    monkeypatch.setattr(delta_generator, "_maybe_print_fragment_callback_warning", warn)
    return drawn


# --- item 14 -----------------------------------------------------------------------


def test_refusal_of_a_run_that_stopped_early_is_not_shown_later(lead_sw, new_app, monkeypatch):
    """Done is clicked while the database is down: the save is refused and the page
    stops at the database message. Once it is back, the next page is clean."""
    at = region_page(new_app, lead_sw)
    down = DatabaseUnavailable(DOWN)

    def unreachable() -> None:
        raise down

    with monkeypatch.context() as patch:
        patch.setattr(actions, "run", lambda action: actions.Result(error=down))
        patch.setattr(data, "refresh", unreachable)
        at.button(key=f"done_{SW_DONE}").click().run()
        assert texts(at.error) == [DOWN]  # dashboard.py's message, the page stopped
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, texts(at.error)
    at.switch_page("pages/plan_browser.py").run()
    assert not at.error, texts(at.error)


def test_refusal_is_shown_once_on_the_page_of_the_click(lead_sw, db, new_app, monkeypatch):
    at = region_page(new_app, lead_sw)
    refused = actions.Result(error=actions.TrackerError("You can update outcomes of Central only."))
    with monkeypatch.context() as patch:
        patch.setattr(actions, "run", lambda action: refused)
        at.button(key=f"done_{SW_DONE}").click().run()
    assert texts(at.error) == ["You can update outcomes of Central only."]
    at.run()
    assert not at.error, texts(at.error)


# --- item 17 -----------------------------------------------------------------------


def test_dialog_undo_draws_nothing_in_its_callback_and_keeps_the_reason(
    lead_sw, db, new_app, drawn_in_callbacks
):
    at = region_page(new_app, lead_sw)
    at.button(key=f"form_{OUTCOME}").click().run()
    save(at, Status.BLOCKED.value, REASON)
    at.button(key=f"form_{OUTCOME}").click().run()
    save(at, Status.IN_PROGRESS.value, "The county answered.")
    at.button(key=f"form_{OUTCOME}").click().run()
    drawn_in_callbacks.clear()

    by_label(at.button, "Undo this update").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert drawn_in_callbacks == []
    assert not at.error, texts(at.error)
    assert "Update undone." in texts(at.toast)
    assert status_of(db, OUTCOME) == Status.BLOCKED.value
    assert at.session_state["dialog_outcome"] == OUTCOME  # still open, showing the undo
    at.switch_page("pages/plan_browser.py").run()
    [table] = at.dataframe
    notes = dict(zip(table.value["text"], table.value["last_note"], strict=False))
    assert REASON in notes.values()
    assert not any(str(n).startswith("Undo of update") for n in notes.values())


def test_done_button_callback_draws_nothing(lead_sw, new_app, drawn_in_callbacks):
    at = region_page(new_app, lead_sw)
    at.button(key=f"done_{SW_DONE}").click().run()
    assert drawn_in_callbacks == []
    assert "Marked done." in texts(at.toast)


def save(at: AppTest, status: str, note: str) -> None:
    at.selectbox(key=f"uf_status_{OUTCOME}").select(status)
    at.text_area(key=f"uf_note_{OUTCOME}").input(note)
    by_label(at.form_submit_button, "Save").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, texts(at.error)


# --- item 18 -----------------------------------------------------------------------


def test_ticks_are_read_against_the_rows_as_rendered():
    rendered = ["sw.minor-shelter.long.3", "sw.minor-shelter.short.1", "sw.x.short.2"]
    assert selection.selected_ids([0, 2, 9], rendered) == [rendered[0], rendered[2]]


def test_ticks_follow_their_outcomes_when_the_rows_change():
    ticked = ["sw.minor-shelter.long.3"]
    now = ["sw.minor-shelter.short.1", "sw.other.short.1", "sw.minor-shelter.long.3"]
    assert selection.remap(ticked, now) == [2]
    assert selection.remap(ticked, ["sw.minor-shelter.short.1"]) == []  # no longer shown


def test_bulk_form_names_the_outcomes_it_will_change(db, new_app):
    admin = make_user(db, "admin", "admin")
    at = new_app("pages/overdue.py", user_id=admin).run()
    state = at.session_state["_selection_overdue_table"]
    first = state.rendered[0]
    at.session_state["overdue_table_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    name = f"{first['region']} · {first['strategy']} · {first['term']} term"
    assert any(c.startswith(f"Selected: {name}") for c in texts(at.caption)), texts(at.caption)
    at.session_state["overdue_table_0"] = {
        "selection": {"rows": [0, 1], "columns": [], "cells": []}
    }
    at.run()
    names = [selection_name(r) for r in state.rendered[:2]]
    listing = [m for m in texts(at.markdown) if m.startswith("- ")]
    assert listing == ["\n".join(f"- {n}" for n in names)], listing


def test_tick_stays_on_its_outcome_when_a_filter_changes_the_rows(db, new_app):
    """The issue's case: tick a row on Overdue, narrow the sidebar to its region; the
    tick, the name shown and Done all stay on that outcome."""
    admin = make_user(db, "admin", "admin")
    at = new_app("pages/overdue.py", user_id=admin).run()
    rows = at.session_state["_selection_overdue_table"].rendered
    position, ticked = next(
        (i, r) for i, r in enumerate(rows) if r["region_id"] == "southwest" and i > 0
    )
    at.session_state["overdue_table_0"] = {
        "selection": {"rows": [position], "columns": [], "cells": []}
    }
    at.run()
    by_label(at.sidebar.multiselect, "Region").set_value(["southwest"]).run()
    at.run()  # any later rerun (a click elsewhere) reads the ticks again
    assert not at.exception, [e.message for e in at.exception]

    now = at.session_state["_selection_overdue_table"].rendered
    assert now[position]["outcome_id"] != ticked["outcome_id"]  # the rows did move
    name = selection_name(ticked)
    assert any(c.startswith(f"Selected: {name}") for c in texts(at.caption)), texts(at.caption)
    at.button(key="done_overdue_one").click().run()
    assert status_of(db, ticked["outcome_id"]) == Status.DONE.value
    assert status_of(db, now[position]["outcome_id"]) != Status.DONE.value


def selection_name(row: dict) -> str:
    number = f" {row['number']}" if row.get("number") else ""
    return f"{row['region']} · {row['strategy']} · {row['term']} term{number}"


def test_a_save_holds_one_database_connection(lead_sw, one_connection, new_app) -> None:
    """bench/capacity.py, 50 and 100 sessions: a save held its write transaction's
    connection while `auth.actor(fresh=True)` read the lead on a second one; with the
    pool (15 connections) held by saves waiting for SQLite's write lock, the writer
    holding that lock waited for a connection, and the server stalled for the pool's
    30 s. On a one-connection pool, the save must go through."""
    at = region_page(new_app, lead_sw)
    at.button(key=f"done_{OUTCOME}").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert DOWN not in texts(at.error), texts(at.error)
    assert status_of(one_connection, OUTCOME) == Status.DONE.value


def test_a_cookie_sign_in_records_its_last_use_on_one_connection(
    lead_sw, db, one_connection, new_app, monkeypatch
) -> None:
    """A run signed in by the session cookie read the session on one connection and,
    inside that read, recorded its last use on a second: on a loaded pool, every run
    of a tab signed in by cookie could wait for the pool (review of the stall above).
    On a one-connection pool, the run signs the lead in and records the last use."""
    from datetime import timedelta

    from core.models import User
    from core.people import sessions
    from core.store.db import write_session
    from ui import browser_session

    with write_session(db) as session:
        token = sessions.create_session(
            session=session, user=session.get(User, lead_sw), user_agent="test"
        )
        record = sessions._record(session, token)
        record.last_seen_at = record.last_seen_at - timedelta(hours=1)
        before = record.last_seen_at
        session.add(record)
    cookies = {browser_session.routes.SESSION_COOKIE: token}
    monkeypatch.setattr(browser_session, "cookie", cookies.get)
    at = new_app().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(b.label == "Sign out" for b in at.sidebar.button)
    with write_session(db) as session:
        assert sessions._record(session, token).last_seen_at > before
