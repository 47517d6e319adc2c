"""The Since the last meeting page's panels: the window (a saved meeting or a date,
kept in the link as `?meeting=<id>` or `?since=YYYY-MM-DD` so leadership shares the
same window), saving a meeting (leads and admins), and what changed in the window:
the summary, the counts per region, and a section per kind of change."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.errors import TrackerError
from core.plan.fields import EARLIEST
from core.progress import meetings, since
from core.progress.filters import OutcomeFilter
from core.progress.notes import MEMBERS_ONLY
from ui import actions, auth, components, data, updates
from ui.text import md

MODE, MEETING, DATE = "since_mode", "since_meeting", "since_date"
DEFAULT_DAYS = 14  # the window when no meeting is saved and the link names none
SHOWN_MAX = 50  # rows a section lists; the rest are counted


@dataclass(frozen=True)
class Window:
    since: date
    meeting: dict[str, Any] | None = None
    problem: str | None = None  # why the link's window could not be used


def saved_meetings() -> list[dict[str, Any]]:
    with Session(data.engine()) as session:
        return meetings.list_meetings(session)


def window(saved: list[dict[str, Any]], today: date) -> Window:
    """The window the link names; else the latest saved meeting, else two weeks."""
    problem = None
    if raw := st.query_params.get("meeting"):
        found = next((m for m in saved if str(m["id"]) == raw), None)
        if found is not None:
            return Window(found["held_on"], found)
        problem = f"There is no saved meeting #{raw}; it may have been removed."
    elif raw := st.query_params.get("since"):
        try:
            return Window(since.clean_since(raw, today))
        except TrackerError as exc:
            problem = str(exc)
    if saved:
        return Window(saved[0]["held_on"], saved[0], problem)
    return Window(today - timedelta(days=DEFAULT_DAYS), None, problem)


def _label(meeting: dict[str, Any]) -> str:
    return f"{meeting['held_on']:%b %-d, %Y} · {meeting['title']}"


def _show(key: str, value: str) -> None:
    """Name the window in the link: one of `meeting` and `since`."""
    st.query_params.pop("meeting" if key == "since" else "since", None)
    st.query_params[key] = value


def _mode_changed(saved: list[dict[str, Any]], current: Window) -> None:
    if st.session_state[MODE] == "meeting" and saved:
        _show("meeting", str(saved[0]["id"]))
    else:
        _show("since", current.since.isoformat())


def _meeting_changed() -> None:
    _show("meeting", str(st.session_state[MEETING]))


def _date_changed() -> None:
    if isinstance(picked := st.session_state[DATE], date):
        _show("since", picked.isoformat())


def picker(saved: list[dict[str, Any]], current: Window, today: date) -> None:
    """Pick a saved meeting or a date; the pick is written to the link."""
    if current.problem:
        st.warning(md(current.problem + " Showing " + _window_words(current) + "."))
    by_id = {m["id"]: m for m in saved}
    st.session_state[MODE] = "meeting" if current.meeting else "date"
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    left.segmented_control(
        "Since",
        ["meeting", "date"] if saved else ["date"],
        format_func={"meeting": "A saved meeting", "date": "A date"}.__getitem__,
        key=MODE,
        on_change=_mode_changed,
        args=(saved, current),
    )
    if current.meeting:
        st.session_state[MEETING] = current.meeting["id"]
        right.selectbox(
            "Meeting",
            list(by_id),
            format_func=lambda i: _label(by_id[i]),
            key=MEETING,
            on_change=_meeting_changed,
        )
    else:
        st.session_state[DATE] = current.since
        right.date_input(
            "Changes since",
            key=DATE,
            min_value=EARLIEST,
            max_value=today,
            format="MM/DD/YYYY",
            on_change=_date_changed,
        )


def _window_words(current: Window) -> str:
    words = f"changes since {since.since_words(current.since)}"
    if current.meeting:
        words += f" (the meeting “{current.meeting['title']}”)"
    return words


def save_form(today: date) -> None:
    """Save a meeting (by default today's), for leads and admins."""
    if not meetings.can_save(auth.actor()):
        return
    expander = st.expander("Save a meeting", icon=":material/bookmark_add:")
    with expander, st.form("save_meeting", border=False):
        title = st.text_input(
            "Title", max_chars=meetings.TITLE_MAX, placeholder="Leadership meeting"
        )
        held_on = st.date_input(
            "Held on", value=today, min_value=EARLIEST, max_value=today, format="MM/DD/YYYY"
        )
        saved = st.form_submit_button("Save meeting", type="primary")
    if not saved:
        return
    result = actions.run(
        lambda s: (
            meetings.save_meeting(
                session=s, actor=auth.actor(fresh=True), held_on=held_on, title=title, today=today
            ).id
        )
    )
    if result.error is not None:
        actions.show(result.error)
        return
    _show("meeting", str(result.value))
    st.rerun()


def remove_button(current: Window) -> None:
    """Remove the picked meeting (admins): a bookmark, so the changes stay."""
    if current.meeting is None or not auth.is_admin():
        return
    if st.button("Remove this saved meeting", icon=":material/bookmark_remove:"):
        meeting_id = current.meeting["id"]
        result = actions.run(
            lambda s: meetings.remove_meeting(
                session=s, actor=auth.actor(fresh=True), meeting_id=meeting_id
            )
        )
        if result.error is not None:
            actions.show(result.error)
            return
        st.query_params.pop("meeting", None)
        st.rerun()


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _changes(
    stamp_: tuple, flt_key: tuple, since_: date, today: date, members: bool
) -> since.SinceChanges:
    with Session(data.engine()) as session:
        return since.changes_since(
            session, since=since_, today=today, flt=OutcomeFilter(*flt_key), members=members
        )


def changes(flt: OutcomeFilter, current: Window) -> since.SinceChanges:
    # the data stamp moves with every value recorded or undone (queries.data_stamp)
    return _changes(data.stamp(), astuple(flt), current.since, data.today(), data.members())


def nothing_changed(current: Window, filtered: bool) -> None:
    components.empty_state(
        f"Nothing changed since {since.since_words(current.since)}: no outcome was done, "
        "blocked or re-dated, and no comment or value was recorded.",
        hint="Pick an earlier date, or clear the sidebar filters." if filtered else None,
    )


def summary(found: since.SinceChanges) -> None:
    st.markdown(f"**{md(found.summary())}**")
    regions = found.regions()
    if len(regions) < 2:
        return
    table = pd.DataFrame(
        [
            {
                "Region": r["region"],
                "Done": r["counts"]["done"],
                "Blocked": r["counts"]["blocked"],
                "Slipped": r["counts"]["slipped"],
                "Comments": r["counts"]["comments"],
                "Values recorded": r["counts"]["values"],
            }
            for r in regions
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")


def sections(found: since.SinceChanges) -> None:
    _section("Newly done", found.done, "done", _done_line)
    _section("Newly blocked", found.blocked, "blocked", _blocked_line)
    _section("Slipped or re-dated", found.slipped, "slipped", _slipped_line)
    _section("Comments", found.comments, "comments", _comments_line)
    _section("Values recorded", found.values, "values", _value_line)


def _section(title: str, rows: list[dict[str, Any]], kind: str, line) -> None:
    if not rows:
        return
    st.subheader(f"{title} ({len(rows):,})")
    for i, row in enumerate(rows[:SHOWN_MAX]):
        with st.container(border=True):
            text, action = st.columns([5, 1], vertical_alignment="center")
            text.markdown(line(row))
            if row.get("outcome_id"):
                with action:
                    updates.form_button(row, key=f"since_{kind}_{i}")
    if len(rows) > SHOWN_MAX:
        st.caption(f"… and {len(rows) - SHOWN_MAX:,} more; narrow the filters to see them.")


def _where(row: dict[str, Any]) -> str:
    return md(f"{row['region']} · {row['strategy']}: {row['text']}")


def _when(value: Any) -> str:
    return f"{value:%b %-d, %Y}"


def _done_line(row: dict[str, Any]) -> str:
    now = f" (now {row['status']})" if row["status"] != "Done" else ""
    return f"{_where(row)}  \n" + md(
        f"Done {_when(row['changed_at'])}, by {row['changed_by']}{now}"
    )


def _blocked_line(row: dict[str, Any]) -> str:
    if row["note_hidden"]:
        reason = f"*{md(MEMBERS_ONLY.capitalize())}*"
    else:
        reason = md(row["note"] or "No reason given")
    stamp = md(f"Blocked {_when(row['changed_at'])}, by {row['changed_by']}: ")
    return f"{_where(row)}  \n{stamp}{reason}"


def _slipped_line(row: dict[str, Any]) -> str:
    days = row["days"]
    moved = f"{days:,} days later" if days > 0 else f"{-days:,} days earlier"
    dates = ""
    if row["due_before"] and row["due_after"]:
        dates = f" ({_when(row['due_before'])} → {_when(row['due_after'])})"
    words = f"{row['action'].capitalize()} {_when(row['changed_at'])}: moved {moved}{dates}."
    return f"{_where(row)}  \n{md(words)} Reason: {md(row['reason'])}"


def _comments_line(row: dict[str, Any]) -> str:
    n = row["count"]
    head = f"{_where(row)}  \n" + md(f"{n:,} {'comment' if n == 1 else 'comments'}")
    shown = [f"{md(c['author'])}, {_when(c['at'])}: {md(c['body'])}" for c in row["shown"]]
    if len(shown) < n:
        shown.append(f"*{md(f'{n - len(shown):,} for members only')}*")
    return head + "".join(f"  \n— {s}" for s in shown)


def _value_line(row: dict[str, Any]) -> str:
    subject = row["text"] or row["region"]
    unit = f" {row['unit']}" if row["unit"] else ""
    words = f"{row['value']:g}{unit} as of {_when(row['as_of'])}, recorded by {row['recorded_by']}"
    note = f" — {row['note']}" if row["note"] else ""
    return md(f"{row['region']} · {row['measure']} ({subject})") + "  \n" + md(words + note)
