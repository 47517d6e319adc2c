"""The Timeline page's chart (core/charts/plan_timeline.py): region → strategy →
outcome rows, collapsed to strategies, named by their words, in a time window that
follows a re-baseline, with the report's dates as a ghost bar; and the agenda."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from core.charts import plan_timeline as pt
from tests.core.charts.test_charts import TODAY, chart_data, layers, mark_type, outcomes

__all__ = ["outcomes"]  # the module fixture, shared


def test_rows_collapsed_to_regions_and_strategies(outcomes) -> None:
    rows = pt.timeline_rows(outcomes)

    assert set(rows["level"]) == {pt.REGION, pt.STRATEGY}
    assert (rows["level"] == pt.REGION).sum() == outcomes["region"].nunique()
    assert (rows["level"] == pt.STRATEGY).sum() == outcomes["strategy_id"].nunique()
    assert rows["level"].iloc[0] == pt.REGION
    # Each region row is followed by its own strategies.
    region = None
    for row in rows.to_dict("records"):
        if row["level"] == pt.REGION:
            region = row["region"]
        else:
            assert row["region"] == region
    assert rows["label"].is_unique


def test_expanded_strategy_lists_its_outcomes_under_it(outcomes) -> None:
    strategy = outcomes["strategy_id"].iloc[0]
    rows = pt.timeline_rows(outcomes, {strategy})

    shown = rows[rows["level"] == pt.OUTCOME]
    assert set(shown["strategy_id"]) == {strategy}
    assert len(shown) == (outcomes["strategy_id"] == strategy).sum()
    at = rows.index[(rows["level"] == pt.STRATEGY) & (rows["key"] == strategy)][0]
    assert list(rows["level"].iloc[at + 1 : at + 1 + len(shown)]) == [pt.OUTCOME] * len(shown)
    every = pt.timeline_rows(outcomes, all_open=True)
    assert (every["level"] == pt.OUTCOME).sum() == len(outcomes)


def test_rows_named_by_their_words_cut_short_with_whole_text_kept(outcomes) -> None:
    rows = pt.timeline_rows(outcomes, all_open=True)
    shown = rows[rows["level"] == pt.OUTCOME]
    long = shown[shown["text"].str.len() > 60].iloc[0]

    label = long["label"].strip(pt.BLANK + "\u200b")
    assert label.endswith("…") and len(label) < 60
    words = long["text"].split()[0]
    assert words in label  # the outcome's own words, not a code alone
    assert len(long["text"]) > 60  # the whole text stays for the tooltip
    strategy = rows[rows["level"] == pt.STRATEGY].iloc[0]
    assert strategy["label"].startswith(pt.BLANK * 2)
    assert "done)" in strategy["label"]


def test_cut_keeps_short_text_and_flattens_lines() -> None:
    assert pt.cut("Short", 10) == "Short"
    assert pt.cut("a  b\nc", 10) == "a b c"
    assert pt.cut("x" * 20, 10) == "x" * 9 + "…"


def test_plan_span_follows_a_rebaseline(outcomes) -> None:
    before = pt.plan_span(pt.timeline_rows(outcomes))
    moved = outcomes.copy()
    shift = timedelta(days=2000)
    moved["due_date"] = moved["due_date"] + shift
    moved["start_date"] = moved["start_date"] + shift

    after = pt.plan_span(pt.timeline_rows(moved))

    assert before is not None and after is not None
    assert after[0] == before[0] + shift and after[1] == before[1] + shift


def test_ghost_bar_only_for_rows_off_the_report_dates(outcomes) -> None:
    moved = outcomes.copy()
    strategy = moved["strategy_id"].iloc[0]
    mask = moved["strategy_id"] == strategy
    moved.loc[mask, "due_date"] = moved.loc[mask, "due_date"] + timedelta(days=365)
    moved.loc[mask, "start_date"] = moved.loc[mask, "start_date"] + timedelta(days=365)
    rows = pt.timeline_rows(moved)
    window = pt.plan_span(rows)
    assert window is not None

    spec = pt.plan_timeline(rows, TODAY, window).to_dict()

    ghosts = [layer for layer in layers(spec) if layer["mark"].get("yOffset") == -6]
    assert len(ghosts) == 1
    ghost_rows = chart_data(spec, ghosts[0])
    assert {r["key"] for r in ghost_rows if r["level"] == pt.STRATEGY} == {strategy}
    none = pt.plan_timeline(pt.timeline_rows(outcomes), TODAY, window).to_dict()
    assert not [layer for layer in layers(none) if layer["mark"].get("yOffset") == -6]


@pytest.mark.parametrize("expand", [False, True])
def test_no_layer_is_empty(outcomes, expand) -> None:
    """An empty layer made Vega warn "Infinite extent for field …" in the console."""
    rows = pt.timeline_rows(outcomes, all_open=expand)
    window = pt.next_months(date(2021, 1, 1))

    spec = pt.plan_timeline(rows, TODAY, window).to_dict()

    for layer in layers(spec):
        assert chart_data(spec, layer), mark_type(layer)


def test_window_cuts_spans_at_its_edges(outcomes) -> None:
    rows = pt.timeline_rows(outcomes)
    lo, hi = pt.next_months(date(2020, 6, 1))

    inside = pt.clipped(rows, (lo, hi))

    assert not inside.empty and len(inside) <= len(rows)
    assert inside["start_date"].min() >= lo and inside["due_date"].max() <= hi
    assert (inside["due"] >= inside["due_date"]).all()  # the tooltip keeps the real date
    edges = chart_data(spec := pt.plan_timeline(rows, TODAY, (lo, hi)).to_dict(), layers(spec)[0])
    assert [pd.Timestamp(e["edge"]) for e in edges] == [lo, hi]


def test_today_rule_only_inside_the_window(outcomes) -> None:
    rows = pt.timeline_rows(outcomes)
    inside = pt.plan_timeline(rows, TODAY, pt.next_months(TODAY - timedelta(days=30))).to_dict()
    outside = pt.plan_timeline(rows, TODAY, pt.next_months(TODAY + timedelta(days=30))).to_dict()

    assert "rule" in [mark_type(layer) for layer in layers(inside)]
    assert "rule" not in [mark_type(layer) for layer in layers(outside)]


def test_chart_is_named_by_a_sentence(outcomes) -> None:
    rows = pt.timeline_rows(outcomes)
    window = pt.plan_span(rows)
    assert window is not None

    spec = pt.plan_timeline(rows, TODAY, window).to_dict()

    assert spec["description"].startswith("Timeline from Jul 01, 2019 to ")
    assert "regions" in spec["description"] and "strategies" in spec["description"]
    assert spec["config"]["mark"]["aria"] is False


def test_agenda_lists_outcomes_by_month_in_date_order(outcomes) -> None:
    rows = pt.timeline_rows(outcomes, all_open=True)
    window = pt.next_months(date(2020, 1, 1))

    months = pt.agenda(rows, window)

    assert months and months[0][0] == "January 2020"
    dues = [row["due_date"] for _, items in months for row in items]
    assert dues == sorted(dues)
    assert all(window[0] <= d <= window[1] for d in dues)
    assert all(f"{row['due_date']:%B %Y}" == month for month, items in months for row in items)
    assert pt.agenda(pt.timeline_rows(outcomes.iloc[0:0]), window) == []


def test_empty_rows_build_a_chart() -> None:
    rows = pt.timeline_rows(pd.DataFrame())
    window = pt.next_months(TODAY)

    spec = pt.plan_timeline(rows, TODAY, window).to_dict()

    assert rows.empty and pt.plan_span(rows) is None
    assert "Timeline from" in spec["description"]


def test_a_missing_date_is_clipped_to_the_windows_end_as_before(outcomes) -> None:
    """The clip in plain Python keeps pandas' `where` chain's rule for a missing date
    (the second `where` replaces it with the window's end)."""
    rows = pt.timeline_rows(outcomes)
    rows.loc[0, "report_start"] = pd.NaT
    lo, hi = pt.plan_span(rows)

    inside = pt.clipped(rows, (lo, hi))

    assert inside.loc[0, "report_start"] == hi


def test_a_tree_given_new_statuses_is_the_tree_built_on_them(outcomes) -> None:
    """`with_statuses` (a status save on a tree built once per plan) gives exactly the
    tree `timeline_rows` builds from the outcomes with those statuses: statuses, counts,
    labels ("n of m done", made distinct again) and the green bars' ends."""
    import random

    from core.models import Status

    tree = pt.timeline_rows(outcomes, all_open=True)
    rng = random.Random(15)
    for changed in (1, 3, 40, len(outcomes)):
        moved = outcomes.copy()
        statuses = moved["status"].tolist()
        for i in rng.sample(range(len(moved)), changed):
            statuses[i] = rng.choice([s.value for s in Status])
        moved["status"] = statuses

        got = pt.with_statuses(tree, dict(zip(moved["outcome_id"], statuses, strict=True)))

        pd.testing.assert_frame_equal(got, pt.timeline_rows(moved, all_open=True))
    # Everything done: every group's label and bar follow.
    done = {k: Status.DONE.value for k in outcomes["outcome_id"]}
    every = pt.with_statuses(tree, done)
    groups = every[every["level"] != pt.OUTCOME]
    assert all(
        label.rstrip("\u200b").endswith(f"({n} of {n} done)")
        for label, n in zip(groups["label"], groups["outcomes"], strict=True)
    )
    assert (groups["done_end"] == groups["due_date"]).all()


def test_a_tree_is_built_again_when_the_outcomes_are_not_its_own(outcomes) -> None:
    tree = pt.timeline_rows(outcomes, all_open=True)
    statuses = dict(zip(outcomes["outcome_id"], outcomes["status"], strict=True))
    fewer = dict(list(statuses.items())[1:])
    other = {**fewer, "not-an-outcome": "done"}

    assert pt.with_statuses(tree, fewer) is None
    assert pt.with_statuses(tree, other) is None
    assert pt.with_statuses(tree, {**statuses, "not-an-outcome": "done"}) is None
