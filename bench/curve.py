"""The capacity curve: sessions against rerun p95, drawn with Altair, saved as PNG.

    python bench/capacity.py --sessions 5,10,15,25,50,100 --seconds 45 | tee capacity.log
    python bench/curve.py capacity.log                       # -> bench/capacity_curve.png
    python bench/curve.py before.log after.log --labels before after

Reads the per-level lines bench/capacity.py prints (`sessions=N reruns=… rerun_p50_ms=…
rerun_p95_ms=…`) from each log, draws p50 and p95 against sessions with the 1 s knee
line, and writes the PNG with vl-convert (no request leaves the machine; vl-convert
bundles Vega). Prints the points it drew.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert as vlc

LEVEL = re.compile(r"^sessions=(\d+) reruns=\d+ rerun_p50_ms=(\d+) rerun_p95_ms=(\d+)")
KNEE_MS = 1000


def points(log: Path, label: str) -> list[dict]:
    rows = []
    for line in log.read_text(errors="replace").splitlines():
        if found := LEVEL.match(line):
            sessions, p50, p95 = map(int, found.groups())
            rows.append({"run": label, "sessions": sessions, "percentile": "p95", "ms": p95})
            rows.append({"run": label, "sessions": sessions, "percentile": "p50", "ms": p50})
    return rows


def curve(data: pd.DataFrame) -> alt.LayerChart:
    lines = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("sessions:Q", title="Concurrent sessions (5 s think time)"),
            y=alt.Y("ms:Q", title="Rerun time, ms (log scale)", scale=alt.Scale(type="log")),
            color=alt.Color("run:N", title="Run"),
            strokeDash=alt.StrokeDash(
                "percentile:N",
                title="Percentile",
                legend=alt.Legend(
                    symbolType="stroke", symbolStrokeColor="#333333", symbolStrokeWidth=2
                ),
            ),
            tooltip=["run:N", "sessions:Q", "percentile:N", "ms:Q"],
        )
    )
    knee = alt.Chart(pd.DataFrame({"ms": [KNEE_MS]})).mark_rule(color="#CC0000").encode(y="ms:Q")
    return alt.layer(lines, knee).properties(
        width=560,
        height=320,
        title="One server process: rerun time against sessions (solid p50, dashed p95, red 1 s)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("logs", type=Path, nargs="+")
    parser.add_argument("--labels", nargs="+", help="one per log (default: file names)")
    parser.add_argument(
        "-o", "--out", type=Path, default=Path(__file__).resolve().parent / "capacity_curve.png"
    )
    args = parser.parse_args(argv)
    labels = args.labels or [log.stem for log in args.logs]
    if len(labels) != len(args.logs):
        parser.error("give one label per log")
    rows = [row for log, label in zip(args.logs, labels, strict=True) for row in points(log, label)]
    if not rows:
        parser.error("no `sessions=N reruns=…` lines in the logs")
    data = pd.DataFrame(rows)
    args.out.write_bytes(vlc.vegalite_to_png(curve(data).to_dict(), scale=2))
    print(data.pivot_table(index=["run", "sessions"], columns="percentile", values="ms"))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
