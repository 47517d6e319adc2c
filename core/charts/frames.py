"""The Gantt's data: outcome rows in the report's order with readable row labels, and
one row per strategy (its span and completion) for the aggregated timeline."""

from __future__ import annotations

import pandas as pd

from core.charts.style import (
    DATE_KIND_ESTIMATED,
    DATE_KIND_REPORTED,
    ESTIMATED_BASES,
    STATUS_ORDER,
    TERM_LETTERS,
    TERM_RANK,
    with_columns,
)
from core.models import Status, Term

GANTT_COLUMNS = [
    "outcome_id",
    "region",
    "strategy_id",
    "strategy",
    "term",
    "number",
    "text",
    "date_as_written",
    "due_date",
    "baseline_due_date",
    "slip_days",
    "redate_count",
    "start_date",
    "date_basis",
    "date_note",
    "status",
    "schedule",
    "upstream_note",
]


def _row_keys(d: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    """Sort keys region → logic model → strategy → term → outcome: the report's
    positions when the frame has them, else order of first appearance."""
    keys = pd.DataFrame(index=d.index)
    for key, fallback in (
        ("region_position", "region"),
        ("logic_model_position", "strategy_id"),
        ("strategy_position", "strategy_id"),
    ):
        if key in source.columns:
            keys[key] = pd.to_numeric(source[key].reset_index(drop=True), errors="coerce")
        else:
            keys[key] = pd.factorize(d[fallback])[0]
    keys["term_rank"] = d["term"].map(TERM_RANK).fillna(len(TERM_RANK))
    keys["position"] = (
        pd.to_numeric(source["position"].reset_index(drop=True), errors="coerce")
        if "position" in source.columns
        else range(len(d))
    )
    return keys


def _unique(labels: pd.Series) -> pd.Series:
    """Append ' #2', ' #3' to repeated labels so every row keeps its own band."""
    count = labels.groupby(labels).cumcount()
    return labels.where(count == 0, labels + " #" + (count + 1).astype(str))


def gantt_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Outcome rows shaped for the Gantt: dates as timestamps, a readable unique row
    label ("Region · strategy · S1") and `row_order` in the report's order."""
    d = with_columns(df, GANTT_COLUMNS)
    for col in ("due_date", "baseline_due_date", "start_date"):
        d[col] = pd.to_datetime(d[col])
    d["start_date"] = d["start_date"].fillna(d["due_date"])
    d["baseline_due_date"] = d["baseline_due_date"].fillna(d["due_date"])
    if d.empty:
        d["label"] = pd.Series(dtype=str)
        d["row_order"] = pd.Series(dtype=int)
        d["strategy_band"] = pd.Series(dtype=int)
    else:
        order = _row_keys(d, df).sort_values(
            [
                "region_position",
                "logic_model_position",
                "strategy_position",
                "term_rank",
                "position",
            ],
            kind="stable",
        )
        d = d.loc[order.index].reset_index(drop=True)
        index_in_term = d.groupby(["strategy_id", "term"], dropna=False).cumcount() + 1
        number = d["number"].astype(object).where(d["number"].notna(), index_in_term.astype(str))
        d["label"] = _unique(
            d["region"].astype(str)
            + " · "
            + d["strategy"].astype(str)
            + " · "
            + d["term"].map(TERM_LETTERS).fillna("?")
            + number.astype(str)
        )
        d["row_order"] = range(len(d))
        d["strategy_band"] = (d["strategy_id"] != d["strategy_id"].shift()).cumsum() % 2
    estimated = d["date_basis"].isin(ESTIMATED_BASES)
    d["date_kind"] = estimated.map({True: DATE_KIND_ESTIMATED, False: DATE_KIND_REPORTED})
    d["rebaselined"] = d["baseline_due_date"].notna() & (d["baseline_due_date"] != d["due_date"])
    d["term_label"] = d["term"].map({t.value: t.label for t in Term})
    d["date_as_written"] = d["date_as_written"].astype(object).fillna("(none in the report)")
    d["region_start"] = d["region"] != d["region"].shift()
    return d


def strategy_frame(df: pd.DataFrame) -> pd.DataFrame:
    """One row per strategy: its span (earliest start, latest due), counts per status,
    and completion (done ÷ active, dropped excluded)."""
    g = gantt_frame(df)
    if g.empty:
        cols = ["label", "row_order", "region", "strategy_id", "strategy", "start_date"]
        cols += ["due_date", "outcomes", "active", "rate", *STATUS_ORDER]
        return pd.DataFrame(columns=cols)
    counts = pd.crosstab(g["strategy_id"], g["status"]).reindex(columns=list(STATUS_ORDER))
    counts = counts.fillna(0).astype(int)
    agg = (
        g.groupby("strategy_id", sort=False)
        .agg(
            region=("region", "first"),
            strategy=("strategy", "first"),
            start_date=("start_date", "min"),
            due_date=("due_date", "max"),
            outcomes=("outcome_id", "size"),
            row_order=("row_order", "min"),
        )
        .join(counts)
        .reset_index()
        .sort_values("row_order", kind="stable")
        .reset_index(drop=True)
    )
    agg["active"] = agg["outcomes"] - agg[Status.DROPPED.value]
    agg["rate"] = (agg[Status.DONE.value] / agg["active"].where(agg["active"] > 0)).astype(float)
    agg["label"] = _unique(agg["region"].astype(str) + " · " + agg["strategy"].astype(str))
    agg["row_order"] = range(len(agg))
    return agg


def strategy_span_frame(rows: list[dict]) -> pd.DataFrame:
    """`queries.strategy_spans` rows in `strategy_frame`'s shape."""
    if not rows:
        return strategy_frame(pd.DataFrame())
    agg = pd.DataFrame(rows)
    for col in ("start_date", "due_date"):
        agg[col] = pd.to_datetime(agg[col])
    agg["active"] = agg["outcomes"] - agg[Status.DROPPED.value]
    agg["rate"] = (agg[Status.DONE.value] / agg["active"].where(agg["active"] > 0)).astype(float)
    agg["label"] = _unique(agg["region"].astype(str) + " · " + agg["strategy"].astype(str))
    agg["row_order"] = range(len(agg))
    return agg
