"""Every chart names what it shows in a sentence (its accessible name, where Vega said
"Vega visualization"), keeps its marks out of the accessibility tree, offers its tooltip
fields as a table; and no chart leaves Vega an empty layer to warn about."""

from __future__ import annotations

import pandas as pd
import pytest

from core import charts
from core.charts import describe
from tests.core.charts.test_charts import TODAY, layers, mark_type, outcomes

__all__ = ["outcomes"]

BY_REGION = pd.DataFrame(
    {
        "label": ["State", "St. Louis", "Southeast"],
        "done": [6, 0, 0],
        "active": [46, 21, 0],
        "rate": [6 / 46, 0.0, None],
    }
)
FRESH = pd.DataFrame({"region": ["State", "Central"], "days_since_update": [3, None]})
BURNUP = pd.DataFrame(
    {
        "key": ["", ""],
        "label": ["All outcomes", "All outcomes"],
        "order": [0, 0],
        "month": [pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01")],
        "done": [10, 12],
        "due_current": [200, 248],
        "due_report": [248, 248],
    }
)


def test_completion_by_region_is_described_with_rates_and_counts() -> None:
    spec = charts.completion_by(BY_REGION, "Region").to_dict()

    assert spec["description"] == (
        "Completion by region: State 13 % (6 of 46), St. Louis 0 % (0 of 21), "
        "Southeast no active outcomes."
    )


@pytest.mark.parametrize(
    ("build", "starts"),
    [
        (lambda o: charts.status_bar(o), "Outcomes by status (248 in all): Not started "),
        (
            lambda o: charts.heatmap(
                pd.DataFrame(
                    [
                        {
                            "region": "State",
                            "need": "Housing",
                            "done": 1,
                            "active": 4,
                            "rate": 0.25,
                        },
                        {
                            "region": "Central",
                            "need": "Legal",
                            "done": 3,
                            "active": 4,
                            "rate": 0.75,
                        },
                    ]
                )
            ),
            "Completion by region and need, 2 pairs: highest Central × Legal 75 % of 4",
        ),
        (
            lambda o: charts.burnup_chart(BURNUP),
            "By December 2026, 12 of 248 outcomes done; 248 due on current dates, 248 on "
            "the report's dates.",
        ),
        (lambda o: charts.burnup_small_multiples(BURNUP), "By December 2026: All outcomes 12"),
        (
            lambda o: charts.freshness(FRESH),
            "Days since each region's last update: State 3 days, Central no updates yet.",
        ),
        (lambda o: charts.timeline(o, TODAY), "Timeline of 248 outcomes"),
        (lambda o: charts.strategy_timeline(charts.strategy_frame(o), TODAY), "Timeline of "),
    ],
)
def test_every_chart_has_a_sentence_and_no_aria_marks(outcomes, build, starts) -> None:
    spec = build(outcomes).to_dict()

    assert spec["description"].startswith(starts), spec["description"]
    assert "Vega visualization" not in spec["description"]
    assert spec["config"]["mark"]["aria"] is False


def test_long_lists_are_counted_not_listed() -> None:
    many = pd.DataFrame(
        {
            "label": [f"R{i}" for i in range(20)],
            "done": [1] * 20,
            "active": [2] * 20,
            "rate": [0.5] * 20,
        }
    )

    assert describe.completion_text(many, "Need").endswith("and 8 more.")


def test_tooltip_table_names_columns_as_the_tooltip(outcomes) -> None:
    table = describe.tooltip_table(charts.completion_by(BY_REGION, "Region"))

    assert list(table.columns) == ["Region", "Completion", "Done", "Active (not dropped)"]
    assert table["Region"].tolist() == ["State", "St. Louis", "Southeast"]
    assert describe.tooltip_table(charts.status_bar(outcomes))["Outcomes"].sum() == 248


def test_freshness_with_no_updates_has_no_stacked_extent() -> None:
    """Vega logged "Infinite extent for field bar_start" when no region had an update:
    the bars' layer was empty and its stacked field had no extent."""
    never = pd.DataFrame({"region": ["State", "Central"], "days_since_update": [None, None]})

    spec = charts.freshness(never).to_dict()

    bars = next(layer for layer in layers(spec) if mark_type(layer) == "bar")
    assert bars["encoding"]["x"]["stack"] is None
    assert bars["encoding"]["x"]["scale"]["domain"] == [0, 1.0]


def test_outcome_timeline_has_no_empty_tick_layer(outcomes) -> None:
    """Without a re-dated outcome the report's-date ticks had no rows: Vega warned of an
    infinite extent for baseline_due_date."""
    spec = charts.timeline(outcomes, TODAY).to_dict()

    assert "tick" not in [mark_type(layer) for layer in layers(spec)]
