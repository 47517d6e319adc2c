"""The plan editor's "Change log" tab: the latest changes to the plan, newest first:
who, when, what, the values before and after, and why."""

from __future__ import annotations

import streamlit as st

from core.plan import changelog
from ui import data
from ui.panels.plan_editor.common import KIND_NAMES

# The change log also holds the Organisations page's changes (core/partners/editing.py).
SUBJECT_NAMES = {**KIND_NAMES, "organisation": "Organisation"}


def change_log_tab() -> None:
    log = data.plan_changes()
    if log.empty:
        st.caption("No changes to the plan yet.")
        return
    log = log.assign(
        item=log["subject_kind"].map(SUBJECT_NAMES).fillna(log["subject_kind"])
        + " "
        + log["subject_id"],
        change=[
            changelog.describe_change(b, a)
            for b, a in zip(log["before"], log["after"], strict=True)
        ],
    )
    st.dataframe(
        log[["changed_at", "changed_by", "action", "item", "change", "reason"]],
        hide_index=True,
        column_config={
            "changed_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
            "changed_by": "Who",
            "action": "What",
            "item": st.column_config.TextColumn("Item", width="medium"),
            "change": st.column_config.TextColumn("Before → after", width="large"),
            "reason": st.column_config.TextColumn("Why", width="medium"),
        },
    )
    st.caption(f"The latest {len(log):,} changes, newest first.")
