"""The Timeline page's chart: the plan as region → strategy → outcome rows, collapsed to
strategy bars unless a strategy is expanded, named by their words, drawn inside a time
window, with the report's own dates as a faint ghost bar beside each moved row; and the
same rows as an agenda by month for narrow screens."""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from core.charts import describe, vl
from core.charts.style import (
    DATE_FORMAT,
    DONE_COLOR,
    STATUS_ORDER,
    TERM_LETTERS,
    TERM_RANK,
    TODAY_COLOR,
    Day,
    as_timestamp,
    by_status,
    gantt_height,
)
from core.models import Status

REGION, STRATEGY, OUTCOME = "region", "strategy", "outcome"
ROW_COLUMNS = [
    "level",
    "key",
    "label",
    "text",
    "region",
    "strategy",
    "strategy_id",
    "start_date",
    "due_date",
    "report_start",
    "report_due",
    "moved",
    "status",
    "done",
    "active",
    "outcomes",
    "done_end",
    "row_order",
]
LABEL_WIDTH = 330  # px of row label, left-aligned so the hierarchy's indent shows
REGION_COLOR = "#1F2A37"
STRATEGY_COLOR = "#7A8691"
GHOST_COLOR = "#9AA3AD"
# Braille blanks: an indent Vega keeps (it trims whitespace, en spaces included).
BLANK = "\u2800"
INDENT = {REGION: "", STRATEGY: BLANK * 2, OUTCOME: BLANK * 5}
LABEL_CHARS = {REGION: 44, STRATEGY: 42, OUTCOME: 40}
Window = tuple[pd.Timestamp, pd.Timestamp]


