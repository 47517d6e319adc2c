"""The evaluation's figures as CSV files (core.progress.evaluation): the per-region
table and the period-by-period series, columns named in words, one row per region
(× period). The same conventions as core/io/exports.py: UTF-8 with a byte-order mark,
CRLF line ends, cells never read as formulas."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pandas as pd

from core.io.exports import escape
from core.progress.evaluation import CURRENT, LABELS, SERIES


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, date):
        return value.isoformat()
    return escape(str(value))


def _csv(frame: pd.DataFrame, columns: list[str]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([LABELS[c] for c in columns])
    for row in frame.reindex(columns=columns).itertuples(index=False):
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def current_csv(frame: pd.DataFrame) -> bytes:
    """`evaluation.current`'s table: one row per region."""
    return _csv(frame, CURRENT)


def series_csv(frame: pd.DataFrame) -> bytes:
    """`evaluation.over_time`'s series: one row per region and period."""
    return _csv(frame, SERIES)


def file_name(what: str, today: date) -> str:
    return f"evaluation-{what}-{today:%Y-%m-%d}.csv"
