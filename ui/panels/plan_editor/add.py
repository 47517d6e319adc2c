"""The plan editor's "Add" tab: add an outcome to a strategy, a strategy to a logic
model, or a new logic model to a region."""

from __future__ import annotations

import streamlit as st

from core.models import Term
from core.plan import editing, fields
from ui import actions, data
from ui.panels.plan_editor.common import (
    act,
    need_labels,
    pick_logic_model,
    pick_strategy,
    reason_input,
    region_names,
)


def add_tab() -> None:
    what = st.radio(
        "Add",
        ["An outcome", "A strategy", "A logic model"],
        horizontal=True,
        key="add_kind",
    )
    if what == "A logic model":
        _add_logic_model()
    elif what == "A strategy":
        _add_strategy()
    else:
        _add_outcome()


def _add_logic_model() -> None:
    regions = region_names()
    with st.form("add_lm", clear_on_submit=False):
        region = st.selectbox("Region", list(regions), format_func=regions.__getitem__)
        title = st.text_input("Title", placeholder="e.g. Performance Measures: Youth Housing")
        start = st.date_input(
            "Start date",
            value=data.today(),
            min_value=fields.EARLIEST,
            max_value=fields.LATEST,
            format="MM/DD/YYYY",
        )
        reason = reason_input("add_lm_reason")
        if st.form_submit_button("Add logic model", type="primary"):
            act(
                lambda s, actor: editing.create_logic_model(
                    session=s,
                    actor=actor,
                    region_id=region or "",
                    title=title,
                    start_date=start,
                    reason=reason,
                ),
                f"Added the logic model “{title}”. Add its strategies next.",
            )


def _add_strategy() -> None:
    lm = pick_logic_model("add_st_lm", active_only=True)
    if not lm:
        return
    needs = need_labels()
    with st.form("add_st"):
        need = st.selectbox("Need", list(needs), format_func=needs.__getitem__)
        title = st.text_input("Title")
        label = st.text_input("Label as written (optional)")
        resources = st.text_area("Resources (one per line)")
        tasks = st.text_area("Tasks (one per line)")
        ultimate = st.text_area("Ultimate outcome")
        reason = reason_input("add_st_reason")
        if st.form_submit_button("Add strategy", type="primary"):
            act(
                lambda s, actor: editing.create_strategy(
                    session=s,
                    actor=actor,
                    logic_model_id=lm["id"],
                    need_id=need or "",
                    title=title,
                    label=label,
                    resources=resources,
                    tasks=tasks,
                    ultimate_outcome=ultimate,
                    reason=reason,
                ),
                f"Added the strategy “{title}”.",
            )


def _add_outcome() -> None:
    lm = pick_logic_model("add_oc_lm", active_only=True)
    strategy = pick_strategy(lm, "add_oc_strategy") if lm else None
    if not strategy:
        return
    with st.form("add_oc"):
        term = st.selectbox("Term", [t.value for t in Term], format_func=str.capitalize)
        number = st.text_input("Number (optional)")
        text = st.text_area("Outcome")
        due = st.date_input(
            "Due date",
            value=None,
            min_value=fields.EARLIEST,
            max_value=fields.LATEST,
            format="MM/DD/YYYY",
        )
        reason = reason_input("add_oc_reason")
        if st.form_submit_button("Add outcome", type="primary"):
            if due is None:
                actions.show("Choose a due date.")
            else:
                act(
                    lambda s, actor: editing.create_outcome(
                        session=s,
                        actor=actor,
                        strategy_id=strategy["id"],
                        term=term,
                        number=number,
                        text=text,
                        due_date=due,
                        reason=reason,
                    ),
                    "Added the outcome.",
                )