def cut(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# The rows' dates are timestamps or NaT (a singleton): checked by identity, as
# pd.isna per value cost more than the rest of the tree.
def _earliest(values: list[Any]) -> Any:
    known = [v for v in values if v is not pd.NaT and v is not None]
    return min(known) if known else pd.NaT


def _latest(values: list[Any]) -> Any:
    known = [v for v in values if v is not pd.NaT and v is not None]
    return max(known) if known else pd.NaT


def _group_row(level: str, members: list[dict[str, Any]]) -> dict[str, Any]:
    """A region's or strategy's row: its span below (current and the report's dates),
    counts, and the first of its outcomes' rows."""
    first = members[0]
    done = sum(m["is_done"] for m in members)
    active = sum(m["is_active"] for m in members)
    text = str(first["region"] if level == REGION else first["strategy"])
    return {
        "level": level,
        "key": str(first["region"] if level == REGION else first["strategy_id"]),
        "label": _group_label(level, text, done, active),
        "text": text,
        "region": first["region"],
        "strategy": None if level == REGION else first["strategy"],
        "strategy_id": None if level == REGION else first["strategy_id"],
        "start_date": _earliest([m["start_date"] for m in members]),
        "due_date": _latest([m["due_date"] for m in members]),
        "report_start": _earliest([m["report_start"] for m in members]),
        "report_due": _latest([m["baseline_due_date"] for m in members]),
        "status": None,
        "done": done,
        "active": active,
        "outcomes": len(members),
        "first": min(m["row_order"] for m in members),
    }


def _outcome_row(m: dict[str, Any]) -> dict[str, Any]:
    letter = TERM_LETTERS.get(m["term"], "?")
    number = "" if m["number"] is None else str(m["number"])  # vl.columns: NaN is None
    return {
        "level": OUTCOME,
        "key": str(m["outcome_id"]),
        "label": f"{letter}{number} · {cut(m['text'], LABEL_CHARS[OUTCOME])}",
        "text": m["text"],
        "region": m["region"],
        "strategy": m["strategy"],
        "strategy_id": m["strategy_id"],
        "start_date": m["start_date"],
        "due_date": m["due_date"],
        "report_start": m["report_start"],
        "report_due": m["baseline_due_date"],
        "status": m["status"],
        "done": m["is_done"],
        "active": m["is_active"],
        "outcomes": 1,
        "first": m["row_order"],
    }


def _unique(labels: list[str]) -> list[str]:
    """Repeated labels made distinct with zero-width spaces, so each keeps its row."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        out.append(label + "\u200b" * seen.get(label, 0))
        seen[label] = seen.get(label, 0) + 1
    return out


def timeline_rows(
    df: pd.DataFrame, expanded: frozenset[str] | set[str] = frozenset(), *, all_open: bool = False
) -> pd.DataFrame:
    """Outcome rows (as for `timeline`) as the page's row tree: one row per region and per
    strategy, then an expanded strategy's (or, with `all_open`, every strategy's)
    outcomes under it. Spans run from the earliest start to the latest due date below;
    `report_start`/`report_due` are the same span on the report's dates. Built in plain
    Python over the outcomes (at most AGGREGATE_THRESHOLD: larger views draw strategies
    from SQL); pandas' group-bys and sorts of so few rows cost more than the rest."""
    members = _members(df)
    if not members:
        return pd.DataFrame(columns=ROW_COLUMNS)
    regions: dict[Any, list[dict[str, Any]]] = {}
    strategies: dict[Any, list[dict[str, Any]]] = {}
    for m in members:
        # An outcome's report start: its start moved back by its slip.
        m["report_start"] = min(
            m["start_date"] + (m["baseline_due_date"] - m["due_date"]), m["baseline_due_date"]
        )
        m["is_done"], m["is_active"] = _counted(m["status"])
        regions.setdefault(m["region"], []).append(m)
        strategies.setdefault(m["strategy_id"], []).append(m)
    rows = [_group_row(REGION, group) for group in regions.values()]
    rows += [_group_row(STRATEGY, group) for group in strategies.values()]
    rows += [_outcome_row(m) for m in members]
    # Regions first, then each strategy, then its outcomes: sorted on (first row, level).
    rank = {REGION: 0, STRATEGY: 1, OUTCOME: 2}
    rows.sort(key=lambda r: (r["first"], rank[r["level"]]))
    labels = _unique([INDENT[r["level"]] + r["label"] for r in rows])
    for order, (row, label) in enumerate(zip(rows, labels, strict=True)):
        row["label"] = label
        row["moved"] = row["report_due"] != row["due_date"] or (
            row["report_start"] != row["start_date"]
        )
        row["done_end"] = _done_end(row["start_date"], row["due_date"], row["done"], row["active"])
        row["row_order"] = order
    # Columns mixing text and None stay objects (None, not NaN, where a region has none).
    out = pd.DataFrame(
        {c: pd.Series([r[c] for r in rows], dtype=_MIXED.get(c)) for c in ROW_COLUMNS}
    )
    out = out if all_open else collapsed(out, expanded)
    return out.astype(_ROW_TYPES)


