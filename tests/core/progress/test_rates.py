"""Completion rates as text (core.progress.rates), shared by the dashboard and the report."""

from __future__ import annotations

import math

import pytest

from core.progress.rates import rate_text


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (None, "—"),  # no active outcomes
        (math.nan, "—"),  # pandas' missing rate
        (0.0, "0%"),
        (0.004, "<1%"),  # a start is not shown as 0%
        (0.0099, "<1%"),
        (0.01, "1%"),
        (0.125, "12%"),
        (0.5, "50%"),
        (2 / 3, "67%"),
        (1.0, "100%"),
    ],
)
def test_rate_text(rate, text):
    assert rate_text(rate) == text
