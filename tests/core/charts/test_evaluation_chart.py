"""The Evaluation page's trend chart (core/charts/evaluation.py): whole numbers on its
axis, a readable axis when every value is zero, and a sentence naming what it shows."""

from __future__ import annotations

import pandas as pd

from core.charts.evaluation import trend_chart

SERIES = pd.DataFrame(
    {
        "region": ["State", "State", "Southwest", "Southwest"],
        "period": ["2026-11", "2026-12", "2026-11", "2026-12"],
        "updates": [0, 2, 1, 3],
    }
)


def _y(spec: dict) -> dict:
    return spec["spec"]["encoding"]["y"]


def test_axis_of_zeros_reads_zero_to_one_in_whole_numbers() -> None:
    """With no activity yet (every value 0) the axis showed one tick, "0.000000"."""
    zeros = SERIES.assign(updates=0)
    y = _y(trend_chart(zeros, "updates", "Status updates").to_dict())
    assert y["scale"]["domain"] == [0, 1]
    assert y["axis"]["format"] == ",.0f"


def test_axis_follows_the_data_and_the_sentence_names_the_latest_period() -> None:
    chart = trend_chart(SERIES, "updates", "Status updates")
    spec = chart.to_dict()
    assert "domain" not in _y(spec)["scale"]
    assert spec["description"] == (
        "Status updates by region, 2026-11 to 2026-12; in 2026-12: State 2, Southwest 3."
    )