def with_statuses(every: pd.DataFrame, statuses: dict[str, str]) -> pd.DataFrame | None:
    """`timeline_rows(df, all_open=True)` once its outcomes' statuses are `statuses`
    (outcome id → status): the statuses, the counts done and active, the regions' and
    strategies' labels ("n of m done") and the ends of the green bars set again.
    A status save moves nothing else of the tree (spans, words, order are the plan's),
    so the tree is built once per plan. None when `statuses` names other outcomes
    than the tree's: then it is built again."""
    levels = every["level"].tolist()
    keys = every["key"].tolist()
    outcome_keys = [k for k, level in zip(keys, levels, strict=True) if level == OUTCOME]
    if len(outcome_keys) != len(statuses) or not all(k in statuses for k in outcome_keys):
        return None
    status = every["status"].tolist()
    done = [0] * len(keys)
    active = [0] * len(keys)
    region_of, strategy_of = every["region"].tolist(), every["strategy_id"].tolist()
    per_region: dict[Any, list[int]] = {}
    per_strategy: dict[Any, list[int]] = {}
    for i, level in enumerate(levels):
        if level != OUTCOME:
            continue
        status[i] = statuses[keys[i]]
        done[i], active[i] = _counted(status[i])
        for sums, group in ((per_region, region_of[i]), (per_strategy, strategy_of[i])):
            total = sums.setdefault(group, [0, 0])
            total[0] += done[i]
            total[1] += active[i]
    texts = every["text"].tolist()
    labels = [label.rstrip("\u200b") for label in every["label"].tolist()]
    for i, level in enumerate(levels):
        if level == OUTCOME:
            continue
        done[i], active[i] = (per_region if level == REGION else per_strategy)[
            region_of[i] if level == REGION else strategy_of[i]
        ]
        labels[i] = INDENT[level] + _group_label(level, texts[i], done[i], active[i])
    out = every.copy(deep=False)
    out["status"] = pd.Series(status, dtype=object, index=every.index)
    out["done"] = done
    out["active"] = active
    out["label"] = _unique(labels)
    spans = zip(every["start_date"].tolist(), every["due_date"].tolist(), done, active, strict=True)
    ends = [_done_end(*span) for span in spans]
    out["done_end"] = pd.Series(ends, index=every.index, dtype=every["done_end"].dtype)
    return out


def _group_label(level: str, text: str, done: int, active: int) -> str:
    return cut(text, LABEL_CHARS[level]) + f" ({done} of {active} done)"


def _counted(status: Any) -> tuple[int, int]:
    """An outcome's part of its groups' counts: (done, active; dropped is not)."""
    return int(status == Status.DONE.value), int(status != Status.DROPPED.value)


def _done_end(start: Any, due: Any, done: int, active: int) -> Any:
    """Where a row's green bar ends: its share done of the way from start to due."""
    return start + (due - start) * (done / active if active > 0 else 0.0)


_MEMBER_COLUMNS = [
    "outcome_id",
    "region",
    "strategy_id",
    "strategy",
    "term",
    "number",
    "text",
    "status",
]
_DATES = ["start_date", "due_date", "baseline_due_date"]
# The report's order: these positions where the rows have them, else the order in
# which their region (or strategy) first appears; then the term, then the outcome's.
_ORDER = [
    ("region_position", "region"),
    ("logic_model_position", "strategy_id"),
    ("strategy_position", "strategy_id"),
]


