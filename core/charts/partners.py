"""Partners charts: the collaboration network (organisations linked when they share a
strategy), the organisations × strategies matrix, organisations contributing per
region over time, and one organisation's activity per month.

The network's layout is networkx's: a seeded spring layout evened out by Kamada–Kawai,
nodes and edges added in a fixed order, so the same links always give the same
picture; a Vega-Lite spec (a dict, core/charts/vl.py) draws it (edges as rules,
organisations as labelled points). Each builder names its chart with a sentence (its
text alternative).
"""

from __future__ import annotations

from typing import Final

import networkx as nx  # type: ignore[import-untyped]
import pandas as pd

from core.charts import vl
from core.charts.describe import MAX_ITEMS
from core.charts.style import (
    AXIS_DATE_FORMAT,
    BAR_COLOR,
    FRAME_ORDER,
    LABEL_LIMIT,
    MUTED_COLOR,
    with_columns,
)

SEED = 16  # the spring layout's seed: a stable picture
SPRING = 2.0  # the spring layout's distance between nodes, times 1/sqrt(nodes)
GAP = 0.8  # between groups of organisations that share no strategy
LABELLED = 20  # the most connected organisations are named on the network; all in tooltips
# a label's room, as a share of the network's width and height (labels are cut at 160 px)
LABEL_WIDE, LABEL_TALL = 0.2, 0.045
NODE_COLUMNS = ["organisation_id", "organisation", "kind", "strategies", "strategy_names"]
EDGE_COLUMNS = ["source", "target", "weight"]
MATRIX_STEP = 22  # px per organisation row and strategy column
NETWORK_HEIGHT = 520
NO_AXIS: Final = {"labels": False, "ticks": False, "domain": False, "grid": False, "title": None}
KIND_SCHEME: Final = "tableau20"  # eleven kinds: ten colours would repeat one
MONTH_FORMAT = "%B %Y"


