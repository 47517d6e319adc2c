"""The measure chart builder (core/charts/measures.py): pure, no Streamlit."""

from __future__ import annotations

from datetime import date
from unittest.mock import ANY

import pandas as pd
import pytest

from core.charts.measures import measure_chart
from core.measures.targets import Target
from core.models import TargetKind

VALUES = pd.DataFrame(
    {
        "as_of": [date(2026, 1, 1), date(2026, 6, 1)],
        "value": [2.0, 4.0],
        "recorded_by": ["sam", "sam"],
    }
)


def marks(chart) -> list[str]:
    spec = chart.to_dict()
    return [layer["mark"]["type"] for layer in spec["layer"]]


def test_range_drawn_as_a_band_with_values():
    chart = measure_chart(VALUES, target=Target(TargetKind.RANGE, 3, 5), unit="stakeholders")
    spec = chart.to_dict()
    assert marks(chart) == ["rect", "line", "point"]
    band = spec["layer"][0]
    assert band["encoding"]["y"]["field"] == "low" and band["encoding"]["y2"]["field"] == "high"
    assert spec["layer"][1]["encoding"]["y"]["title"] == "stakeholders"


@pytest.mark.parametrize(
    ("target", "value"),
    [
        (Target(TargetKind.AT_LEAST, 1), 1),
        (Target(TargetKind.AT_MOST, None, 10), 10),
        (Target(TargetKind.EXACTLY, 2, 2), 2),
    ],
)
def test_one_number_drawn_as_a_rule(target, value):
    chart = measure_chart(VALUES, target=target)
    spec = chart.to_dict()
    assert marks(chart) == ["rule", "line", "point"]
    assert spec["layer"][0]["data"]["values"] == [{"value": value, "target": ANY}]


def test_no_target_baseline_and_by_date_on_an_empty_series():
    chart = measure_chart(
        pd.DataFrame(), target=Target(TargetKind.NONE), baseline=119, by=date(2020, 10, 31)
    )
    # No series layers: an empty one makes Vega warn of an infinite extent.
    assert marks(chart) == ["rule", "rule"]
    spec = chart.to_dict()
    assert spec["layer"][0]["mark"]["strokeDash"] == [6, 4]  # the baseline
    assert spec["layer"][1]["encoding"]["x"]["field"] == "by"


def test_nothing_to_draw_says_so_in_text():
    chart = measure_chart(pd.DataFrame(), target=Target(TargetKind.NONE))
    assert marks(chart) == ["text"]
    assert chart.to_dict()["description"].startswith("Recorded values")
