"""Completion rates as text, the same on the dashboard and in the printed report."""

from __future__ import annotations

import pandas as pd


def rate_text(rate: float | None) -> str:
    """A completion rate (done ÷ active outcomes, 0..1) as a whole percentage: "—" when
    nothing is active (None or NaN), "<1%" for a start that would round to 0%."""
    if rate is None or pd.isna(rate):
        return "—"
    return "<1%" if 0 < rate < 0.01 else f"{rate:.0%}"