def _listed(items: list[str]) -> str:
    if len(items) > MAX_ITEMS:
        return ", ".join(items[:MAX_ITEMS]) + f", and {len(items) - MAX_ITEMS} more"
    return ", ".join(items)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def layout(nodes: pd.DataFrame, edges: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes with x, y (networkx layouts, per connected group, seeded)
    and edges with the ends' x, y, x2, y2 and names."""
    n = with_columns(nodes, NODE_COLUMNS)
    e = with_columns(edges, EDGE_COLUMNS)
    graph = nx.Graph()
    # in a fixed order: the layout depends on the order nodes and edges were added in
    graph.add_nodes_from(sorted(n["organisation_id"]))
    graph.add_weighted_edges_from(
        sorted((*sorted((a, b)), w) for a, b, w in e[EDGE_COLUMNS].itertuples(index=False))
    )
    where = _positions(graph)
    n["x"] = n["organisation_id"].map(lambda i: float(where[i][0]))
    n["y"] = n["organisation_id"].map(lambda i: float(where[i][1]))
    n["partners"] = n["organisation_id"].map(dict(graph.degree())).fillna(0).astype(int)
    ends = n.set_index("organisation_id")[["organisation", "x", "y"]]
    e = e.join(ends, on="source").join(ends.add_suffix("2"), on="target")
    return n, e.rename(columns={"organisation": "source_name", "organisation2": "target_name"})


def _positions(graph: nx.Graph) -> dict[str, tuple[float, float]]:
    """Each connected group of organisations laid out by the spring layout on its own
    (a radius growing with its size), the groups set side by side in rows, largest
    first: one spring layout of all pushes the groups to the corners."""
    groups = sorted(nx.connected_components(graph), key=lambda g: (-len(g), min(g)))
    width = 2 * len(groups[0]) ** 0.5 + 6 if groups else 0.0  # the largest, and a few more
    out: dict[str, tuple[float, float]] = {}
    x = y = row = 0.0
    for group in groups:
        radius = len(group) ** 0.5
        local = {next(iter(group)): (0.0, 0.0)}
        if len(group) > 1:
            sub = graph.subgraph(sorted(group))
            k = SPRING / len(group) ** 0.5
            start = nx.spring_layout(sub, k=k, seed=SEED, weight="weight", scale=radius)
            # then evened out: the spring layout packs a dense group into a knot
            local = nx.kamada_kawai_layout(sub, pos=start, weight=None, scale=radius)
        if x and x + 2 * radius > width:
            x, y, row = 0.0, y - row, 0.0
        for node, (px, py) in local.items():
            out[node] = (x + radius + float(px), y - radius + float(py))
        x, row = x + 2 * radius + GAP, max(row, 2 * radius + GAP)
    return out


def _labelled(nodes: pd.DataFrame) -> pd.DataFrame:
    """The organisations named on the network: those in the most strategies first, each only
    where its label does not run into one already placed (the rest in tooltips)."""
    ranked = nodes.sort_values(["strategies", "partners"], ascending=False, kind="stable")
    if ranked.empty:
        return ranked
    span_x = float(nodes["x"].max() - nodes["x"].min()) or 1.0
    span_y = float(nodes["y"].max() - nodes["y"].min()) or 1.0
    placed: list[tuple[float, float]] = []
    keep = []
    for index, x, y in zip(ranked.index, ranked["x"], ranked["y"], strict=True):
        fx, fy = (x - nodes["x"].min()) / span_x, (y - nodes["y"].min()) / span_y
        if len(placed) >= LABELLED:
            break
        if any(abs(fx - px) < LABEL_WIDE and abs(fy - py) < LABEL_TALL for px, py in placed):
            continue
        placed.append((fx, fy))
        keep.append(index)
    return ranked.loc[keep]


def network_chart(nodes: pd.DataFrame, edges: pd.DataFrame) -> vl.Spec:
    """The collaboration network of `core.partners.queries.network`: a line between
    two organisations sharing strategies (thicker for more), a point per organisation
    (larger for more strategies) coloured by kind and labelled with its name. Frames
    already laid out (by `layout`, e.g. cached) are drawn as they are. The layers draw
    the frames "edges", "nodes" and "labels"."""
    n, e = (nodes, edges) if "x" in nodes.columns else layout(nodes, edges)
    at = {
        "x": vl.channel("x:Q", axis=NO_AXIS, scale={"padding": 40}),
        "y": vl.channel("y:Q", axis=NO_AXIS, scale={"padding": 20}),
    }
    rules = {
        "data": {"name": "edges"},
        "mark": vl.mark("rule", color=MUTED_COLOR, opacity=0.6),
        "encoding": at
        | {
            # a second position takes no type
            "x2": {"field": "x2"},
            "y2": {"field": "y2"},
            "strokeWidth": vl.channel("weight:Q", legend=None, scale={"range": [1, 6]}),
            "tooltip": vl.tooltip(
                ("source_name:N", "Organisation"),
                ("target_name:N", "Shares strategies with"),
                ("weight:Q", "Strategies shared"),
            ),
        },
    }
    points = {
        "data": {"name": "nodes"},
        "mark": vl.mark("circle", opacity=0.9, stroke="white", strokeWidth=1),
        "encoding": at
        | {
            "size": vl.channel(
                "strategies:Q",
                title="Strategies",
                scale={"range": [60, 600]},
                legend={"orient": "bottom", "direction": "vertical"},
            ),
            # below the network, so a phone's narrow width is all the network's
            "color": vl.channel(
                "kind:N",
                title="Kind",
                scale={"scheme": KIND_SCHEME},
                legend={"orient": "bottom", "columns": 2},
            ),
            "tooltip": vl.tooltip(
                ("organisation:N", "Organisation"),
                ("kind:N", "Kind"),
                ("strategies:Q", "Strategies"),
                ("partners:Q", "Organisations it shares a strategy with"),
                ("strategy_names:N", "Strategies named in"),
            ),
        },
    }
    labels = {
        "data": {"name": "labels"},
        "mark": vl.mark("text", align="left", dx=8, dy=-6, fontSize=11, limit=160),
        "encoding": at | {"text": vl.channel("organisation:N")},
    }
    chart = vl.Spec(
        datasets={"edges": e, "nodes": n, "labels": _labelled(n)},
        layer=[rules, points, labels],
        height=NETWORK_HEIGHT,
    )
    return vl.described(chart, network_text(n, e))


def network_text(nodes: pd.DataFrame, edges: pd.DataFrame) -> str:
    """For `network_chart`: how many organisations and links, the most connected, and
    the strongest link."""
    if nodes.empty:
        return "Collaboration network: no organisations are named in these strategies."
    text = (
        f"Collaboration network: {_plural(len(nodes), 'organisation', 'organisations')}, "
        f"{_plural(len(edges), 'link', 'links')} between organisations that share a strategy"
    )
    if edges.empty:
        return text + "; no two organisations share a strategy."
    ranked = nodes.sort_values(["partners", "organisation"], ascending=[False, True])
    top = [f"{r.organisation} ({r.partners})" for r in ranked.head(5).itertuples()]
    best = edges.sort_values("weight", ascending=False, kind="stable").iloc[0]
    return (
        f"{text}. Most connected (organisations it works with): {_listed(top)}. "
        f"Strongest link: {best['source_name']} and {best['target_name']}, "
        f"{_plural(int(best['weight']), 'strategy', 'strategies')} shared."
    )


def network_table(nodes: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """The network as a table: each organisation, its kind, its strategies and the
    organisations it shares one with (how many shared)."""
    n = with_columns(nodes, NODE_COLUMNS)
    names = n.set_index("organisation_id")["organisation"]
    e = with_columns(edges, EDGE_COLUMNS)
    e["source_name"], e["target_name"] = e["source"].map(names), e["target"].map(names)
    both = pd.concat(
        [
            e[["source", "target_name", "weight"]].set_axis(["id", "with", "weight"], axis=1),
            e[["target", "source_name", "weight"]].set_axis(["id", "with", "weight"], axis=1),
        ],
        ignore_index=True,
    ).sort_values(["weight", "with"], ascending=[False, True])
    both["text"] = both["with"].astype(str) + " (" + both["weight"].astype(str) + ")"
    partners = both.groupby("id")["text"].agg("; ".join)
    out = pd.DataFrame(
        {
            "Organisation": n["organisation"],
            "Kind": n["kind"],
            "Strategies": n["strategies"],
            "Shares a strategy with (strategies shared)": n["organisation_id"]
            .map(partners)
            .astype(object)  # empty when nobody shares: not a float column
            .fillna(""),
        }
    )
    return out.sort_values("Organisation", ignore_index=True)


def matrix_chart(links: pd.DataFrame) -> vl.Spec:
    """Organisations × strategies from `core.partners.queries.links` rows: a cell
    where a strategy names an organisation, coloured by the strategy's region.
    Organisations with the most strategies first; strategies in the plan's order."""
    d = with_columns(links, ["organisation", "kind", "strategy_id", "strategy", "region"])
    d["label"] = d["strategy"].astype(str) + " (" + d["region"].astype(str) + ")"
    counts = d.groupby("organisation")["strategy_id"].transform("nunique")
    d["rank"] = counts.rank(method="first", ascending=False) if len(d) else counts
    orgs = d.sort_values(["rank"])["organisation"].unique().tolist() if len(d) else []
    d["order"] = pd.factorize(d["strategy_id"])[0]
    cells = {
        "mark": vl.mark("rect", stroke="white", strokeWidth=1),
        "encoding": {
            "x": vl.channel(
                "label:N",
                title="Strategy (region)",
                sort=FRAME_ORDER,
                axis={"labelAngle": -40, "labelLimit": 200, "orient": "top"},
            ),
            "y": vl.channel(
                "organisation:N", title=None, sort=orgs, axis={"labelLimit": LABEL_LIMIT}
            ),
            "color": vl.channel("region:N", title="Region", scale={"scheme": KIND_SCHEME}),
            "tooltip": vl.tooltip(
                ("organisation:N", "Organisation"),
                ("kind:N", "Kind"),
                ("strategy:N", "Strategy"),
                ("region:N", "Region"),
            ),
        },
    }
    chart = vl.Spec(
        datasets={"table": d},
        data={"name": "table"},
        **cells,
        height={"step": MATRIX_STEP},
        width={"step": MATRIX_STEP},
    )
    return vl.described(chart, matrix_text(d))


def matrix_text(links: pd.DataFrame) -> str:
    """For `matrix_chart`: how many organisations and strategies, and who is named in
    the most strategies."""
    if links.empty:
        return "Organisations by strategy: no strategy names an organisation here."
    counts = links.groupby("organisation")["strategy_id"].nunique().sort_values(ascending=False)
    top = [f"{name} {int(k)}" for name, k in counts.head(MAX_ITEMS).items()]
    return (
        f"Organisations by strategy: {_plural(len(counts), 'organisation', 'organisations')} "
        f"named in {_plural(links['strategy_id'].nunique(), 'strategy', 'strategies')}; "
        f"most strategies: {_listed(top)}."
    )


_LINES = {"symbolType": "stroke", "symbolStrokeWidth": 2}


def contributing_chart(rows: pd.DataFrame) -> vl.Spec:
    """Per region, a line of how many organisations contributed each month (from
    `core.partners.queries.contributing`)."""
    d = with_columns(rows, ["month", "region", "organisations"])
    d["month"] = pd.to_datetime(d["month"])
    chart = vl.Spec(
        datasets={"table": d},
        data={"name": "table"},
        mark=vl.mark("line", point=True, strokeWidth=2),
        encoding={
            # one tick a month (a time axis repeated a month's name between months)
            "x": vl.channel(
                "month:T",
                title="Month",
                axis={"format": AXIS_DATE_FORMAT, "tickCount": {"interval": "month", "step": 1}},
            ),
            "y": vl.channel(
                "organisations:Q", title="Organisations contributing", axis={"tickMinStep": 1}
            ),
            "color": vl.channel(
                "region:N", title="Region", scale={"scheme": KIND_SCHEME}, legend=_LINES
            ),
            # regions on the same count stay apart by their dashes, not colour alone (one
            # legend: the same field, title and legend as the colour)
            "strokeDash": vl.channel("region:N", title="Region", legend=_LINES),
            "tooltip": vl.tooltip(
                ("month:T", "Month", MONTH_FORMAT),
                ("region:N", "Region"),
                ("organisations:Q", "Organisations contributing"),
            ),
        },
    )
    return vl.described(chart, contributing_text(d))


def contributing_text(rows: pd.DataFrame) -> str:
    """For `contributing_chart`: the span of months and the latest month per region."""
    if rows.empty:
        return (
            "Organisations contributing per region: no status update, comment or measure "
            "value names an organisation yet."
        )
    months = pd.to_datetime(rows["month"])
    first, last = months.min(), months.max()
    latest = rows.assign(month=months).sort_values("month").groupby("region", sort=False).last()
    parts = [
        f"{region} {int(r['organisations'])} in {r['month']:{MONTH_FORMAT}}"
        for region, r in latest.iterrows()
    ]
    return (
        f"Organisations contributing per region, month by month from {first:{MONTH_FORMAT}} "
        f"to {last:{MONTH_FORMAT}}; latest: {_listed(parts)}."
    )


def activity_chart(rows: pd.DataFrame, name: str) -> vl.Spec:
    """One organisation's status updates, comments and measure values per month, as
    stacked bars (from `core.partners.queries.activity`)."""
    d = with_columns(rows, ["month", "kind", "count"])
    d["month"] = pd.to_datetime(d["month"])
    kinds = {
        "domain": ["Status updates", "Comments", "Measure values"],
        "range": [BAR_COLOR, "#E69F00", "#009E73"],
    }
    x = vl.channel(
        "month:T", timeUnit="yearmonth", title="Month", axis={"format": AXIS_DATE_FORMAT}
    )
    chart = vl.Spec(
        datasets={"table": d},
        data={"name": "table"},
        mark=vl.mark("bar"),
        encoding={
            "x": x,
            "y": vl.channel("sum(count):Q", title="Entries", axis={"tickMinStep": 1}),
            "color": vl.channel("kind:N", title="Kind", scale=kinds),
            "tooltip": vl.tooltip(
                ("month:T", "Month", MONTH_FORMAT), ("kind:N", "Kind"), ("count:Q", "Entries")
            ),
        },
    )
    return vl.described(chart, activity_text(d, name))


def activity_text(rows: pd.DataFrame, name: str) -> str:
    """For `activity_chart`: totals per kind over the months shown."""
    if rows.empty:
        return f"{name}'s activity: no updates, comments or measure values yet."
    totals = rows.groupby("kind", sort=False)["count"].sum()
    parts = [f"{str(kind).lower()} {int(n)}" for kind, n in totals.items()]
    months = pd.to_datetime(rows["month"])
    return (
        f"{name}'s activity per month from {months.min():{MONTH_FORMAT}} to "
        f"{months.max():{MONTH_FORMAT}}: {_listed(parts)}."
    )
