"""Issue 14 item 5 in the tables: the Overdue & due soon and Plan browser tables show a
Blocked outcome's standing reason as a column (for members; for a signed-out reader
only once published), and the Plan browser shows days overdue only for what is late."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.models import StatusUpdate
from core.progress import notes
from core.store.db import write_session
from ui import components, screen

from .conftest import SW_BLOCKED, History, actor, texts

REASON = "Waiting for the county's answer."
TABLE_PAGES = ["pages/overdue.py", "pages/plan_browser.py"]


def tables(at: AppTest) -> pd.DataFrame:
    assert not at.exception, [e.message for e in at.exception]
    frames = [t.value for t in at.dataframe if "blocked_reason" in t.value.columns]
    assert frames, [list(t.value.columns) for t in at.dataframe]
    return pd.concat(frames)


def reason_of(frame: pd.DataFrame, outcome_text: str) -> str:
    return frame.loc[frame["text"] == outcome_text, "blocked_reason"].iloc[0]


def blocked_text(history_db: History, new_app) -> str:
    at = new_app("pages/plan_browser.py", user_id=history_db.admin_id).run()
    frame = tables(at)
    blocked = frame[frame["status"] == "Blocked"]
    assert len(blocked) == 1, blocked
    return blocked["text"].iloc[0]


def publish_reason(history_db: History) -> None:
    boss = actor(history_db.engine, history_db.admin_id)
    with write_session(history_db.engine) as session:
        entry = session.exec(
            select(StatusUpdate).where(StatusUpdate.outcome_id == SW_BLOCKED)
        ).one()
        notes.publish_note(session=session, actor=boss, status_update_id=entry.id)


@pytest.mark.parametrize("page", TABLE_PAGES)
def test_a_member_reads_the_blocked_reason_in_the_table(history_db: History, new_app, page):
    text = blocked_text(history_db, new_app)
    at = new_app(page, user_id=history_db.admin_id).run()
    frame = tables(at)

    assert reason_of(frame, text) == REASON
    # Only Blocked outcomes have a reason.
    assert (frame.loc[frame["status"] != "Blocked", "blocked_reason"] == "").all()


@pytest.mark.backends("sqlite", "postgresql")
@pytest.mark.parametrize("page", TABLE_PAGES)
def test_a_signed_out_table_hides_an_unpublished_reason(history_db: History, new_app, page):
    text = blocked_text(history_db, new_app)
    at = new_app(page).run()
    frame = tables(at)

    assert reason_of(frame, text) == "(note for members)"
    assert not frame.astype(str).apply(lambda c: c.str.contains(REASON, regex=False)).any().any()


@pytest.mark.backends("sqlite", "postgresql")
@pytest.mark.parametrize("page", TABLE_PAGES)
def test_a_signed_out_table_shows_a_published_reason(history_db: History, new_app, page):
    text = blocked_text(history_db, new_app)
    publish_reason(history_db)
    at = new_app(page).run()

    assert reason_of(tables(at), text) == REASON


def test_the_plan_browser_shows_schedule_latest_note_and_days_overdue(history_db: History, new_app):
    at = new_app("pages/plan_browser.py", user_id=history_db.admin_id).run()
    frame = tables(at)

    assert {"schedule", "last_note", "days_overdue"} <= set(frame.columns)
    late = frame["schedule"] == "Overdue"
    assert late.any() and (frame.loc[late, "days_overdue"] > 0).all()
    assert frame.loc[~late, "days_overdue"].isna().all()


def cards(at: AppTest) -> str:
    """A phone's card list."""
    return "\n".join(texts(at.markdown))


def card_count(at: AppTest, key: str = "browser") -> int:
    return len([b for b in at.button if (b.key or "").startswith(f"form_card_{key}_")])


@pytest.fixture
def phone(monkeypatch):
    """The reader's browser is a phone (ui/screen.py: its cookie or user agent)."""
    monkeypatch.setattr(screen, "narrow", lambda: True)


def test_the_phone_cards_keep_the_privacy_rule(history_db: History, new_app, monkeypatch):
    text = blocked_text(history_db, new_app)
    monkeypatch.setattr(screen, "narrow", lambda: True)
    monkeypatch.setattr(components, "CARD_ROWS", components.TABLE_ROWS)  # every outcome
    member = cards(new_app("pages/plan_browser.py", user_id=history_db.admin_id).run())
    visitor = cards(new_app("pages/plan_browser.py").run())

    assert f"Blocked because: {REASON}" in member.replace("**", "")
    assert text in visitor and REASON not in visitor


def test_the_phone_cards_show_a_page_at_a_time(db, new_app, monkeypatch):
    """The card list starts at CARD_ROWS outcomes; each "Show more" adds as many, of
    all the rows the table would show."""
    total = len(tables(new_app("pages/plan_browser.py").run()))
    assert total > 2 * components.CARD_ROWS
    monkeypatch.setattr(screen, "narrow", lambda: True)
    at = new_app("pages/plan_browser.py").run()

    assert card_count(at) == components.CARD_ROWS
    more = at.button(key="cards_more_browser")
    assert more.label == f"Show {components.CARD_ROWS} more"
    assert f"{components.CARD_ROWS} of {total:,} shown." in [c.value for c in at.caption]

    at = more.click().run()
    assert card_count(at) == 2 * components.CARD_ROWS


@pytest.mark.parametrize(
    ("page", "key"), [("pages/overdue.py", "overdue"), ("pages/plan_browser.py", "browser")]
)
def test_a_wide_screen_gets_the_table_and_no_cards(history_db: History, new_app, page, key):
    """Only one layout is drawn: the cards were drawn (and hidden) on every screen,
    three elements an outcome for every reader."""
    at = new_app(page, user_id=history_db.admin_id).run()

    assert len(tables(at)) > 0
    assert card_count(at, key) == 0
    assert not [b for b in at.button if (b.key or "").startswith("cards_more_")]


@pytest.mark.parametrize(
    ("page", "key"), [("pages/overdue.py", "overdue"), ("pages/plan_browser.py", "browser")]
)
def test_a_phone_gets_the_cards_and_no_table(history_db: History, new_app, page, key, phone):
    at = new_app(page, user_id=history_db.admin_id).run()

    assert not at.exception, [e.message for e in at.exception]
    assert card_count(at, key) > 0
    assert not [t for t in at.dataframe if "blocked_reason" in t.value.columns]
