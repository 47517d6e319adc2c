"""The Overview's and Timeline's charts built with Altair's own layering (before) and
with core/charts/style.py's cheap-copy layer chart (after), in one process, interleaved.

    python bench/chart_ab.py --db /tmp/tracker-248.db --rounds 30

Builds, per round and variant, what a cold Overview draws (status bar, completion by
region and by need, region × need, freshness) and the Timeline's plan chart, each to
its Vega-Lite dict as Streamlit does (to_dict without validation), from the database's
own figures (core.progress queries; the frames are read once). "before" swaps
`layered` and `described` in the builders' modules for the old versions; the specs of
both are compared once. Prints the median CPU ms per chart and variant.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import altair as alt
import pandas as pd
from sqlmodel import Session

from core.charts import plan_timeline, progress, style
from core.progress import activity, derived, queries
from core.store.db import make_engine

MODULES = (progress, plan_timeline)


def old_layered(*charts: alt.Chart) -> alt.LayerChart:
    return alt.LayerChart(layer=list(charts))


def old_described(chart: alt.LayerChart, text: str) -> alt.LayerChart:
    return chart.properties(description=text).configure_mark(aria=False)


def frames(db: Path, today: date) -> dict[str, pd.DataFrame]:
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        rows = queries.outcome_rows(session)
        summaries = derived.term_summaries(session, today, {r["strategy_id"] for r in rows})
        derived.annotate(rows, summaries, today, 30)
        out = {
            "status": pd.DataFrame(
                {"status": list(s := queries.status_counts(session)), "count": list(s.values())}
            ),
            "region": pd.DataFrame(queries.completion(session, by=("region",))).rename(
                columns={"region": "label"}
            ),
            "need": pd.DataFrame(queries.completion(session, by=("need",))).rename(
                columns={"need": "label"}
            ),
            "grid": pd.DataFrame(queries.completion(session, by=("region", "need"))),
            "fresh": pd.DataFrame(activity.region_freshness(session, today)),
            "outcomes": pd.DataFrame(rows),
        }
    engine.dispose()
    return out


def builders(f: dict[str, pd.DataFrame], today: date) -> dict:
    rows = plan_timeline.timeline_rows(f["outcomes"])
    window = plan_timeline.plan_span(rows) or plan_timeline.next_months(today)
    return {
        "status_bar": lambda: progress.status_bar(f["status"]),
        "completion_by region": lambda: progress.completion_by(f["region"], "Region"),
        "completion_by need": lambda: progress.completion_by(f["need"], "Need"),
        "heatmap": lambda: progress.heatmap(f["grid"]),
        "freshness": lambda: progress.freshness(f["fresh"]),
        "plan_timeline": lambda: plan_timeline.plan_timeline(rows, today, window),
    }


def use(variant: str) -> None:
    for module in MODULES:
        module.layered = old_layered if variant == "before" else style.layered  # type: ignore[attr-defined]
        module.described = old_described if variant == "before" else style.described  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a seeded SQLite file")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2021, 6, 1))
    args = parser.parse_args(argv)
    build = builders(frames(args.db, args.today), args.today)
    specs = {}
    for variant in ("before", "after"):
        use(variant)
        specs[variant] = [make().to_dict(validate=False) for make in build.values()]
    print("specs identical:", specs["before"] == specs["after"])
    cpu: dict[tuple[str, str], list[float]] = {}
    for done in range(args.rounds):
        for variant in ("before", "after") if done % 2 else ("after", "before"):
            use(variant)
            for name, make in build.items():
                started = time.thread_time()
                make().to_dict(validate=False)
                cpu.setdefault((name, variant), []).append((time.thread_time() - started) * 1e3)
    print(f"{'chart':<22}{'before ms':>11}{'after ms':>10}{'after/before':>14}")
    totals = {"before": 0.0, "after": 0.0}
    for name in build:
        b, a = (statistics.median(cpu[(name, v)]) for v in ("before", "after"))
        totals["before"] += b
        totals["after"] += a
        print(f"{name:<22}{b:>11.1f}{a:>10.1f}{a / b:>14.2f}")
    t = totals
    ratio = t["after"] / t["before"]
    print(f"{'all six':<22}{t['before']:>11.1f}{t['after']:>10.1f}{ratio:>14.2f}")
    print(f"(median CPU ms of {args.rounds} interleaved rounds, to_dict without validation)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
