"""The printed report's page shell: the HTML document with its print CSS, the header
(title, date, filters) and the footer (hotline and source), and dates in words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import escape

from core.models import Plan

HOTLINE_NUMBER = "1-888-373-7888"
HOTLINE_TEXT = "233733"


# The report's title block: plan title, when and by whom, and the filters in words.
def header(
    title: str, *, today: date, scope: str, generated_by: str | None, generated_at: datetime
) -> str:
    when = generated_at.astimezone(UTC)
    by = f" by {escape(generated_by)}" if generated_by else ""
    scope_text = (
        f"<strong>Filters:</strong> {escape(scope)}"
        if scope
        else "<strong>Scope:</strong> the whole plan (no filters)"
    )
    return f"""<header>
<p class="kicker">Progress report</p>
<h1>{escape(title)}</h1>
<p class="meta">Generated {day(when)}, {when:%H:%M} UTC{by} · schedules computed as of
<strong>{day(today)}</strong></p>
<p class="scope">{scope_text}</p>
<p class="screen-only hint">To print or save as PDF, use your browser's Print command
(Ctrl+P, or ⌘P on a Mac).</p>
</header>
"""


# The hotline, a word of thanks to partners, and the source of the strategic plan.
def footer(plan: Plan | None) -> str:
    title = escape(plan.title) if plan else "the strategic plan"
    authors = escape(plan.authors) if plan else ""
    published = f", {plan.published}" if plan else ""
    return f"""<footer>
<p class="hotline">Need help or want to report a situation? National Human Trafficking Hotline:
call {HOTLINE_NUMBER} or text {HOTLINE_TEXT} (24/7, confidential, 200+ languages). In an
emergency, call 911.</p>
<p>Every outcome here is shared work by survivors, service providers and community partners
across Missouri and the Metro East, building safety, stability and justice together.</p>
<p class="source">Source: <em>{title}</em> ({authors}{published}). Its timelines are
guidance, to be moved to each community's start date; its logic models are living
documents.</p>
</footer>
"""


# A date in words for headings: "June 1, 2021".
def day(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


# A date in table cells: "Jun 1, 2021".
def short_day(d: date) -> str:
    return f"{d:%b} {d.day}, {d.year}"


# The whole HTML document around the report's content, with its print CSS.
def page(title: str, today: date, content: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Progress report · {escape(title)} · {today.isoformat()}</title>
<style>{CSS}</style>
</head>
<body>
{content}
</body>
</html>
"""


# Print CSS: page margins and numbers, tables that repeat their header, no split cards.
CSS = """
@page { margin: 14mm 13mm 16mm; }
@page {
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
                  font: 8pt system-ui, sans-serif; color: #5f6368; }
}
:root { --ink: #1f2328; --muted: #5f6368; --rule: #d0d7de; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Liberation Sans", sans-serif;
  color: var(--ink); font-size: 10pt; line-height: 1.4;
  max-width: 190mm; margin: 0 auto; padding: 10mm 8mm;
}
@media print {
  body { max-width: none; padding: 0; }
  .screen-only { display: none; }
}
header { border-bottom: 2pt solid var(--ink); padding-bottom: 3mm; margin-bottom: 4mm; }
.kicker { text-transform: uppercase; letter-spacing: 0.08em; font-size: 8.5pt;
          color: var(--muted); margin: 0; }
h1 { font-size: 17pt; line-height: 1.2; margin: 1mm 0 2mm; }
h2 { font-size: 13pt; margin: 7mm 0 2.5mm; padding-bottom: 1mm;
     border-bottom: 0.75pt solid var(--ink); break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; page-break-after: avoid; }
header p { margin: 0.8mm 0; }
.hint { color: var(--muted); font-size: 9pt; }
.explain { font-size: 9pt; color: var(--muted); margin: 1mm 0 3mm; }
.empty { font-style: italic; color: var(--muted); }
.stats { display: grid; grid-template-columns: repeat(5, 1fr); gap: 2.5mm; margin: 2mm 0; }
.stat { border: 0.75pt solid var(--rule); border-radius: 1.5mm; padding: 2mm 2.5mm;
        break-inside: avoid; }
.stat .label { font-size: 8.5pt; color: var(--muted); }
.stat .value { font-size: 18pt; font-weight: 700; line-height: 1.2; }
.stat .sub { font-size: 7.5pt; color: var(--muted); }
.split { display: grid; grid-template-columns: 2fr 3fr; gap: 6mm; align-items: start; }
.keep, figure, tr, .stats, table.compact { break-inside: avoid; page-break-inside: avoid; }
table { width: 100%; border-collapse: collapse; font-size: 9pt; }
thead { display: table-header-group; }
th, td { text-align: left; vertical-align: top; padding: 1mm 1.5mm;
         border-bottom: 0.5pt solid var(--rule); }
thead th { border-bottom: 1pt solid var(--ink); font-weight: 600; vertical-align: bottom; }
tbody th { font-weight: 500; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.rate { font-weight: 700; }
table.outcomes { table-layout: fixed; font-size: 8pt; line-height: 1.3; }
table.outcomes td { overflow-wrap: anywhere; }
col.c-where { width: 22%; } col.c-text { width: 31%; } col.c-due { width: 11%; }
col.c-days { width: 8%; } col.c-status { width: 10%; } col.c-note { width: 18%; }
thead th.num { white-space: normal; }
.day { white-space: nowrap; }
.sub { display: block; color: var(--muted); font-size: 7.5pt; }
.muted { color: var(--muted); font-style: italic; }
.note { white-space: pre-line; }
.term { font-weight: 700; }
.chip { display: inline-block; width: 0.75em; height: 0.75em; margin-right: 0.35em;
        border: 1px solid; border-radius: 2px; vertical-align: -0.05em; }
figure { margin: 3mm 0 2mm; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: var(--muted); margin-top: 1mm; }
footer { margin-top: 8mm; padding-top: 3mm; border-top: 1pt solid var(--ink);
         font-size: 9pt; break-inside: avoid; page-break-inside: avoid; }
footer p { margin: 1mm 0; }
.hotline { font-weight: 600; }
.source { color: var(--muted); }
"""
