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
from core.progress import updates
from core.progress.filters import OutcomeFilter
from ui import actions, auth, components, data

NOTE_HELP = "Say what happened or why it is late. Required for Blocked and Dropped."


def can_update(row: dict) -> bool:
    return permissions.can_update_outcome(
        auth.actor(), region_id=row["region_id"], strategy_id=row["strategy_id"]
    )


def _run(action, success: str) -> TrackerError | None:
    """Run a service call through the action runner. Returns the refusal (its message
    is for the user), or None after telling the user it worked."""
    result = actions.run(action)
    if not result.ok:
        return result.error
    st.toast(success, icon=":material/check_circle:")
    return None


def _run_in_callback(action, success: str) -> None:
    """Callbacks run before the page: leave a refusal for the page's show_errors()."""
    if error := _run(action, success):
        st.session_state["update_error"] = str(error)


def show_errors() -> None:
    if error := st.session_state.pop("update_error", None):
        st.error(error, icon=":material/error:")


def _mark_done(outcome_id: str, version: int) -> None:
    _run_in_callback(
        lambda s: updates.update_status(
            session=s,
            actor=auth.actor(fresh=True),
            outcome_id=outcome_id,
            expected_version=version,
            new_status=Status.DONE.value,
        ),
        "Marked done.",
    )


def done_button(row: dict, *, key: str) -> None:
    """Mark one outcome done in one click (hidden when it is done or not yours)."""
    if row["status"] == Status.DONE.value or not can_update(row):
        return
    st.button(
        "Done",
        key=f"done_{key}",
        icon=":material/check:",
        help="Mark this outcome done",
        on_click=_mark_done,
        args=(row["outcome_id"], int(row["version"])),
    )


def form_button(row: dict, *, key: str) -> None:
    label = "Update" if can_update(row) else "History"
    st.button(
        label,
        key=f"form_{key}",
        icon=":material/edit_note:" if label == "Update" else ":material/history:",
        on_click=_open,
        args=(row["outcome_id"],),
    )


def _open(outcome_id: str) -> None:
    st.session_state["dialog_outcome"] = outcome_id
    st.session_state.pop(f"uf_version_{outcome_id}", None)


def _close() -> None:
    outcome_id = st.session_state.pop("dialog_outcome", None)
    if outcome_id:
        for prefix in ("uf_version_", "uf_status_", "uf_note_", "uf_url_"):
            st.session_state.pop(f"{prefix}{outcome_id}", None)


def render_dialog() -> None:
    """Call once per page, after the controls: shows the form if one was opened."""
    if outcome_id := st.session_state.get("dialog_outcome"):
        _dialog(outcome_id)


@st.dialog("Outcome", width="large", on_dismiss=_close)
def _dialog(outcome_id: str) -> None:
    # A dialog reruns on its own, without dashboard.py: read the data stamp here too,
    # so it shows what others saved meanwhile.
    data.refresh()
    match = _one(outcome_id)
    if match.empty:
        st.error("This outcome no longer exists.")
        return
    row = match.iloc[0].to_dict()
    st.markdown(
        f"**{row['region']} · {row['strategy']} · {row['term']} term {row['number'] or ''}**"
    )
    st.markdown(row["text"])
    st.caption(components.outcome_caption(row))
    st.markdown(components.badges_markdown(row))
    for reason in row["flag_reasons"]:
        st.caption(f":material/flag: {reason}")
    if row["upstream_late"]:
        st.caption(f":material/link: Upstream late: {row['upstream_note']}.")

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
            st.error(str(error), icon=":material/error:")
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

    history_section(row)


def _one(outcome_id: str) -> pd.DataFrame:
    return data.outcomes(OutcomeFilter(outcome_ids=(outcome_id,), include_retired=True))


def history_section(row: dict) -> None:
    hist = data.history(outcome_id=row["outcome_id"])
    st.markdown("**History**")
    if hist.empty:
        st.caption("No status updates yet.")
    for i, entry in enumerate(hist.to_dict("records")):
        note = f" — {entry['note']}" if entry["note"] else ""
        link = f" ([evidence]({entry['evidence_url']}))" if entry["evidence_url"] else ""
        st.markdown(
            f"{entry['changed_at']:%Y-%m-%d %H:%M} UTC · **{entry['changed_by']}**: "
            f"{entry['old_status']} → **{entry['new_status']}**{note}{link}"
        )
        if i == 0 and can_update(row):
            st.button(
                "Undo this update",
                key=f"undo_{entry['id']}",
                icon=":material/undo:",
                help="Writes a new entry restoring the previous status; history is never erased.",
                on_click=_undo,
                args=(int(entry["id"]), int(row["version"])),
            )
    changes = data.plan_changes("outcome", row["outcome_id"])
    if not changes.empty:
        st.markdown("**Changes to this outcome**")
        for c in changes.to_dict("records"):
            st.markdown(
                f"{c['changed_at']:%Y-%m-%d %H:%M} UTC · **{c['changed_by']}** {c['action']}: "
                f"{changelog.describe_change(c['before'], c['after'])} — _{c['reason']}_"
            )


def _undo(update_id: int, version: int) -> None:
    _run_in_callback(
        lambda s: updates.revert_update(
            session=s,
            actor=auth.actor(fresh=True),
            status_update_id=update_id,
            expected_version=version,
        ),
        "Update undone.",
    )


def selectable_table(df: pd.DataFrame, columns: list[str], *, key: str) -> list[dict]:
    """A table whose rows can be selected; returns the selected rows as rendered.

    Selections arrive as row positions, so they are mapped through the ids and
    versions of the table as it was rendered (kept in session state), not the
    table of this run, which may have changed meanwhile."""
    rendered_key = f"_rendered_{key}"
    previous: list[dict] = st.session_state.get(rendered_key, [])
    event = st.dataframe(
        components.table_frame(df, columns),
        column_config=components.OUTCOME_COLUMNS,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        key=key,
    )
    keys = ["outcome_id", "version", "region_id", "strategy_id", "status"]
    values_by_key = [df[k].tolist() for k in keys]  # far faster than to_dict("records")
    current = [dict(zip(keys, values, strict=True)) for values in zip(*values_by_key, strict=True)]
    basis = previous if previous else current
    st.session_state[rendered_key] = current
    positions = event.selection.rows if event is not None else []
    return [basis[i] for i in positions if i < len(basis)]


def bulk_controls(selected: list[dict], *, key: str) -> None:
    if not selected:
        st.caption(
            "Select a row to update it or see its history; select several to update them together."
        )
        return
    if len(selected) == 1:
        one = selected[0]
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
                st.session_state.pop(f"_rendered_{key}", None)
                st.rerun()
            st.error(str(error), icon=":material/error:")
