"""Partners charts (core/charts/partners.py): the network's layout is stable, every
chart is valid Vega-Lite, is named by a sentence and draws empty frames."""

from __future__ import annotations

import pandas as pd
import pytest

from core.charts import partners as charts
from core.partners.queries import LINK_COLUMNS, network

LINKS = pd.DataFrame(
    [
        ("cate", "CATE", "coalition", "s1", "Task force", "state", "State", "Housing"),
        ("mco", "MO Coalition", "coalition", "s1", "Task force", "state", "State", "Housing"),
        ("cate", "CATE", "coalition", "s2", "Legal aid", "sw", "Southwest", "Legal"),
        ("mco", "MO Coalition", "coalition", "s2", "Legal aid", "sw", "Southwest", "Legal"),
        ("bur", "Burrell", "health provider", "s2", "Legal aid", "sw", "Southwest", "Legal"),
        ("kc", "KC CASE", "service provider", "s3", "Shelter", "kc", "Kansas City", "Shelter"),
    ],
    columns=LINK_COLUMNS,
)
CONTRIBUTING = pd.DataFrame(
    {
        "month": pd.to_datetime(["2021-03-01", "2021-03-01", "2021-04-01"]),
        "region_id": ["state", "sw", "sw"],
        "region": ["State", "Southwest", "Southwest"],
        "organisations": [1, 2, 3],
    }
)
ACTIVITY = pd.DataFrame(
    {
        "month": pd.to_datetime(["2021-03-01", "2021-04-01"]),
        "kind": ["Status updates", "Comments"],
        "count": [2, 1],
    }
)


def test_network_layout_is_stable_and_places_every_organisation() -> None:
    nodes, edges = network(LINKS)

    first, first_edges = charts.layout(nodes, edges)
    again, _ = charts.layout(nodes, edges)

    assert first[["x", "y"]].equals(again[["x", "y"]])
    assert first["x"].notna().all() and len(first) == 4
    assert dict(zip(first["organisation_id"], first["partners"], strict=True)) == {
        "cate": 2,
        "mco": 2,
        "bur": 2,
        "kc": 0,
    }
    assert first_edges[["x", "y", "x2", "y2"]].notna().all().all()


def test_network_chart_is_valid_and_described() -> None:
    nodes, edges = network(LINKS)

    chart = charts.network_chart(nodes, edges)
    spec = chart.to_dict()  # validates against the Vega-Lite schema

    # edges, points and labels each draw their own frame, named under "datasets"
    names = [layer["data"]["name"] for layer in spec["layer"]]
    assert names == ["edges", "nodes", "labels"]
    assert [len(spec["datasets"][name]) for name in names] == [3, 4, 4]

    assert chart.description == (
        "Collaboration network: 4 organisations, 3 links between organisations that share "
        "a strategy. Most connected (organisations it works with): Burrell (2), CATE (2), "
        "MO Coalition (2), KC CASE (0). Strongest link: CATE and MO Coalition, 2 strategies "
        "shared."
    )
    table = charts.network_table(nodes, edges)
    cate = table.set_index("Organisation").loc["CATE"]
    assert cate["Shares a strategy with (strategies shared)"] == "MO Coalition (2); Burrell (1)"
    assert table.set_index("Organisation").loc["KC CASE"].iloc[-1] == ""


def test_matrix_contributing_and_activity_charts_are_valid_and_described() -> None:
    matrix = charts.matrix_chart(LINKS)
    contributing = charts.contributing_chart(CONTRIBUTING)
    activity = charts.activity_chart(ACTIVITY, "CATE")
    for chart in (matrix, contributing, activity):
        chart.to_dict()

    assert matrix.description == (
        "Organisations by strategy: 4 organisations named in 3 strategies; most strategies: "
        "CATE 2, MO Coalition 2, Burrell 1, KC CASE 1."
    )
    assert contributing.description == (
        "Organisations contributing per region, month by month from March 2021 to April "
        "2021; latest: State 1 in March 2021, Southwest 3 in April 2021."
    )
    assert activity.description == (
        "CATE's activity per month from March 2021 to April 2021: status updates 2, comments 1."
    )


@pytest.mark.parametrize(
    ("build", "text"),
    [
        (lambda: charts.network_chart(*network(LINKS.head(0))), "no organisations are named"),
        (lambda: charts.matrix_chart(LINKS.head(0)), "no strategy names an organisation"),
        (lambda: charts.contributing_chart(CONTRIBUTING.head(0)), "names an organisation yet"),
        (lambda: charts.activity_chart(ACTIVITY.head(0), "CATE"), "CATE's activity: no"),
    ],
)
def test_charts_of_empty_frames_say_so(build, text: str) -> None:
    chart = build()
    chart.to_dict()

    assert text in chart.description


def test_network_layout_does_not_depend_on_the_rows_order() -> None:
    """The same links read in another order (a query without ORDER BY) give the same
    picture; the layout moved organisations about before nodes and edges were sorted."""
    nodes, edges = network(LINKS)
    first, _ = charts.layout(nodes, edges)
    shuffled, _ = charts.layout(
        nodes.iloc[::-1].reset_index(drop=True),
        edges.iloc[::-1].rename(columns={"source": "target", "target": "source"}),
    )
    where = first.set_index("organisation_id")[["x", "y"]].sort_index()
    again = shuffled.set_index("organisation_id")[["x", "y"]].sort_index()
    pd.testing.assert_frame_equal(where, again, atol=1e-9)


def test_network_labels_do_not_run_into_each_other() -> None:
    """Of organisations drawn on one spot, only the first (in the most strategies) is
    named on the chart; every one stays in the tooltips."""
    nodes = pd.DataFrame(
        {
            "organisation": ["Big", "Beside big", "Far away"],
            "x": [0.0, 0.01, 1.0],
            "y": [0.0, 0.0, 1.0],
            "strategies": [5, 1, 1],
            "partners": [2, 1, 0],
        }
    )
    assert list(charts._labelled(nodes)["organisation"]) == ["Big", "Far away"]


def test_contributing_lines_tick_once_a_month_and_differ_by_more_than_colour() -> None:
    """The time axis repeated a month's name between months ("Jun 2026, Jun 2026, …"),
    and regions on the same count could be told apart by colour alone."""
    encoding = charts.contributing_chart(CONTRIBUTING).to_dict()["encoding"]
    assert encoding["x"]["axis"]["tickCount"] == {"interval": "month", "step": 1}
    assert encoding["strokeDash"]["field"] == "region"
    assert encoding["strokeDash"]["legend"] == encoding["color"]["legend"]  # one legend
