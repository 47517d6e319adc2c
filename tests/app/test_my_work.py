"""My work (AppTest): a lead signs in and lands on it, sees the groups and counts of
their own region, checks in and marks done; the sidebar starts on their scope; a
viewer has no My work; an admin who leads nothing is told so."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from core.progress import my_work
from core.progress.my_work import Group, LeadScope
from core.progress.schedule import freshness_days
from ui.panels.my_work import CARDS_MAX

from .conftest import (
    PASSWORD,
    TODAY,
    by_label,
    history_rows,
    make_user,
    status_of,
    texts,
)
from .test_updates import sign_in

SW = LeadScope(region_ids=("southwest",))


@pytest.fixture
def lead_sw(db) -> int:
    return make_user(db, "lead-sw", region="southwest")


def expected_groups(engine) -> dict[Group, list[dict]]:
    day = date.fromisoformat(TODAY)
    with Session(engine) as session:
        return my_work.grouped(my_work.scope_rows(session, SW, day, members=True), day)


def signed_in_lead(new_app) -> AppTest:
    at = new_app().run()
    sign_in(at, "lead-sw", PASSWORD)
    assert not at.exception, [e.message for e in at.exception]
    return at


def card_ids(at: AppTest, prefix: str) -> list[str]:
    return [b.key.removeprefix(prefix) for b in at.button if b.key and b.key.startswith(prefix)]


@pytest.mark.backends("sqlite", "postgresql")
def test_lead_lands_on_my_work_with_their_groups_and_counts(lead_sw, db, new_app):
    at = signed_in_lead(new_app)

    assert texts(at.title) == ["My work"]
    groups = expected_groups(db)
    line = my_work.counts_line(my_work.counts(groups))
    assert line and f"**{line}**" in [m.value for m in at.markdown]
    assert "overdue" in line
    headers = texts(at.subheader)
    for group in (Group.OVERDUE, Group.DUE, Group.BLOCKED, Group.STALE):
        if groups[group]:
            assert f"{group.value} ({len(groups[group]):,})" in headers
    # Their region only: every card is a Southwest outcome, and every one is there.
    shown = card_ids(at, "form_")
    assert shown and all(i.startswith("southwest.") for i in shown)
    wanted = [r["outcome_id"] for g in Group for r in groups[g][:CARDS_MAX]]
    assert sorted(shown) == sorted(wanted)
    # The sidebar starts on their scope, and they can widen it.
    assert at.session_state["f_region"] == ["southwest"]
    at.sidebar.multiselect(key="f_region").set_value([]).run()
    assert at.session_state["f_region"] == []
    at.run()
    assert at.session_state["f_region"] == []  # once: not set again


@pytest.mark.backends("sqlite", "postgresql")
def test_check_in_keeps_the_status_and_refreshes_freshness(lead_sw, db, new_app):
    at = signed_in_lead(new_app)
    outcome_id = expected_groups(db)[Group.STALE][0]["outcome_id"]
    before = status_of(db, outcome_id)

    at.text_input(key=f"check_in_note_{outcome_id}").input("On track; met on Monday")
    at.button(key=f"check_in_{outcome_id}").click().run()

    assert not at.exception and not at.error, [e.value for e in at.error]
    (entry,) = history_rows(db, outcome_id)
    assert (entry.old_status, entry.new_status) == (before, before)
    assert entry.note == "On track; met on Monday" and entry.changed_by == "lead-sw"
    assert status_of(db, outcome_id) == before
    assert freshness_days(entry.changed_at, date.fromisoformat(TODAY)) == 0
    assert "Checked in." in [t.value for t in at.toast]
    assert at.text_input(key=f"check_in_note_{outcome_id}").value == ""
    # No longer stale: it moved out of that group.
    assert outcome_id not in [r["outcome_id"] for r in expected_groups(db)[Group.STALE]]

    at.button(key=f"check_in_{outcome_id}").click().run()  # again, without a note
    assert len(history_rows(db, outcome_id)) == 2
    assert history_rows(db, outcome_id)[-1].note == ""


@pytest.mark.backends("sqlite", "postgresql")
def test_done_from_my_work(lead_sw, db, new_app):
    at = signed_in_lead(new_app)
    outcome_id = expected_groups(db)[Group.OVERDUE][0]["outcome_id"]

    at.button(key=f"done_{outcome_id}").click().run()

    assert not at.exception and not at.error
    assert status_of(db, outcome_id) == "Done"
    assert len(history_rows(db, outcome_id)) == 1
    assert f"check_in_{outcome_id}" not in [b.key for b in at.button]  # closed now


def test_a_stale_check_in_is_refused_with_a_message(lead_sw, db, new_app):
    at = signed_in_lead(new_app)
    outcome_id = expected_groups(db)[Group.STALE][0]["outcome_id"]
    from .conftest import actor, record

    record(db, actor(db, lead_sw), outcome_id, "In progress", day=20)  # another session
    at.button(key=f"check_in_{outcome_id}").click().run()

    assert not at.exception
    assert any("after you opened the form" in e for e in texts(at.error))
    assert len(history_rows(db, outcome_id)) == 1


def test_a_viewer_has_no_my_work(db, new_app):
    make_user(db, "viewer", "viewer")
    at = new_app().run()
    sign_in(at, "viewer", PASSWORD)

    assert texts(at.title) == ["Statewide progress"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/my_work.py")
    assert "f_region" not in at.session_state or at.session_state["f_region"] == []


def test_an_admin_who_leads_nothing_is_told_so(db, new_app):
    make_user(db, "admin", "admin")
    at = new_app().run()
    sign_in(at, "admin", PASSWORD)
    assert texts(at.title) == ["Statewide progress"]  # the Overview stays their home

    at.switch_page("pages/my_work.py").run()

    assert not at.exception
    assert texts(at.title) == ["My work"]
    assert any("do not lead any region" in i for i in texts(at.info))
    assert [p.label for p in at.get("page_link")] == ["Go to the Overview"]


def test_a_link_with_filters_keeps_them_at_sign_in(lead_sw, new_app):
    at = new_app()
    at.query_params["region"] = "st-louis"
    at.run()
    sign_in(at, "lead-sw", PASSWORD)

    by_label(at.sidebar.button, "Sign out")  # signed in
    assert texts(at.title) == ["My work"]
    # The page switch at sign-in keeps the filters, in the state and in the link.
    assert at.session_state["f_region"] == ["st-louis"]
    assert at.query_params["region"] == "st-louis"


def test_a_lead_signing_in_elsewhere_stays_there(lead_sw, new_app):
    at = new_app("pages/timeline.py").run()
    sign_in(at, "lead-sw", PASSWORD)
    assert texts(at.title) != ["My work"]
