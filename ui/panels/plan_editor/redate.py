"""The plan editor's "Re-date an outcome" tab: move one outcome's due date, with a
reason, against the date the form was drawn with."""

from __future__ import annotations

import streamlit as st

from core.plan import fields, redating
from ui.panels.plan_editor.common import (
    act,
    pick_logic_model,
    pick_outcome,
    pick_strategy,
    reason_input,
    seen,
)


def redate_tab() -> None:
    st.markdown("Move one outcome's due date, with a reason. Its slip and re-date count update.")
    lm = pick_logic_model("rd_lm", active_only=True)
    strategy = pick_strategy(lm, "rd_strategy") if lm else None
    outcome = pick_outcome(strategy, "rd_outcome") if strategy else None
    if not outcome:
        return
    slip = (outcome["due_date"] - outcome["baseline_due_date"]).days
    st.caption(
        f"Due {outcome['due_date']:%m/%d/%Y} · report's date "
        f"{outcome['baseline_due_date']:%m/%d/%Y} · slip {slip:+,} days · re-dated "
        f"{outcome['redate_count']}×"
    )
    seen_key = f"rd_seen_{outcome['id']}"
    expected = seen(seen_key, outcome["due_date"])
    with st.form(f"rd_form_{outcome['id']}"):
        new_due = st.date_input(
            "New due date",
            value=outcome["due_date"],
            min_value=fields.EARLIEST,
            max_value=fields.LATEST,
            format="MM/DD/YYYY",
        )
        reason = reason_input(f"rd_reason_{outcome['id']}")
        if st.form_submit_button("Re-date", type="primary"):
            act(
                lambda s, actor: redating.redate_outcome(
                    session=s,
                    actor=actor,
                    outcome_id=outcome["id"],
                    due_date=new_due,
                    reason=reason,
                    expected_due_date=expected,
                ),
                f"Now due {new_due:%m/%d/%Y}.",
                forget=(seen_key,),
            )
