"""Charts as inline SVG for the printed report: rendered by vl-convert, which bundles its
own Vega runtime and may fetch nothing, so the page needs no network to open or print."""

from __future__ import annotations

import functools
import re
from html import escape

import vl_convert as vlc
from altair.vegalite.v6.schema import SCHEMA_VERSION

from core.charts.vl import Spec

# Plot widths in CSS px. A4 and Letter portrait with these margins leave about 680 px;
# each SVG also scales down to the page (max-width: 100%).
BAR_WIDTH = 380
WIDE_WIDTH = 600
_NAMESPACE = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')  # inline <svg> in HTML needs none


def chart_svg(chart: Spec, *, label: str, width: int) -> str:
    """`chart` as an inline <svg> element `width` px wide (plot area), labelled for
    screen readers. vl-convert may not load data from any URL."""
    # The builders' specs are validated by their own tests; skipping the schema check
    # here saves about 20 ms a chart.
    spec = {**chart.to_dict(validate=False), "width": width}
    svg = vlc.vegalite_to_svg(spec, vl_version=_vl_version(), allowed_base_urls=[])
    root, rest = svg.split(">", 1)  # the namespaces are on the root tag
    root = _NAMESPACE.sub("", root).replace("<svg", '<svg role="img"', 1)
    return f'{root} aria-label="{escape(label)}">{rest}'


@functools.cache
def _vl_version() -> str | None:
    """The Vega-Lite version Altair writes, if vl-convert bundles it (else its latest)."""
    wanted = ".".join(SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


# A chart with its caption, as the report prints it.
def figure(chart: Spec, label: str, width: int, caption: str) -> str:
    return (
        f"<figure>{chart_svg(chart, label=label, width=width)}"
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )
