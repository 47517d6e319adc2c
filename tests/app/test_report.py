"""The Overview offers the printable progress report (ui/report.py) for its filters."""

from __future__ import annotations

from html import escape

import pytest
import streamlit as st


@pytest.fixture
def offered(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object, dict]]:
    """Every st.download_button call of the app (AppTest runs it in this process), so a
    test can call the deferred `data` the way Streamlit does on a click."""
    calls: list[tuple[str, object, dict]] = []
    real = st.download_button

    def spy(label, data, *args, **kwargs):
        calls.append((label, data, kwargs))
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    return calls


def test_overview_offers_report_download(history_db, new_app, offered) -> None:
    at = new_app()
    at.query_params["region"] = "southwest"
    at.run()

    assert not at.exception, [e.message for e in at.exception]
    assert [b.proto.label for b in at.get("download_button")] == ["Download progress report (HTML)"]
    label, build, kwargs = offered[-1]
    assert label == "Download progress report (HTML)"
    assert kwargs["file_name"] == "progress-report-2021-06-01.html"  # TRACKER_TODAY
    assert kwargs["mime"] == "text/html"
    assert kwargs["on_click"] == "ignore"
    assert callable(build)  # built on click, not on every run

    html = build()  # as Streamlit runs it: on its own thread, after the script run

    assert html.startswith("<!DOCTYPE html>")
    assert "<strong>Filters:</strong> Region: Southwest" in html
    assert "<strong>June 1, 2021</strong>" in html
    # Signed out: the Blocked outcome's note is for members only (tests/app/test_notes.py).
    assert escape("Waiting for the county's answer.") not in html
    assert "Note for members" in html
    assert "<strong>State</strong>" not in html
    assert html.count("<svg") == 6
