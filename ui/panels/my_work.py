"""My work: the signed-in person's outcomes (their assigned regions and strategies)
grouped by what needs them now (core/progress/my_work.py), the counts at the top, and
each outcome's Done, Update and Check in controls."""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlmodel import Session

from core.models import Status
from core.people.permissions import Actor
from core.progress import my_work
from core.progress.my_work import Group, LeadScope
from ui import auth, components, data, updates
from ui.panels import digest, outcome_measures
from ui.text import md

# A group shows at most this many outcomes; the Regions page shows the rest.
CARDS_MAX = 50
OVERVIEW = "pages/overview.py"
GROUP_HELP = {
    Group.OVERDUE: "Past due and neither done nor dropped, most overdue first.",
    Group.DUE: "Open and due within 30 days, soonest first.",
    Group.BLOCKED: "Blocked and not overdue or due soon.",
    Group.STALE: "Open outcomes with no update for 30 days or more (or never), oldest first.",
}


def has_page(me: Actor) -> bool:
    """Leads and admins get My work; viewers and visitors do not."""
    return me.is_lead or me.is_admin


def scope(me: Actor) -> LeadScope:
    """What `me` leads, read from their assignments (one small query per run, so an
    assignment made meanwhile shows at once)."""
    if not me.signed_in:
        return LeadScope()
    with Session(data.engine()) as session:
        return my_work.lead_scope(session, me.user_id)


def is_home(me: Actor) -> bool:
    """My work is the default page of a lead, and of an admin who leads something."""
    return me.is_lead or (me.is_admin and not scope(me).empty)


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _rows(
    stamp_: tuple, region_ids: tuple, strategy_ids: tuple, day: date, members: bool
) -> list[dict]:
    with Session(data.engine()) as session:
        rows = my_work.scope_rows(
            session, LeadScope(region_ids, strategy_ids), day, members=members
        )
    for row in rows:
        if row["last_note_hidden"]:
            row["last_note"] = data.MEMBERS_ONLY_TEXT
    return rows


def rows(lead: LeadScope) -> list[dict]:
    return _rows(data.stamp(), lead.region_ids, lead.strategy_ids, data.today(), data.members())


def draw() -> None:
    """The page: who it is for, the counts, then each group's outcomes."""
    me = auth.actor()
    if not has_page(me):
        components.empty_state("My work is for workgroup leads and admins.")
        return
    lead = scope(me)
    if lead.empty:
        _nothing_led(me)
        return
    found = rows(lead)
    st.caption(f"Your outcomes: {md(_scope_words(found))} · today is {data.today():%B %-d, %Y}.")
    groups = my_work.grouped(found, data.today())
    line = my_work.counts_line(my_work.counts(groups))
    if line:
        st.markdown(f"**{line}**")
    else:
        st.success(
            "Nothing needs you now: nothing is overdue, due in the next 30 days, "
            "blocked or without an update for 30 days.",
            icon=":material/check_circle:",
        )
    for group in (Group.OVERDUE, Group.DUE, Group.BLOCKED, Group.STALE):
        if groups[group]:
            st.subheader(f"{group.value} ({len(groups[group]):,})", help=GROUP_HELP[group])
            _cards(groups[group])
    if rest := groups[Group.REST]:
        with st.expander(f"Everything else ({len(rest):,})", icon=":material/inventory_2:"):
            _cards(rest)
    outcome_measures.for_lead(lead)
    st.subheader("Reminders")
    digest.frequency_choice()  # the calendar feed link is under "My calendar" in the sidebar


def _nothing_led(me: Actor) -> None:
    if me.is_admin:
        components.empty_state(
            "You do not lead any region or strategy, so nothing here is waiting for you."
        )
    else:
        components.empty_state(
            "You are not assigned to any region or strategy yet. Ask an admin to assign you."
        )
    st.page_link(OVERVIEW, label="Go to the Overview", icon=":material/dashboard:")


def _scope_words(found: list[dict]) -> str:
    """The regions and strategies the rows come from, as "Southwest; Housing (St. Louis)"."""
    me = auth.actor()
    if me.scope_labels:
        return "; ".join(me.scope_labels)
    regions = dict.fromkeys(r["region"] for r in found)
    return "; ".join(regions) or "none"


def _cards(group_rows: list[dict]) -> None:
    for row in group_rows[:CARDS_MAX]:
        _card(row)
    if len(group_rows) > CARDS_MAX:
        st.caption(
            f"… and {len(group_rows) - CARDS_MAX:,} more; the Regions page shows every outcome."
        )


def _card(row: dict) -> None:
    key = row["outcome_id"]
    with st.container(border=True):
        st.markdown(f"**{md(updates.outcome_name(row))}**")
        st.markdown(md(row["text"]))
        st.caption(components.outcome_caption(row))
        st.markdown(components.badges_markdown(row))
        if row.get("last_note") and row["status"] != Status.BLOCKED.value:
            # a Blocked card shows its note already, as the reason (badges_markdown)
            st.caption(f"Latest note: {md(row['last_note'])}")
        with st.container(horizontal=True, wrap=True, gap="small", vertical_alignment="bottom"):
            updates.done_button(row, key=key)
            updates.form_button(row, key=key)
            updates.check_in_button(row, key=key)
