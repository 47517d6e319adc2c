from datetime import date, timedelta

import pandas as pd
import pytest
from sqlmodel import Session

from core import charts
from core.charts import vl
from core.models import Outcome
from core.progress import derived, filters, queries
from core.store.bootstrap import init_db
from core.store.db import make_engine

TODAY = date(2020, 11, 21)


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    """The seeded plan's outcome rows, annotated, with a spread of statuses."""
    engine = make_engine("sqlite://")
    init_db(engine)
    with Session(engine) as session:
        rows = queries.outcome_rows(session)
        summaries = derived.term_summaries(session, TODAY)
    df = pd.DataFrame(derived.annotate(rows, summaries, TODAY))
    df["status"] = [charts.STATUS_ORDER[i % len(charts.STATUS_ORDER)] for i in range(len(df))]
    return df


def synthetic_outcomes(n: int, strategies: int = 40) -> pd.DataFrame:
    start = date(2019, 7, 1)
    return pd.DataFrame(
        {
            "outcome_id": [f"o{i}" for i in range(n)],
            "region": [f"Region {i % 9}" for i in range(n)],
            "strategy_id": [f"s{i % strategies}" for i in range(n)],
            "strategy": [f"Strategy {i % strategies}" for i in range(n)],
            "term": [("short", "medium", "long")[i % 3] for i in range(n)],
            "number": [str(i) for i in range(n)],
            "text": [f"Outcome {i}" for i in range(n)],
            "date_as_written": ["6/2020"] * n,
            "due_date": [start + timedelta(days=30 + i % 900) for i in range(n)],
            "baseline_due_date": [start + timedelta(days=30 + i % 900) for i in range(n)],
            "start_date": [start] * n,
            "date_basis": ["end of month"] * n,
            "status": [charts.STATUS_ORDER[i % 5] for i in range(n)],
        }
    )


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def mark_type(layer: dict) -> str:
    mark = layer["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def layer_with(spec: dict, mark: str) -> dict:
    return next(layer for layer in layers(spec) if mark_type(layer) == mark)


def chart_data(spec: dict, layer: dict) -> list[dict]:
    """Rows behind a layer, whether inlined in `data` or held in `datasets`."""
    data = layer.get("data", spec.get("data"))
    if "values" in data:
        return data["values"]
    return spec["datasets"][data["name"]]


def x_field(layer: dict) -> str | None:
    return layer["encoding"].get("x", {}).get("field")


def tooltip_fields(layer: dict) -> set[str]:
    return {t["field"] for t in layer["encoding"]["tooltip"]}


def test_timeline_gantt_encodings(outcomes):
    chart = charts.timeline(outcomes, TODAY)
    assert isinstance(chart, vl.Spec)
    spec = chart.to_dict()
    bars = layer_with(spec, "bar")
    enc = bars["encoding"]
    assert enc["x"]["field"] == "start_date"
    assert enc["x"]["type"] == "temporal"
    assert enc["x2"]["field"] == "due_date"
    assert enc["y"]["field"] == "label"
    assert enc["y"]["sort"] == {"field": "row_order", "op": "min"}
    assert enc["color"]["field"] == "status"
    assert enc["color"]["scale"]["domain"] == list(charts.STATUS_ORDER)
    assert enc["color"]["scale"]["range"] == [charts.STATUS_COLORS[s] for s in charts.STATUS_ORDER]
    assert enc["strokeDash"]["field"] == "date_kind"
    assert enc["fillOpacity"]["field"] == "date_kind"
    assert {"text", "date_as_written", "due_date", "date_basis", "status", "schedule"} <= (
        tooltip_fields(bars)
    )
    assert "upstream_note" in tooltip_fields(bars)


def test_timeline_status_shape_repeats_colour(outcomes):
    spec = charts.timeline(outcomes, TODAY).to_dict()
    ends = layer_with(spec, "point")
    assert ends["encoding"]["shape"]["field"] == "status"
    assert ends["encoding"]["shape"]["scale"]["domain"] == list(charts.STATUS_ORDER)
    assert ends["encoding"]["x"]["field"] == "due_date"


def test_timeline_selections(outcomes):
    spec = charts.timeline(outcomes, TODAY).to_dict()
    params = {p["name"]: p for p in spec["params"]}
    legend = params[charts.STATUS_SELECTION]
    assert legend["bind"] == "legend"
    assert legend["select"]["fields"] == ["status"]
    strategy = params[charts.STRATEGY_SELECTION]
    assert strategy["select"]["fields"] == ["strategy_id"]
    assert strategy["select"]["on"] == "click"
    opacity = layer_with(spec, "bar")["encoding"]["opacity"]
    assert opacity["condition"]["test"] == {
        "and": [{"param": charts.STATUS_SELECTION}, {"param": charts.STRATEGY_SELECTION}]
    }
    assert opacity["value"] < opacity["condition"]["value"]


def test_timeline_today_rule(outcomes):
    spec = charts.timeline(outcomes, TODAY).to_dict()
    rule = next(
        layer for layer in layers(spec) if mark_type(layer) == "rule" and x_field(layer) == "today"
    )
    assert rule["mark"]["color"] == charts.TODAY_COLOR
    assert chart_data(spec, rule)[0]["today"].startswith("2020-11-21")
    label = next(
        layer for layer in layers(spec) if mark_type(layer) == "text" and x_field(layer) == "today"
    )
    assert chart_data(spec, label)[0]["label"] == "Today, Nov 21, 2020"


def test_timeline_one_row_per_outcome_with_unique_labels(outcomes):
    frame = charts.gantt_frame(outcomes)
    assert len(frame) == len(outcomes)
    assert frame["label"].is_unique
    assert frame["label"].iloc[0].startswith("State · ")
    assert list(frame["row_order"]) == list(range(len(frame)))
    spec = charts.timeline(outcomes, TODAY).to_dict()
    assert spec["height"] == charts.MIN_HEIGHT + len(outcomes) * charts.ROW_HEIGHT


def test_gantt_frame_marks_estimated_dates(outcomes):
    frame = charts.gantt_frame(outcomes)
    estimated = frame["date_basis"].isin(["inferred", "corrected"])
    assert estimated.any()
    assert (frame.loc[estimated, "date_kind"] == charts.DATE_KIND_ESTIMATED).all()
    assert (frame.loc[~estimated, "date_kind"] == charts.DATE_KIND_REPORTED).all()


def test_timeline_baseline_tick_only_when_rebaselined(outcomes):
    df = outcomes.copy()
    df.loc[3, "due_date"] = df.loc[3, "baseline_due_date"] + timedelta(days=90)
    frame = charts.gantt_frame(df)
    assert frame["rebaselined"].sum() == 1
    tick = layer_with(charts.timeline(df, TODAY).to_dict(), "tick")
    assert tick["encoding"]["x"]["field"] == "baseline_due_date"
    assert tick["transform"] == [{"filter": "datum.rebaselined"}]


def test_timeline_aggregates_per_strategy_above_threshold():
    df = synthetic_outcomes(3500, strategies=40)
    chart = charts.timeline(df, TODAY)
    spec = chart.to_dict()
    bars = layer_with(spec, "bar")
    assert bars["encoding"]["color"]["field"] == "rate"
    assert bars["encoding"]["x"]["field"] == "start_date"
    assert bars["encoding"]["x2"]["field"] == "due_date"
    assert {"outcomes", *charts.STATUS_ORDER} <= tooltip_fields(bars)
    rows = chart_data(spec, bars)
    assert len(rows) == 40
    assert sum(r["outcomes"] for r in rows) == 3500


def test_timeline_below_threshold_keeps_outcomes():
    df = synthetic_outcomes(50, strategies=5)
    spec = charts.timeline(df, TODAY, aggregate_threshold=100).to_dict()
    assert layer_with(spec, "bar")["encoding"]["color"]["field"] == "status"
    spec = charts.timeline(df, TODAY, aggregate_threshold=10).to_dict()
    assert layer_with(spec, "bar")["encoding"]["color"]["field"] == "rate"


def test_strategy_frame_counts_and_rate():
    df = synthetic_outcomes(10, strategies=1)
    df["status"] = ["Done"] * 3 + ["Dropped"] * 2 + ["In progress"] * 5
    agg = charts.strategy_frame(df)
    row = agg.iloc[0]
    assert (row["outcomes"], row["Done"], row["Dropped"], row["active"]) == (10, 3, 2, 8)
    assert row["rate"] == pytest.approx(3 / 8)
    assert row["start_date"] == pd.Timestamp("2019-07-01")
    assert row["due_date"] == pd.to_datetime(df["due_date"]).max()


def test_status_bar_counts_every_status(outcomes):
    chart = charts.status_bar(outcomes)
    spec = chart.to_dict()
    bars = layer_with(spec, "bar")
    assert bars["encoding"]["color"]["scale"]["domain"] == list(charts.STATUS_ORDER)
    assert layer_with(spec, "text")["encoding"]["text"]["field"] == "count"
    rows = chart_data(spec, bars)
    assert [r["status"] for r in rows] == list(charts.STATUS_ORDER)
    assert sum(r["count"] for r in rows) == len(outcomes)


def test_status_bar_accepts_precounted_rows():
    counts = pd.DataFrame({"status": ["Done", "Blocked"], "count": [4, 1]})
    spec = charts.status_bar(counts).to_dict()
    rows = {r["status"]: r["count"] for r in chart_data(spec, layer_with(spec, "bar"))}
    assert rows == {"Not started": 0, "In progress": 0, "Done": 4, "Blocked": 1, "Dropped": 0}


def test_completion_by_labels_and_order():
    df = pd.DataFrame(
        {
            "label": ["State", "Central", "Southeast"],
            "done": [9, 0, 0],
            "active": [20, 5, 0],
            "rate": [0.45, 0.0, None],
        }
    )
    spec = charts.completion_by(df, "region").to_dict()
    bars = layer_with(spec, "bar")
    assert bars["encoding"]["y"]["sort"] == {"field": "order", "op": "min"}
    rows = chart_data(spec, bars)
    assert [(r["label"], r["order"]) for r in rows] == [
        ("State", 0),
        ("Central", 1),
        ("Southeast", 2),
    ]
    assert bars["encoding"]["x"]["field"] == "bar"
    texts = [r["text"] for r in rows]
    assert texts == ["45% (9/20)", "0% (0/5)", "no active outcomes"]


def test_completion_by_uses_dim_column_without_label():
    df = pd.DataFrame({"need": ["Legal services"], "done": [1], "active": [4], "rate": [0.25]})
    spec = charts.completion_by(df, "need").to_dict()
    rows = chart_data(spec, layer_with(spec, "bar"))
    assert rows[0]["label"] == "Legal services"
    assert rows[0]["text"] == "25% (1/4)"


def test_heatmap_cells_and_text():
    df = pd.DataFrame(
        {
            "region": ["State", "State", "Central"],
            "need": ["Housing", "Legal", "Housing"],
            "done": [1, 0, 0],
            "active": [4, 0, 3],
            "rate": [0.25, None, 0.0],
        }
    )
    spec = charts.heatmap(df).to_dict()
    cells = layer_with(spec, "rect")
    assert cells["encoding"]["x"]["field"] == "need"
    assert cells["encoding"]["y"]["field"] == "region"
    assert cells["encoding"]["color"]["field"] == "rate"
    assert cells["encoding"]["color"]["scale"]["scheme"] == charts.RATE_SCHEME
    rows = chart_data(spec, cells)
    assert [(r["region"], r["need"]) for r in rows] == [
        ("State", "Housing"),
        ("Central", "Housing"),
    ]
    assert [r["text"] for r in rows] == ["25%\nn=4", "0%\nn=3"]


def test_freshness_never_updated_is_labelled():
    df = pd.DataFrame(
        {"region": ["State", "Central", "Southeast"], "days_since_update": [3, None, 1]}
    )
    spec = charts.freshness(df).to_dict()
    bars = layer_with(spec, "bar")
    assert bars["encoding"]["y"]["sort"] == {"field": "order", "op": "min"}
    rows = chart_data(spec, bars)
    assert [(r["region"], r["order"]) for r in rows] == [
        ("State", 0),
        ("Central", 1),
        ("Southeast", 2),
    ]
    assert [r["text"] for r in rows] == ["3 days", "no updates yet", "1 day"]
    assert [r["updated"] for r in rows] == [True, False, True]
    texts = [layer for layer in layers(spec) if mark_type(layer) == "text"]
    assert any(layer["mark"].get("fontStyle") == "italic" for layer in texts)


EMPTY_CASES = [
    ("timeline", lambda df: charts.timeline(df, TODAY)),
    ("status_bar", charts.status_bar),
    ("completion_by", lambda df: charts.completion_by(df, "region")),
    ("heatmap", charts.heatmap),
    ("burnup_chart", charts.burnup_chart),
    ("burnup_small_multiples", charts.burnup_small_multiples),
    ("freshness", charts.freshness),
]


@pytest.mark.parametrize(("name", "build"), EMPTY_CASES, ids=[c[0] for c in EMPTY_CASES])
def test_empty_input_builds_a_chart(name, build):
    chart = build(pd.DataFrame())
    assert isinstance(chart, vl.Spec)
    assert chart.to_dict()  # valid Vega-Lite


def test_empty_outcomes_with_columns(outcomes):
    chart = charts.timeline(outcomes.iloc[0:0], TODAY)
    spec = chart.to_dict()
    assert spec["height"] == charts.MIN_HEIGHT


@pytest.mark.parametrize(
    "flt",
    [filters.OutcomeFilter(), filters.OutcomeFilter(regions=("southwest",), needs=("housing",))],
)
def test_strategy_spans_in_sql_match_the_per_outcome_aggregate(session, flt):
    """The Timeline's SQL aggregate for large plans draws what the pandas aggregate of
    every outcome would: same strategies, order, counts, rates and spans."""
    today = date(2021, 6, 1)
    ids = [r["outcome_id"] for r in queries.outcome_rows(session)]
    for i, status in ((3, "Done"), (4, "Done"), (40, "Dropped"), (41, "Blocked"), (150, "Done")):
        session.get(Outcome, ids[i]).status = status
    session.commit()
    rows = queries.outcome_rows(session, flt)
    strategies = {r["strategy_id"] for r in rows}
    derived.annotate(rows, derived.term_summaries(session, today, strategies), today, 60)
    expected = charts.strategy_frame(pd.DataFrame(rows))
    got = charts.strategy_span_frame(queries.strategy_spans(session, flt))

    columns = ["label", "row_order", "strategy_id", "outcomes", "active", "due_date"]
    columns += list(charts.STATUS_ORDER)
    pd.testing.assert_frame_equal(
        got[columns].reset_index(drop=True),
        expected[columns].reset_index(drop=True),
        check_dtype=False,
    )
    assert got["rate"].fillna(-1).tolist() == expected["rate"].fillna(-1).tolist()
    assert (got["start_date"] <= expected["start_date"]).all()
    chart = charts.strategy_timeline(got, today).to_dict()
    assert chart["layer"][0]["mark"]["type"] == "bar"