def _members(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The outcomes as dicts in the report's order (`row_order`), dates as timestamps,
    a missing start or report date as the due date: what `gantt_frame` gives, in plain
    Python (its pandas sorts and group-bys of a few hundred rows cost more than the
    rest of the tree)."""
    if df.empty:
        return []
    given = vl.columns(df, _MEMBER_COLUMNS)
    for name in _DATES:  # one conversion a column: the same timestamps as gantt_frame's
        given[name] = (
            pd.to_datetime(df[name]).tolist() if name in df.columns else [pd.NaT] * len(df)
        )
    keys = [_positions(df, name, given, fallback) for name, fallback in _ORDER]
    keys.append([(False, TERM_RANK.get(t, len(TERM_RANK))) for t in given["term"]])
    keys.append(_positions(df, "position", given, None))
    order = sorted(range(len(df)), key=lambda i: tuple(k[i] for k in keys))
    members = []
    for row_order, i in enumerate(order):
        m = {name: values[i] for name, values in given.items()}
        if m["start_date"] is pd.NaT:
            m["start_date"] = m["due_date"]
        if m["baseline_due_date"] is pd.NaT:
            m["baseline_due_date"] = m["due_date"]
        m["row_order"] = row_order
        members.append(m)
    return members


def _positions(
    df: pd.DataFrame, name: str, given: vl.Columns, fallback: str | None
) -> list[tuple[bool, Any]]:
    """Sort keys from a position column (a missing one last), else the order of first
    appearance of `fallback`'s values (else the rows' own order)."""
    if name in df.columns:
        values = pd.to_numeric(df[name], errors="coerce").tolist()
        return [(True, 0) if v != v else (False, v) for v in values]  # NaN: last
    if fallback is None:
        return [(False, i) for i in range(len(df))]
    first: dict[Any, int] = {}  # as pd.factorize: a missing value is -1
    return [(False, -1 if v is None else first.setdefault(v, len(first))) for v in given[fallback]]


_MIXED: dict[str, Any] = {"strategy": object, "strategy_id": object, "status": object}
_ROW_TYPES = {"moved": bool, "done": int, "active": int, "outcomes": int, "row_order": int}


def collapsed(every: pd.DataFrame, expanded: frozenset[str] | set[str]) -> pd.DataFrame:
    """`timeline_rows(df, expanded)` from `timeline_rows(df, all_open=True)`: outcome rows
    only under the expanded strategies, labels made distinct again among the rows kept.
    The page opens and closes strategies without building the tree again."""
    keep = (every["level"] != OUTCOME) | every["strategy_id"].isin(set(expanded))
    rows = every[keep].reset_index(drop=True)
    rows["label"] = _unique([label.rstrip("\u200b") for label in rows["label"]])
    rows["row_order"] = range(len(rows))
    return rows


def plan_span(rows: pd.DataFrame) -> Window | None:
    """The rows' own span (current dates only, so it follows a re-baseline)."""
    if rows.empty:
        return None
    return pd.Timestamp(rows["start_date"].min()), pd.Timestamp(rows["due_date"].max())


def next_months(today: Day, months: int = 12) -> Window:
    start = as_timestamp(today)
    return start, start + pd.DateOffset(months=months)


