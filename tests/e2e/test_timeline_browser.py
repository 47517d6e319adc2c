"""Issue 14 items 1, 2 and 7 in Chromium: the Timeline collapsed to strategies and
opened by name, the agenda instead of the chart on a narrow screen, the report's-dates
banner, and a chart's "Show as table" switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_browser import assert_no_exception, open_page, wait_for_app
from tests.e2e.test_phones import ANDROID

pytestmark = pytest.mark.e2e

CHART = "[data-testid='stVegaLiteChart']"
BANNER = ".st-key-report_dates_banner"
# At least one chart, and every chart drawn.
ALL_DRAWN = f"""
() => document.querySelectorAll("{CHART}").length > 0
  && [...document.querySelectorAll("{CHART}")].every(c => c.querySelector("svg.marks"))
"""


@pytest.mark.parametrize("path", ["", "/timeline", "/overdue"])
def test_banner_says_how_many_outcomes_run_on_the_report_dates(server, page: Page, path) -> None:
    open_page(page, f"{server.url}{path}")

    banner = page.locator(BANNER)
    expect(banner).to_contain_text("of 248 outcomes still run on the report's dates")
    expect(banner).to_contain_text("overdue on the report's dates")
    expect(banner.get_by_role("link")).to_have_count(0)  # the editor link is for admins
    assert_no_exception(page)


def test_timeline_opens_collapsed_and_names_rows_by_their_words(server, page: Page) -> None:
    open_page(page, f"{server.url}/timeline")
    chart = page.locator(CHART)
    expect(chart.locator("svg.marks")).to_be_visible()
    labels = chart.locator("text")
    # the e2e server is shared: earlier tests may have marked a State outcome done
    expect(labels.filter(has_text=re.compile(r"^State \(\d+ of 46 done\)$"))).to_have_count(1)
    expect(labels.filter(has_text="MO Housing Development Commission")).to_have_count(1)
    expect(labels.filter(has_text="S1 ·")).to_have_count(0)  # no outcome rows yet
    height = chart.bounding_box()["height"]
    assert height < 1_200, height  # was about 5,300 px for 248 rows

    picker = page.get_by_test_id("stMultiSelect").filter(has_text="Show the outcomes of")
    picker.locator("input").fill("MO Housing")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    wait_for_app(page)

    expect(chart.locator("text").filter(has_text="S1 ·").first).to_be_visible()
    assert_no_exception(page)


def _settled_count(page: Page, selector: str) -> int:
    """The number of matching elements once it stops changing (charts draw one by
    one on a loaded machine)."""
    seen, same = -1, 0
    for _ in range(50):
        count = page.locator(selector).count()
        same = same + 1 if count == seen else 0
        if same >= 3:
            return count
        seen = count
        page.wait_for_timeout(200)
    return seen


def test_show_as_table_switch_replaces_the_chart(server, page: Page) -> None:
    open_page(page, server.url)
    page.wait_for_function(ALL_DRAWN)
    charts_before = _settled_count(page, CHART)
    tables_before = page.get_by_test_id("stDataFrame").count()

    switch = page.get_by_test_id("stCheckbox").filter(has_text="Show as table").first
    switch.locator("input").focus()
    page.keyboard.press("Space")  # by keyboard alone
    wait_for_app(page)
    page.wait_for_function(ALL_DRAWN)

    expect(page.get_by_test_id("stDataFrame")).to_have_count(tables_before + 1)
    expect(page.locator(CHART)).to_have_count(charts_before - 1)
    assert_no_exception(page)


def test_narrow_screen_shows_the_agenda_not_the_chart(server, browser) -> None:
    # A phone's browser (ui/screen.py: its user agent on a first visit).
    context = browser.new_context(viewport={"width": 420, "height": 900}, user_agent=ANDROID)
    page = context.new_page()
    try:
        open_page(page, f"{server.url}/timeline")

        expect(page.locator(".st-key-timeline_agenda")).to_be_visible()
        expect(page.get_by_text("Due by month")).to_be_visible()
        expect(page.locator(".st-key-timeline_chart")).to_be_hidden()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 420, width
    finally:
        context.close()
