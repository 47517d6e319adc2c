"""Outcome tables whose rows can be ticked, with the ticks kept by outcome id.

Streamlit reports a table's selection as row positions and keeps those positions when
the rows change (a sidebar filter, someone else's save): the tick would then sit on
another outcome. So positions are read against the rows as they were rendered, turned
into outcome ids at once, and when the rows change the table is drawn afresh (a new
widget key) with the ticks of the ids still shown; ids no longer shown are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from ui import components

# What each selected row carries: enough to act on it and to name it.
ROW_KEYS = (
    "outcome_id",
    "version",
    "region_id",
    "strategy_id",
    "status",
    "region",
    "strategy",
    "term",
    "number",
)


@dataclass
class TableState:
    """One table's selection between runs: the rows as rendered (by outcome id), the
    widget generation (a new one redraws the ticks), and the selected rows."""

    rendered: list[dict] = field(default_factory=list)
    generation: int = 0
    cleared: bool = False


def selected_ids(positions: Sequence[int], rendered_ids: Sequence[str]) -> list[str]:
    """The outcome ids at the ticked `positions` of the table as it was rendered."""
    return [rendered_ids[p] for p in positions if 0 <= p < len(rendered_ids)]


def remap(ids: Sequence[str], shown_ids: Sequence[str]) -> list[int]:
    """The positions, in the rows now shown, of the selected `ids` still among them."""
    where = {outcome_id: i for i, outcome_id in enumerate(shown_ids)}
    return sorted(where[i] for i in ids if i in where)


def clear(key: str) -> None:
    """Untick every row of the table `key` (after a bulk update is applied)."""
    state = st.session_state.get(_state_key(key))
    if isinstance(state, TableState):
        state.cleared = True


def selectable_table(df: pd.DataFrame, columns: list[str], *, key: str) -> list[dict]:
    """Draw the table; return the selected rows as the user saw them when they ticked
    (their versions then, so a save on top of a newer change is refused, not lost)."""
    state = st.session_state.setdefault(_state_key(key), TableState())
    current = components.records(df, ROW_KEYS)
    shown = [r["outcome_id"] for r in current]
    before = [r["outcome_id"] for r in state.rendered] or shown
    widget = f"{key}_{state.generation}"
    ticked = selected_ids(_positions(widget), before)
    default: list[int] = []
    if before != shown or state.cleared:
        # The rows moved under the ticks: redraw them on the same outcomes.
        st.session_state.pop(widget, None)
        state.generation += 1
        widget = f"{key}_{state.generation}"
        default = [] if state.cleared else remap(ticked, shown)
        state.cleared = False
    event = st.dataframe(
        components.table_frame(df, columns),
        column_config=components.OUTCOME_COLUMNS,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        selection_default={"selection": {"rows": default}} if default else None,
        key=widget,
    )
    as_seen = {r["outcome_id"]: r for r in state.rendered}
    state.rendered = current
    positions = event.selection.rows if event is not None else []
    by_id = {r["outcome_id"]: r for r in current}
    return [as_seen.get(i, by_id[i]) for i in selected_ids(positions, shown)]


def _state_key(key: str) -> str:
    return f"_selection_{key}"


def _positions(widget: str) -> list[int]:
    """The ticked positions Streamlit holds for `widget` (before it is drawn this run)."""
    value = st.session_state.get(widget)
    try:
        return list(value["selection"]["rows"]) if value else []
    except (KeyError, TypeError):
        return []
