"""Status-update controls: one-click done, the update form, bulk updates, history, undo.

The version each control saves against is captured when it is rendered (button
arguments, or `st.session_state` for forms), never re-read at save time.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import TrackerError
from core.models import Status
from core.people import permissions
from core.plan import changelog
from core.progress import notes, updates
from core.progress.filters import OutcomeFilter
from core.progress.schedule import is_closed
from ui import actions, auth, comments, components, data, selection
from ui.panels import outcome_measures
from ui.text import link, md

NOTE_HELP = "Say what happened or why it is late. Required for Blocked and Dropped."


def can_update(row: dict) -> bool:
    return permissions.can_update_outcome(
        auth.actor(), region_id=row["region_id"], strategy_id=row["strategy_id"]
    )


# What an action run in a callback left to show: {"where", "ok", "message"}.
NOTICE = "update_notice"


def _run(action, success: str) -> TrackerError | None:
    """Run a service call through the action runner. Returns the refusal (its message
    is for the user), or None after telling the user it worked."""
    result = actions.run(action)
    if not result.ok:
        return result.error
    st.toast(success, icon=":material/check_circle:")
    return None


def show_error(error: TrackerError | str) -> None:
    """A refusal where the page is drawing; its message can quote what was typed."""
    st.error(md(error), icon=":material/error:")


def _run_in_callback(action, success: str, *, where: str | None = None) -> None:
    """Run an action from a widget callback. Callbacks must not draw (in a dialog,
    which is a fragment, drawing there blanks the app), so the outcome is left for
    `where`: a button's key (shown by show_errors() in the run that button's click
    started) or "dialog:<outcome id>" (shown at the top of that outcome's dialog),
    the open dialog's when not given."""
    where = where or f"dialog:{st.session_state.get('dialog_outcome')}"
    result = actions.run(action)
    message = success if result.ok else str(result.error)
    st.session_state[NOTICE] = {"where": where, "ok": result.ok, "message": message}


def _show_notice(notice: dict) -> None:
    if notice["ok"]:
        st.toast(notice["message"], icon=":material/check_circle:")  # our own words
    else:
        show_error(notice["message"])


def show_errors() -> None:
    """At the top of a page: what its last click did. A notice is shown once, in the
    run its button's click started (that button is pressed in this run), and dropped
    otherwise, e.g. when that run stopped early because the database was down."""
    notice = st.session_state.get(NOTICE)
    if notice is None:
        return
    if notice["where"] == f"dialog:{st.session_state.get('dialog_outcome')}":
        return  # the open dialog shows it
    del st.session_state[NOTICE]
    if st.session_state.get(notice["where"]) is True:
        _show_notice(notice)


def _dialog_notice(outcome_id: str) -> None:
    notice = st.session_state.get(NOTICE)
    if notice is not None and notice["where"] == f"dialog:{outcome_id}":
        del st.session_state[NOTICE]
        _show_notice(notice)


def _mark_done(outcome_id: str, version: int, where: str, note_key: str | None = None) -> None:
    note = st.session_state.get(note_key, "") if note_key else ""
    _run_in_callback(
        lambda s: updates.update_status(
            session=s,
            actor=auth.actor(fresh=True),
            outcome_id=outcome_id,
            expected_version=version,
            new_status=Status.DONE.value,
            note=note,
        ),
        "Marked done.",
        where=where,
    )


def done_button(row: dict, *, key: str) -> None:
    """Mark one outcome done in one click (hidden when it is done or not yours). A
    Blocked outcome asks first, in a popover, how the block was resolved (the note
    core requires)."""
    if row["status"] == Status.DONE.value or not can_update(row):
        return
    args = (row["outcome_id"], int(row["version"]), f"done_{key}")
    if row["status"] != Status.BLOCKED.value:
        st.button(
            "Done",
            key=f"done_{key}",
            icon=":material/check:",
            on_click=_mark_done,
            args=args,
        )
        return
    with st.popover("Done…", icon=":material/check:", help=DONE_FROM_BLOCKED_HELP):
        note_key = f"done_note_{key}"
        st.text_area("How was the block resolved?", key=note_key, max_chars=updates.NOTE_MAX)
        st.button(
            "Mark done",
            key=f"done_{key}",
            type="primary",
            on_click=_mark_done,
            args=(*args, note_key),
        )


DONE_FROM_BLOCKED_HELP = "This outcome is Blocked: say how the block was resolved to mark it done."


def form_button(row: dict, *, key: str) -> None:
    label = "Update" if can_update(row) else "History"
    st.button(
        label,
        key=f"form_{key}",
        icon=":material/edit_note:" if label == "Update" else ":material/history:",
        on_click=_open,
        args=(row["outcome_id"],),
    )


CHECK_IN_HELP = "Still on track, no change: records that you looked; the status stays."


def _check_in(outcome_id: str, version: int, where: str, note_key: str) -> None:
    note = st.session_state.get(note_key, "")
    _run_in_callback(
        lambda s: updates.check_in(
            session=s,
            actor=auth.actor(fresh=True),
            outcome_id=outcome_id,
            expected_version=version,
            note=note,
        ),
        "Checked in.",
        where=where,
    )
    if st.session_state.get(NOTICE, {}).get("ok"):
        st.session_state[note_key] = ""  # a callback may reset its widget's value


def check_in_button(row: dict, *, key: str) -> None:
    """Check in on an open outcome of yours in one click, with an optional note typed
    in the field drawn above the button."""
    if is_closed(row["status"]) or not can_update(row):
        return
    note_key = f"check_in_note_{key}"
    st.text_input(
        "Check-in note (optional)",
        key=note_key,
        max_chars=updates.NOTE_MAX,
        placeholder="Optional note for a check-in",
        label_visibility="collapsed",
    )
    st.button(
        "Check in",
        key=f"check_in_{key}",
        icon=":material/task_alt:",
        help=CHECK_IN_HELP,
        on_click=_check_in,
        args=(row["outcome_id"], int(row["version"]), f"check_in_{key}", note_key),
    )


def _open(outcome_id: str) -> None:
    st.session_state["dialog_outcome"] = outcome_id
    st.session_state.pop(f"uf_version_{outcome_id}", None)
    st.session_state.pop(UNDO, None)


def _close() -> None:
    outcome_id = st.session_state.pop("dialog_outcome", None)
    if outcome_id:
        for prefix in ("uf_version_", "uf_status_", "uf_note_", "uf_url_"):
            st.session_state.pop(f"{prefix}{outcome_id}", None)
    st.session_state.pop(UNDO, None)


def render_dialog() -> None:
    """Call once per page, after the controls: shows the form if one was opened."""
    if outcome_id := st.session_state.get("dialog_outcome"):
        _dialog(outcome_id)


@st.dialog("Outcome", width="large", on_dismiss=_close)
def _dialog(outcome_id: str) -> None:
    # A dialog reruns on its own, without dashboard.py: read the data stamp here too,
    # so it shows what others saved meanwhile.
    data.refresh()
    _dialog_notice(outcome_id)
    _apply_undo(outcome_id)
    match = _one(outcome_id)
    if match.empty:
        st.error("This outcome no longer exists.")
        return
    row = match.iloc[0].to_dict()
    st.markdown(f"**{md(outcome_name(row))}**")
    st.markdown(md(row["text"]))
    st.caption(components.outcome_caption(row))
    st.markdown(components.badges_markdown(row))
    for reason in row["flag_reasons"]:
        st.caption(f":material/flag: {md(reason)}")
    if row["upstream_late"]:
        st.caption(":material/link: " + md(f"Upstream late: {row['upstream_note']}."))

    version_key = f"uf_version_{outcome_id}"
    if version_key not in st.session_state:
        st.session_state[version_key] = int(row["version"])  # the version this form was opened on

    if can_update(row):
        with st.form(f"update_{outcome_id}", border=True):
            options = [s.value for s in Status]
            status = st.selectbox(
                "Status", options, index=options.index(row["status"]), key=f"uf_status_{outcome_id}"
            )
            note = st.text_area(
                "Note", key=f"uf_note_{outcome_id}", help=NOTE_HELP, max_chars=updates.NOTE_MAX
            )
            url = st.text_input(
                "Evidence link (optional)",
                key=f"uf_url_{outcome_id}",
                placeholder="https://…",
                help="A web address showing the work: minutes, a report, a post.",
            )
            saved = st.form_submit_button("Save", type="primary")
        if saved:
            expected = st.session_state[version_key]
            error = _run(
                lambda s: updates.update_status(
                    session=s,
                    actor=auth.actor(fresh=True),
                    outcome_id=outcome_id,
                    expected_version=expected,
                    new_status=status,
                    note=note,
                    evidence_url=url,
                ),
                "Update saved.",
            )
            if error is None:
                _close()
                st.rerun()
            show_error(error)
            if isinstance(error, updates.StaleUpdate):
                # They have now seen the newer state: the next save applies on top of it.
                st.session_state[version_key] = error.current_version
                st.caption(
                    "Your note is kept above. Save again to apply it to the current version."
                )
    elif not auth.actor().signed_in:
        st.caption("Sign in from the sidebar to update this outcome.")
    else:
        st.caption("You can update outcomes of your assigned regions or strategies only.")

    outcome_measures.in_dialog(outcome_id)
    history_section(row)
    comments.section(outcome_id)


def _one(outcome_id: str) -> pd.DataFrame:
    return data.outcomes(OutcomeFilter(outcome_ids=(outcome_id,), include_retired=True))


def history_section(row: dict) -> None:
    hist = data.history(outcome_id=row["outcome_id"])
    st.markdown("**History**")
    if hist.empty:
        st.caption("No status updates yet.")
    for i, entry in enumerate(hist.to_dict("records")):
        change = (  # a check-in keeps the status: "still on track, no change"
            f"checked in, still **{md(entry['new_status'])}**"
            if entry["old_status"] == entry["new_status"]
            else f"{md(entry['old_status'])} → **{md(entry['new_status'])}**"
        )
        st.markdown(
            f"{entry['changed_at']:%Y-%m-%d %H:%M} UTC · **{md(entry['changed_by'])}**: "
            f"{change}{_entry_note(entry)}"
        )
        _publish_button(entry)
        if i == 0 and can_update(row):
            st.button(
                "Undo this update",
                key=f"undo_{entry['id']}",
                icon=":material/undo:",
                help="Writes a new entry restoring the previous status; history is never erased.",
                on_click=_want_undo,
                args=(row["outcome_id"], int(entry["id"]), int(row["version"])),
            )
    changes = data.plan_changes("outcome", row["outcome_id"])
    if not changes.empty:
        st.markdown("**Changes to this outcome**")
        for c in changes.to_dict("records"):
            st.markdown(
                f"{c['changed_at']:%Y-%m-%d %H:%M} UTC · **{md(c['changed_by'])}** "
                f"{md(c['action'])}: {md(changelog.describe_change(c['before'], c['after']))}"
                f" — _{md(c['reason'])}_"
            )


def _entry_note(entry: dict) -> str:
    """A history entry's note and evidence link as this reader may read them
    (data.history leaves out what is for members only and says so), escaped."""
    if entry["note_hidden"]:
        return f" — _{notes.MEMBERS_ONLY}_"
    note = f" — {md(entry['note'])}" if entry["note"] else ""
    url = entry["evidence_url"]
    evidence = f" ({link('evidence', url)})" if url else ""
    published = " · :material/public: **Published**" if note or evidence else ""
    return note + evidence + (published if entry["note_published"] else "")


def _publish_button(entry: dict) -> None:
    """Publish or unpublish an entry's note: for its author or an admin, when it has one."""
    if not (entry["note"] or entry["evidence_url"]):
        return
    if not notes.can_publish(auth.actor(), author=entry["changed_by"]):
        return
    published = bool(entry["note_published"])
    st.button(
        "Unpublish" if published else "Publish",
        key=f"publish_{entry['id']}",
        icon=":material/public_off:" if published else ":material/public:",
        help="Make this note for signed-in members only again."
        if published
        else "Let signed-out visitors read this note and its evidence link.",
        on_click=_set_published,
        args=(int(entry["id"]), not published),
    )


def _set_published(update_id: int, publish: bool) -> None:
    service = notes.publish_note if publish else notes.unpublish_note
    _run_in_callback(
        lambda s: service(session=s, actor=auth.actor(fresh=True), status_update_id=update_id),
        "Note published." if publish else "Note is for members only again.",
    )


# The undo a click asked for: (outcome id, status update id, version as rendered).
UNDO = "undo_intent"


def _want_undo(outcome_id: str, update_id: int, version: int) -> None:
    """The Undo button's callback only records the intent: it runs inside the dialog
    (a fragment), where a callback may not draw; the dialog applies it."""
    st.session_state[UNDO] = (outcome_id, update_id, version)


def _apply_undo(outcome_id: str) -> None:
    intent = st.session_state.get(UNDO)
    if not intent or intent[0] != outcome_id:
        return
    del st.session_state[UNDO]
    _, update_id, version = intent
    result = actions.run(
        lambda s: updates.revert_update(
            session=s,
            actor=auth.actor(fresh=True),
            status_update_id=update_id,
            expected_version=version,
        )
    )
    if not result.ok:
        show_error(result.error or "")
        return
    # The form saves on top of the undo; the whole page reruns, so its tables show it.
    st.session_state.pop(f"uf_version_{outcome_id}", None)
    st.session_state[NOTICE] = {
        "where": f"dialog:{outcome_id}",
        "ok": True,
        "message": "Update undone.",
    }
    st.rerun()


def outcome_name(row: dict) -> str:
    """How an outcome is named to people: region · strategy · term and number."""
    number = f" {row['number']}" if row.get("number") else ""
    return f"{row['region']} · {row['strategy']} · {row['term']} term{number}"


def bulk_controls(selected: list[dict], *, key: str) -> None:
    if not selected:
        st.caption(
            "Select a row to update it or see its history; select several to update them together."
        )
        return
    if len(selected) == 1:
        one = selected[0]
        st.caption(f"Selected: {md(outcome_name(one))}")
        left, right, _ = st.columns([1, 1, 6])
        with left:
            done_button(one, key=f"{key}_one")
        with right:
            form_button(one, key=f"{key}_one")
    mine = [r for r in selected if can_update(r)]
    if not mine:
        st.caption(f"{len(selected)} selected; sign in as their workgroup lead to update them.")
        return
    with st.form(f"bulk_{key}"):
        st.markdown(
            f"**Update {len(mine)} selected outcome{'s' if len(mine) != 1 else ''}**"
            + (
                f" ({len(selected) - len(mine)} not yours are left out)"
                if len(mine) < len(selected)
                else ""
            )
        )
        st.markdown(_listing(mine))
        status = st.selectbox(
            "New status", [s.value for s in Status], index=2, key=f"bulk_status_{key}"
        )
        note = st.text_area("Note", key=f"bulk_note_{key}", help=NOTE_HELP)
        confirm = st.checkbox(f"Yes, set all {len(mine)} to this status", key=f"bulk_confirm_{key}")
        if st.form_submit_button("Apply", type="primary"):
            if not confirm:
                st.warning("Tick the confirmation box first.")
                return
            requests = [updates.UpdateRequest(r["outcome_id"], int(r["version"])) for r in mine]
            error = _run(
                lambda s: updates.update_many(
                    session=s,
                    actor=auth.actor(fresh=True),
                    requests=requests,
                    new_status=status,
                    note=note,
                ),
                f"Updated {len(requests)} outcomes.",
            )
            if error is None:
                selection.clear(f"{key}_table")
                st.rerun()
            show_error(error)


# A bulk form names at most this many of the outcomes it will change.
LISTED = 12


def _listing(rows: list[dict]) -> str:
    """The outcomes a bulk update will change, as a markdown list (names escaped)."""
    lines = [f"- {md(outcome_name(r))}" for r in rows[:LISTED]]
    if len(rows) > LISTED:
        lines.append(f"- … and {len(rows) - LISTED:,} more")
    return "\n".join(lines)
