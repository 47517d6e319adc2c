"""Issue 14 item 8: no chart the app draws makes Vega-Lite warn in the console. A
height of one step per row with a "fit" autosize (what Streamlit adds when a chart sets
none) logs "Dropping fit-y because spec has discrete height"; ui/components.chart
gives such a chart its height in pixels and fits only its width."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

CHART_PAGES = ["dashboard.py", "pages/measures.py", "pages/partners.py", "pages/evaluation.py"]


def specs(at: AppTest) -> list[dict]:
    assert not at.exception, [e.message for e in at.exception]
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


@pytest.mark.parametrize("page", CHART_PAGES)
def test_no_chart_has_a_step_height_and_a_fit(db, new_app, page) -> None:
    drawn = specs(new_app(page).run())
    assert drawn or page != "dashboard.py"

    fits = [s for s in drawn if str(s.get("autosize", {}).get("type", "")).startswith("fit")]
    assert not [s.get("description") for s in fits if isinstance(s.get("height"), dict)]


def test_the_overview_bars_keep_their_step_per_row(db, new_app) -> None:
    drawn = {s["description"].split(" ")[0]: s for s in specs(new_app("dashboard.py").run())}

    status = drawn["Outcomes"]  # "Outcomes by status …": one bar per status, 30 px each
    assert status["height"] == 5 * 30
    assert status["autosize"] == {"type": "fit-x", "contains": "padding"}