def in_window(rows: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Rows with some part of their span (current or report's) inside the window."""
    lo, hi = window
    now = (rows["due_date"] >= lo) & (rows["start_date"] <= hi)
    then = rows["moved"].astype(bool) & (rows["report_due"] >= lo) & (rows["report_start"] <= hi)
    return rows[now | then].reset_index(drop=True)


def _x(field: str) -> dict[str, Any]:
    """Time, with the same axis in every layer (a layer without one would drop it)."""
    axis = {"orient": "top", "format": "%b %Y", "grid": True, "title": None}
    return vl.channel(f"{field}:T", title=None, scale={"padding": 8}, axis=axis)


def _view(name: str, mark: dict[str, Any], encoding: dict[str, Any]) -> dict[str, Any]:
    """A view drawing the frame `name` of the spec."""
    return {"data": {"name": name}, "mark": mark, "encoding": encoding}


# Two invisible points at the window's ends: with the spans cut at its edges, the time
# scale is the window (an explicit domain makes Vega-Lite warn of conflicting domains).
def _edges(spec: vl.Spec, window: Window) -> dict[str, Any]:
    spec["datasets"]["edges"] = vl.table({"edge": [_when(w) for w in window]})
    return _view("edges", vl.mark("point", opacity=0), {"x": _x("edge")})


_CLIPPED = ("start_date", "due_date", "report_start", "report_due", "done_end")


def _when(value: Any) -> Any:
    """A timestamp for an Arrow table: NaT as None."""
    return None if value is None or value is pd.NaT else value


def _clip(value: Any, lo: pd.Timestamp, hi: pd.Timestamp) -> Any:
    if value is None or value is pd.NaT:  # no date: the window's end (as pandas' where)
        return hi
    return lo if value < lo else hi if value > hi else value


def _clipped(rows: pd.DataFrame, window: Window) -> vl.Columns:
    """`clipped` as columns of Python values (the chart's frames are built from them,
    without pandas)."""
    lo, hi = window
    given = {name: rows[name].tolist() for name in rows.columns}
    start, due = given["start_date"], given["due_date"]
    report_start, report_due, moved = given["report_start"], given["report_due"], given["moved"]

    def inside(i: int) -> bool:
        if due[i] is not pd.NaT and start[i] is not pd.NaT and due[i] >= lo and start[i] <= hi:
            return True
        return (
            bool(moved[i])
            and report_due[i] is not pd.NaT
            and report_start[i] is not pd.NaT
            and report_due[i] >= lo
            and report_start[i] <= hi
        )

    kept = [i for i in range(len(rows)) if inside(i)]
    out = {name: [values[i] for i in kept] for name, values in given.items()}
    out["due_inside"] = [d is not pd.NaT and lo <= d <= hi for d in out["due_date"]]
    # The dates as they are, for the tooltip.
    out["from"] = [_when(v) for v in out["start_date"]]
    out["due"] = [_when(v) for v in out["due_date"]]
    out["report_date"] = [_when(v) for v in out["report_due"]]
    for column in _CLIPPED:
        out[column] = [_clip(v, lo, hi) for v in out[column]]
    return out


def clipped(rows: pd.DataFrame, window: Window) -> pd.DataFrame:
    """The rows inside the window with their spans cut at its edges (nothing is drawn
    outside it); `due_inside` says whether the due date itself is shown."""
    return pd.DataFrame(_clipped(rows, window))


ROW_Y: Final = vl.channel(
    "label:N",
    title=None,
    sort={"field": "row_order", "op": "min"},
    axis={
        "labelAlign": "left",
        "labelPadding": LABEL_WIDTH,
        "labelLimit": LABEL_WIDTH - 8,
        "labelFontSize": 12,
        # Region rows (the only ones not indented) in bold.
        "labelFontWeight": vl.when(f"indexof(datum.value, '{BLANK}') !== 0", "bold", "normal"),
        "labelColor": "#1F2A37",
        "ticks": False,
        "domain": False,
        "labelOverlap": False,
    },
    scale={"paddingInner": 0.2, "paddingOuter": 0.2},
)


TOOLTIP: Final = vl.tooltip(
    ("text:N", "Name"),
    ("region:N", "Region"),
    ("strategy:N", "Strategy"),
    ("status:N", "Status"),
    ("done:Q", "Done"),
    ("active:Q", "Active (not dropped)"),
    ("from:T", "From", DATE_FORMAT),
    ("due:T", "Due", DATE_FORMAT),
    ("report_date:T", "Report's date", DATE_FORMAT),
)


def _bar(name: str, start: str, end: str, **props: Any) -> dict[str, Any]:
    """Bars from `start` to `end`, 9 px high, just below the row's middle."""
    mark = vl.mark("bar", **{"height": 9, "yOffset": 2, "cornerRadius": 2, **props})
    encoding = {"y": ROW_Y, "x": _x(start), "x2": {"field": end}, "tooltip": TOOLTIP}
    return _view(name, mark, encoding)


def _layers(spec: vl.Spec, data: vl.Columns) -> list[dict[str, Any]]:
    """One view per kind of mark, each drawing only its own rows (its frame, added to
    `spec`), and none for an empty frame: Vega warns of an "infinite extent" for a
    layer with no rows."""
    level, done, due_inside, moved = data["level"], data["done"], data["due_inside"], data["moved"]
    rows = range(len(level))
    kept = {
        "groups": [i for i in rows if level[i] != OUTCOME],
        "done": [i for i in rows if level[i] != OUTCOME and done[i] > 0],
        "outcomes": [i for i in rows if level[i] == OUTCOME],
        "ends": [i for i in rows if level[i] == OUTCOME and bool(due_inside[i])],
        "ghost": [i for i in rows if bool(moved[i])],
    }
    frames = {
        name: vl.table({c: [_when(values[i]) for i in chosen] for c, values in data.items()})
        for name, chosen in kept.items()
        if chosen
    }
    spec["datasets"] |= frames
    level_color = vl.when(f"(datum.level === '{REGION}')", REGION_COLOR, STRATEGY_COLOR)
    views = {
        "groups": _bar("groups", "start_date", "due_date"),
        "done": _bar("done", "start_date", "done_end", color=DONE_COLOR),
        "outcomes": _bar("outcomes", "start_date", "due_date", opacity=0.85),
        "ends": _view(
            "ends",
            vl.mark("point", filled=True, size=60, stroke="white", strokeWidth=0.6, yOffset=2),
            {
                "y": ROW_Y,
                "x": _x("due_date"),
                "color": _status_colors(),
                "shape": _status_shapes(),
                "tooltip": TOOLTIP,
            },
        ),
        "ghost": _bar(
            "ghost",
            "report_start",
            "report_due",
            color=GHOST_COLOR,
            height=4,
            yOffset=-6,
            cornerRadius=1,
            opacity=0.55,
        ),
    }
    views["groups"]["encoding"]["color"] = level_color
    views["outcomes"]["encoding"]["color"] = _status_colors()
    return [views[name] for name in frames]


def plan_timeline(rows: pd.DataFrame, today: Day, window: Window) -> vl.Spec:
    """The row tree of `timeline_rows` as a Gantt inside `window` (a Vega-Lite spec):
    regions dark, strategies grey with their done share in green, outcomes by status
    (colour and end shape), and the report's dates as a faint bar above each moved row."""
    data = (
        _clipped(rows, window)
        if not rows.empty
        else {c: [] for c in [*rows.columns, "due_inside", "from", "due", "report_date"]}
    )
    chart = vl.Spec(datasets={}, height=gantt_height(len(data["level"])))
    layers = [_edges(chart, window), *_layers(chart, data)]
    when = as_timestamp(today)
    if window[0] <= when <= window[1]:
        layers.append(_today_rule(chart, when))
    chart["layer"] = layers
    return vl.described(chart, describe.timeline_text(data, *window))


def _status_colors() -> dict[str, Any]:
    return by_status(
        "color", legend={"orient": "top", "symbolType": "square", "title": "Outcome status"}
    )


def _status_shapes() -> dict[str, Any]:
    return by_status("shape", legend={"orient": "top", "title": "Outcome status"})


def _today_rule(spec: vl.Spec, when: pd.Timestamp) -> dict[str, Any]:
    spec["datasets"]["today"] = vl.table(
        {"today": [when], "label": [f"Today, {when:{DATE_FORMAT}}"]}
    )
    return _view(
        "today",
        vl.mark("rule", color=TODAY_COLOR, strokeWidth=2),
        {"x": _x("today"), "tooltip": vl.tooltip(("today:T", "Today", DATE_FORMAT))},
    )


def agenda(rows: pd.DataFrame, window: Window) -> list[tuple[str, list[dict]]]:
    """Outcome rows (level "outcome") due inside the window, by month of due date in
    date order: [("March 2027", [row, ...]), ...]."""
    if rows.empty:
        return []
    lo, hi = window
    given = {name: rows[name].tolist() for name in rows.columns}
    level, due, order = given["level"], given["due_date"], given["row_order"]
    kept = [
        i
        for i in range(len(rows))
        if level[i] == OUTCOME and due[i] is not pd.NaT and lo <= due[i] <= hi
    ]
    kept.sort(key=lambda i: (due[i], order[i]))
    months: dict[str, list[dict]] = {}
    for i in kept:
        row = {name: values[i] for name, values in given.items()}
        months.setdefault(f"{row['due_date']:%B %Y}", []).append(row)
    return list(months.items())


def status_counts_text(rows: pd.DataFrame) -> str:
    """Outcomes per status in STATUS_ORDER, zeros left out: "3 Done, 40 Not started"."""
    outcomes = rows[rows["level"] == OUTCOME]
    counts = outcomes["status"].value_counts()
    return ", ".join(f"{int(counts[s])} {s}" for s in STATUS_ORDER if s in counts)
