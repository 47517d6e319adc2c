"""Chart builders for the dashboard: one function per chart, DataFrame in, Vega-Lite spec
out (a plain dict, `vl.Spec`; core/charts/vl.py says why not Altair's objects).

Builders are pure (no I/O, no Streamlit) and accept empty frames: they return a chart
with no marks and leave the empty-state message to the page. Widths are left unset so
the page can stretch a chart to its container.

`vl` holds the spec type and its few helpers; `style` the shared colours, sizes and
encoders; `frames` and `timeline` the Gantt of outcomes and strategies; `progress` the
status, completion, heatmap and freshness charts; `burnup` progress against plan over time.
Callers use this package's names (`charts.timeline`, `charts.STATUS_ORDER`).
"""

from __future__ import annotations

from core.charts.burnup import burnup_chart, burnup_small_multiples, burnup_table
from core.charts.frames import GANTT_COLUMNS, gantt_frame, strategy_frame, strategy_span_frame
from core.charts.progress import (
    completion_by,
    freshness,
    heatmap,
    status_bar,
)
from core.charts.style import (
    AGGREGATE_THRESHOLD,
    AXIS_DATE_FORMAT,
    BAR_COLOR,
    BAR_STEP,
    CELL_STEP,
    DATE_FORMAT,
    DATE_KIND_ESTIMATED,
    DATE_KIND_ORDER,
    DATE_KIND_REPORTED,
    DONE_COLOR,
    ESTIMATED_BASES,
    LABEL_LIMIT,
    MAX_HEIGHT,
    MIN_HEIGHT,
    MUTED_COLOR,
    RATE_SCHEME,
    ROW_HEIGHT,
    STATUS_COLORS,
    STATUS_ORDER,
    STATUS_SELECTION,
    STATUS_SHAPES,
    STATUS_STROKES,
    STRATEGY_SELECTION,
    TERM_LETTERS,
    TERM_RANK,
    TODAY_COLOR,
)
from core.charts.timeline import strategy_timeline, timeline

__all__ = [
    "AGGREGATE_THRESHOLD",
    "AXIS_DATE_FORMAT",
    "BAR_COLOR",
    "BAR_STEP",
    "CELL_STEP",
    "DATE_FORMAT",
    "DATE_KIND_ESTIMATED",
    "DATE_KIND_ORDER",
    "DATE_KIND_REPORTED",
    "DONE_COLOR",
    "ESTIMATED_BASES",
    "GANTT_COLUMNS",
    "LABEL_LIMIT",
    "MAX_HEIGHT",
    "MIN_HEIGHT",
    "MUTED_COLOR",
    "RATE_SCHEME",
    "ROW_HEIGHT",
    "STATUS_COLORS",
    "STATUS_ORDER",
    "STATUS_SELECTION",
    "STATUS_SHAPES",
    "STATUS_STROKES",
    "STRATEGY_SELECTION",
    "TERM_LETTERS",
    "TERM_RANK",
    "TODAY_COLOR",
    "burnup_chart",
    "burnup_small_multiples",
    "burnup_table",
    "completion_by",
    "freshness",
    "gantt_frame",
    "heatmap",
    "status_bar",
    "strategy_frame",
    "strategy_span_frame",
    "strategy_timeline",
    "timeline",
]
