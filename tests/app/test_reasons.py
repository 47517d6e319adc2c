"""Issue 14 item 5: a Blocked outcome's standing reason is on its card (for members;
an unpublished one not for signed-out readers), and marking it Done asks for a note."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.models import Status

from .conftest import SW_BLOCKED, History, status_of, texts

REASON = "Waiting for the county's answer."


def southwest(new_app, **state) -> AppTest:
    at = new_app("pages/region.py", **state).run()
    at.selectbox(key="region_page_pick").select("southwest").run()
    assert at.title[0].value == "Southwest"
    assert not at.exception, [e.message for e in at.exception]
    return at


def cards(at: AppTest) -> str:
    return "\n".join(texts(at.markdown))


def test_a_members_card_shows_the_blocked_reason(history_db: History, new_app):
    at = southwest(new_app, user_id=history_db.admin_id)
    assert f"**Blocked because:** {REASON}" in cards(at)


def test_a_signed_out_card_shows_no_unpublished_reason(history_db: History, new_app):
    at = southwest(new_app)
    assert REASON not in cards(at)
    assert "**Blocked because:** (note for members)" in cards(at)


def test_done_from_blocked_asks_for_a_note(history_db: History, new_app):
    at = southwest(new_app, user_id=history_db.admin_id)
    at.button(key=f"done_{SW_BLOCKED}").click().run()
    assert not at.exception
    assert "needs a note" in " ".join(texts(at.error))
    assert status_of(history_db.engine, SW_BLOCKED) == Status.BLOCKED.value
    at.text_area(key=f"done_note_{SW_BLOCKED}").input("The county answered.").run()
    at.button(key=f"done_{SW_BLOCKED}").click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert status_of(history_db.engine, SW_BLOCKED) == Status.DONE.value
    assert "Marked done." in texts(at.toast)
