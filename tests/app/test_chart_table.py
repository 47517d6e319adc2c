"""A chart's "Show as table" (ui/components.chart): the table is made only when the
switch is on, so a page run builds no table nobody asked for (issue 15)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui.text import md


def _page() -> None:
    import pandas as pd
    import streamlit as st

    from core.charts import vl
    from ui import components

    frame = pd.DataFrame({"region": ["Central"], "n": [3]})
    spec = vl.described(
        vl.layers(frame, {"mark": vl.mark("bar"), "encoding": {"x": vl.channel("n:Q")}}),
        "Three outcomes in *Central*.",
    )

    def table() -> pd.DataFrame:
        st.session_state["tables_made"] = st.session_state.get("tables_made", 0) + 1
        return frame.rename(columns={"region": "Region"})

    components.chart(spec, table=table, key="as_table")


def test_the_table_is_made_only_when_the_switch_is_on() -> None:
    at = AppTest.from_function(_page).run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 1
    assert "tables_made" not in at.session_state

    at.toggle(key="as_table").set_value(True).run()

    assert at.session_state["tables_made"] == 1
    assert not at.get("vega_lite_chart")
    assert at.dataframe[0].value.to_dict("records") == [{"Region": "Central", "n": 3}]
    assert at.caption[0].value == md("Three outcomes in *Central*.")  # shown literally
