"""The measures of one outcome, the region's and the lead's: the cards of the
Measures page (ui/panels/measures.py) inside the outcome dialog, on the Regions page
and on My work."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlmodel import Session

from core.progress import my_work
from core.progress.filters import OutcomeFilter
from core.progress.my_work import LeadScope
from ui import components, data
from ui.panels import measures

SHOWN_MAX = 50  # cards drawn at most; the Measures page shows the rest


def in_dialog(outcome_id: str) -> None:
    """The outcome's measures, each with its chart and (in scope) the Record form."""
    items = measures.rows(OutcomeFilter(outcome_ids=(outcome_id,)))
    if not items:
        return
    st.markdown(f"**Measures** · {measures.counts_line(items)}")
    for item in items:
        # Its Record form drawn at once: a dialog has a few measures, and stays shut
        # to a rerun an expander's opening would make.
        measures.card(item, key=f"dialog_{outcome_id}_", lazy_form=False)


def for_region(flt: OutcomeFilter) -> None:
    """The measures of the region page's filter (its outcomes', strategies' and the
    region's own), with state."""
    items = measures.rows(flt)
    if items:
        _listing(items, "region_", expanded=False)


def for_lead(lead: LeadScope) -> None:
    """The measures in the lead's scope, with the Record form on each."""
    if lead.empty:
        return
    with Session(data.engine()) as session:
        region_ids = my_work.scope_region_ids(session, lead)
    items = [
        i
        for i in measures.rows(OutcomeFilter(regions=region_ids))
        if i["region_id"] in lead.region_ids or i["strategy_id"] in lead.strategy_ids
    ]
    if items:
        st.subheader("Your measures")
        _listing(items, "my_work_", expanded=True)


def _listing(items: list[dict[str, Any]], key: str, *, expanded: bool) -> None:
    # The states in a caption, not the label: an expander that tracks its state is a
    # new widget when its label changes, and would close when a value moves a count.
    st.caption(f"Measures: {measures.counts_line(items)}")
    box = components.lazy_expander(
        f"Measures ({len(items):,})",
        key=f"{key}measures_open",
        expanded=expanded,
        icon=":material/monitoring:",
    )
    if box is None:
        return
    with box:
        for item in items[:SHOWN_MAX]:
            measures.card(item, key=key, chart=False)
        if len(items) > SHOWN_MAX:
            st.caption(f"… and {len(items) - SHOWN_MAX:,} more on the Measures page.")
        st.page_link(
            "pages/measures.py", label="All measures, with charts", icon=":material/monitoring:"
        )
