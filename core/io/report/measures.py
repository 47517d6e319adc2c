"""The printed report's measures section: each measure the filters select with its
baseline, its target (and the report's own words), its latest value and its computed
state, grouped by Results-Based Accountability's three questions. Returns escaped
HTML; the measures come from core.measures.queries."""

from __future__ import annotations

from html import escape

from core.io.report.page import short_day
from core.measures.queries import MeasureRow
from core.measures.state import MeasureState
from core.models import RbaCategory

QUESTIONS = {
    RbaCategory.HOW_MUCH: "How much did we do?",
    RbaCategory.HOW_WELL: "How well did we do it?",
    RbaCategory.BETTER_OFF: "Is anyone better off?",
}
# Text marks beside the state, so it reads the same printed in black and white.
STATE_MARKS = {
    MeasureState.ON_TRACK: "✓",
    MeasureState.AT_RISK: "!",
    MeasureState.OFF_TRACK: "✗",
    MeasureState.NO_TARGET: "–",
    MeasureState.NO_VALUE: "…",
}


def measures_section(rows: list[MeasureRow]) -> str:
    """The section, or a line saying that no measure matches the filters."""
    if not rows:
        return (
            '<section><h2>Measures</h2><p class="empty">No measures match these '
            "filters.</p></section>"
        )
    counts = " · ".join(
        f"{n:,} {s.value}" for s in MeasureState if (n := sum(r.state == s for r in rows))
    )
    groups = "".join(
        _group(q, [r for r in rows if r.measure.rba == c]) for c, q in QUESTIONS.items()
    )
    return f"""<section>
<h2>Measures ({len(rows):,})</h2>
<p class="explain">{escape(counts)}. On track, at risk and off track are computed from
each measure's target, its direction, its latest value and its date; the target is as the
report words it (quoted beneath), and a measure the report gives no number for has none.</p>
{groups}
</section>
"""


def _group(question: str, rows: list[MeasureRow]) -> str:
    if not rows:
        return ""
    body = "".join(_row(r) for r in rows)
    return f"""<h3>{escape(question)}</h3>
<table class="outcomes measures">
<colgroup><col class="c-where"><col class="c-text"><col class="c-due"><col class="c-note">
<col class="c-days"><col class="c-status"></colgroup>
<thead><tr><th scope="col">Region · measure</th><th scope="col">Target</th>
<th scope="col">Baseline</th><th scope="col">Latest value</th><th scope="col">As of</th>
<th scope="col">State</th></tr></thead>
<tbody>{body}</tbody>
</table>
"""


def _row(r: MeasureRow) -> str:
    m = r.measure
    unit = f" {m.unit}" if m.unit else ""
    by = f'<span class="sub">by {short_day(r.by)}</span>' if r.by else ""
    words = f'<span class="sub">“{escape(m.as_written)}”</span>' if m.as_written else ""
    base = "—" if m.baseline_value is None else f"{m.baseline_value:g}{unit}"
    base_day = f'<span class="sub">{short_day(m.baseline_date)}</span>' if m.baseline_date else ""
    latest = r.latest
    value = "—" if latest is None else f"{latest.value:g}{unit}"
    as_of = "—" if latest is None else short_day(latest.as_of)
    return (
        f'<tr><td><span class="sub"><strong>{escape(r.region_name)}</strong> · '
        f"{escape(r.subject)}</span>{escape(m.name)}</td>"
        f"<td>{escape(r.target.describe(m.unit))}{by}{words}</td>"
        f"<td>{escape(base)}{base_day}</td><td>{escape(value)}</td>"
        f'<td><span class="day">{as_of}</span></td>'
        f"<td>{STATE_MARKS[r.state]} {escape(r.state.value)}</td></tr>"
    )
