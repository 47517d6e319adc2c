"""The plan editor's "Re-baseline" tab: move one logic model, or every logic model of
a region, to the community's real start date, with a preview of every outcome that
moves."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.errors import UpdateRejected
from core.plan import dates, fields, redating
from core.plan.redating import DateMove
from ui import data
from ui.panels.plan_editor.common import act, pick_logic_model, reason_input, region_names
from ui.text import md


def rebaseline_tab() -> None:
    st.markdown(
        "Move a logic model (or every logic model of a region) to the community's real start "
        "date. Every due date moves by the same calendar offset, so the report's spacing between "
        "milestones is kept; a month-end date (“by 6/2020”) stays a month-end date. The report's "
        "own dates stay as the baseline, shown as ticks on the Timeline."
    )
    scope = st.radio(
        "Re-baseline", ["One logic model", "A whole region"], horizontal=True, key="rb_scope"
    )
    lm = region_id = None
    if scope == "One logic model":
        lm = pick_logic_model("rb_lm", active_only=True)
        current_start = lm["start_date"] if lm else None
    else:
        regions = region_names()
        region_id = st.selectbox(
            "Region", list(regions), format_func=regions.__getitem__, key="rb_region"
        )
        starts = {
            m["start_date"]
            for m in data.plan_items("logic_model")
            if m["region_id"] == region_id and not m["retired"]
        }
        current_start = min(starts) if starts else None
    if current_start:
        st.caption(f"Starts now on {current_start:%B %-d, %Y}.")
    new_start = st.date_input(
        "Real start date",
        value=None,
        min_value=fields.EARLIEST,
        max_value=fields.LATEST,
        format="MM/DD/YYYY",
        key="rb_start",
    )
    reason = reason_input("rb_reason")
    if not (new_start and (lm or region_id)):
        return
    logic_model_id = lm["id"] if lm else None
    moves = _preview(new_start, logic_model_id, region_id)
    if not moves:
        return
    if all(m.before == m.after for m in moves):
        st.info("Already starts on that date: nothing would move.", icon=":material/info:")
        return
    _show_preview(moves, current_start, new_start)
    if st.button("Re-baseline", type="primary", key="rb_go"):
        act(
            lambda s, actor: redating.rebaseline(
                session=s,
                actor=actor,
                start_date=new_start,
                reason=reason,
                logic_model_id=logic_model_id,
                region_id=region_id,
            ),
            f"Re-baselined {len(moves):,} outcomes to start on {new_start:%m/%d/%Y}.",
            # The form then shows the new start, so its preview moves nothing.
            reset={"rb_start": new_start, "rb_reason": ""},
        )


# A read, nothing is written: a refusal (e.g. a date out of range) is shown instead.
def _preview(new_start: date, logic_model_id: str | None, region_id: str | None) -> list[DateMove]:
    try:
        with Session(data.engine()) as session:
            return redating.preview_rebaseline(
                session=session,
                start_date=new_start,
                logic_model_id=logic_model_id,
                region_id=region_id,
            )
    except UpdateRejected as exc:
        st.error(md(exc), icon=":material/error:")
        return []


def _show_preview(moves: list[DateMove], current_start: date | None, new_start: date) -> None:
    offset = dates.start_offset(current_start, new_start) if current_start else None
    st.markdown(
        f"**Preview:** {len(moves):,} outcomes move"
        + (f" {dates.describe_offset(offset)}" if offset else "")
        + "."
    )
    st.dataframe(
        pd.DataFrame(
            [{"outcome": m.text, "due now": m.before, "due after": m.after} for m in moves]
        ),
        hide_index=True,
        height=240,
        column_config={
            "due now": st.column_config.DateColumn(format="MM/DD/YYYY"),
            "due after": st.column_config.DateColumn(format="MM/DD/YYYY"),
        },
    )
