"""The floor: a minimal Streamlit page of the dashboard's size, no database, no project
code. A sidebar of seven selectboxes, a title, five metrics, one Altair bar chart and
one 248-row table. bench/pages.py runs it interleaved with every page and prints each
page's cold run as a multiple of it (issue 15: pages near Streamlit's own floor)."""

import altair as alt
import pandas as pd
import streamlit as st

REGIONS = ["State", "St. Louis", "Metro East", "Southeast", "Southwest", "Northwest"]
STATUSES = ["Not started", "In progress", "Done", "Blocked", "Dropped"]

with st.sidebar:
    for label, options in [
        ("Region", REGIONS),
        ("Need", ["Housing", "Legal services", "Crisis services"]),
        ("Term", ["Short", "Medium", "Long"]),
        ("Status", STATUSES),
        ("Due", ["Any time", "Overdue", "Due soon"]),
        ("Flag", ["Any", "Data", "Training"]),
        ("Organisation", ["Any", "Coalition", "County"]),
    ]:
        st.selectbox(label, ["All", *options], key=f"floor-{label}")

st.title("Statewide progress")
for column, (label, value) in zip(
    st.columns(5),
    [("Outcomes", 248), ("Done", 87), ("In progress", 111), ("Overdue", 31), ("Blocked", 19)],
    strict=True,
):
    column.metric(label, value)

rows = pd.DataFrame(
    {
        "id": [f"lm{i // 31}.s{i % 7}.o{i}" for i in range(248)],
        "region": [REGIONS[i % len(REGIONS)] for i in range(248)],
        "status": [STATUSES[i % len(STATUSES)] for i in range(248)],
        "due": pd.date_range("2021-01-31", periods=248, freq="W"),
        "text": [f"Outcome {i}: a milestone of the plan, as written" for i in range(248)],
    }
)
counts = rows.groupby("status", as_index=False).size()
st.altair_chart(
    alt.Chart(counts).mark_bar().encode(x=alt.X("size:Q", title="Outcomes"), y="status:N"),
    width="stretch",
)
st.dataframe(rows, hide_index=True)
