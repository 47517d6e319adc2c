"""The measure chart builder (core/charts/measures.py): pure, no Streamlit."""

from __future__ import annotations

from datetime import date
from unittest.mock import ANY

import pytest

from core.charts.measures import measure_chart
from core.measures.targets import Target
from core.models import TargetKind

VALUES = [
    {"as_of": date(2026, 1, 1), "value": 2.0, "recorded_by": "sam"},
    {"as_of": date(2026, 6, 1), "value": 4.0, "recorded_by": "sam"},
]


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
    chart = measure_chart([], target=Target(TargetKind.NONE), baseline=119, by=date(2020, 10, 31))
    # No series layers: an empty one makes Vega warn of an infinite extent.
    assert marks(chart) == ["rule", "rule"]
    spec = chart.to_dict()
    assert spec["layer"][0]["mark"]["strokeDash"] == [6, 4]  # the baseline
    assert spec["layer"][1]["encoding"]["x"]["field"] == "by"


def test_nothing_to_draw_says_so_in_text():
    chart = measure_chart([], target=Target(TargetKind.NONE))
    assert marks(chart) == ["text"]
    assert chart.to_dict()["description"].startswith("Recorded values")


def test_the_values_are_an_arrow_table_of_midnights_and_the_table_reads_them():
    """No pandas on a page run: the values go to Streamlit as an Arrow table, a day as
    a midnight datetime; "Show as table" and the JSON form still read them."""
    import pyarrow as pa

    from core.charts import describe

    chart = measure_chart(VALUES, target=Target(TargetKind.NONE), unit="stakeholders")
    frame = chart.frames["values"]
    assert isinstance(frame, pa.Table)
    assert str(frame.schema.field("as_of").type).startswith("timestamp")
    assert chart.to_dict()["datasets"]["values"][0]["as_of"].startswith("2026-01-01T00:00:00")
    table = describe.tooltip_table(chart)
    assert list(table.columns) == ["As of", "stakeholders", "Recorded by"]
    assert table["stakeholders"].tolist() == [2.0, 4.0]
