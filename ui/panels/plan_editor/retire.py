"""The plan editor's "Retire or restore" tab: take a logic model, a strategy or an
outcome out of the views and completion rates (keeping its history), or bring it back."""

from __future__ import annotations

import streamlit as st

from core.plan import editing
from ui.panels.plan_editor.common import KIND_NAMES, act, pick_item, reason_input


def retire_tab() -> None:
    st.markdown(
        "Retiring hides an item (and everything under it) from the views and completion rates. "
        "Nothing is deleted: statuses and history are kept, and a restore brings it back."
    )
    kind, item = pick_item("What", "rt")
    if not item:
        return
    retire = not item["retired"]
    with st.form(f"rt_form_{kind}_{item['id']}"):
        reason = reason_input(f"rt_reason_{kind}_{item['id']}")
        label = "Retire" if retire else "Restore"
        if st.form_submit_button(label, type="primary"):
            act(
                lambda s, actor: editing.set_retired(
                    session=s,
                    actor=actor,
                    kind=kind,
                    item_id=item["id"],
                    retired=retire,
                    reason=reason,
                ),
                f"{'Retired' if retire else 'Restored'} the {KIND_NAMES[kind].lower()}.",
            )
