"""The real app in headless Chromium: pages render their charts, links restore
filters, and a lead's update shows on the Overview."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from core.models import Outcome, Status
from core.store.db import make_engine

pytestmark = pytest.mark.e2e

CHART = "[data-testid='stVegaLiteChart']"
# A chart is drawn once vega-embed has put a canvas or an svg into it.
DRAWN_CHART = f"{CHART} canvas, {CHART} svg.marks"
MARKED_DONE = "state-housing.ht-taskforce.short.1"  # test_lead_marks_outcome_done
COUNTED_DONE = "state-housing.ht-taskforce.short.2"  # test_marked_done_shows_on_overview


def wait_for_app(page: Page) -> None:
    """Wait until the script run has finished and its output is on screen."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    page.wait_for_selector("h1")


def open_page(page: Page, url: str) -> Page:
    page.goto(url)
    wait_for_app(page)
    return page


def assert_no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def status_in_db(server, outcome_id: str) -> str:
    engine = make_engine(f"sqlite:///{server.db_file}")
    try:
        with Session(engine) as session:
            return session.get(Outcome, outcome_id).status
    finally:
        engine.dispose()


def sign_in(page: Page, server) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Sign in to record progress").click()
    sidebar.get_by_role("textbox", name="Username").fill(server.lead)
    sidebar.get_by_role("textbox", name="Password").fill(server.password)
    sidebar.get_by_role("button", name="Sign in").click()
    expect(sidebar.get_by_text("Lead State")).to_be_visible()
    wait_for_app(page)


def go_to(page: Page, title: str) -> None:
    """Follow the sidebar's navigation link (a reload would start a new session)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    wait_for_app(page)


def done_metric(page: Page):
    return (
        page.get_by_test_id("stMetric")
        .filter(has=page.get_by_test_id("stMetricLabel").get_by_text("Done", exact=True))
        .get_by_test_id("stMetricValue")
    )


def done_button(page: Page, outcome_id: str):
    # Keyed widgets carry the class st-key-<key>, with characters other than
    # letters, digits, "-" and "_" replaced by "-".
    key = re.sub(r"[^A-Za-z0-9_-]", "-", f"done_{outcome_id}")
    return page.locator(f".st-key-{key}").get_by_role("button", name="Done")


def test_overview_renders_charts(server, page: Page) -> None:
    open_page(page, server.url)

    expect(page.locator("h1")).to_have_text("Statewide progress")
    expect(page.locator(DRAWN_CHART).nth(2)).to_be_visible()
    assert page.locator(CHART).count() >= 3
    expect(page.get_by_test_id("stMetric")).to_have_count(5)
    # the shared server may already hold updates from other tests: either state is fine
    expect(
        page.get_by_text("No status updates yet.").or_(page.get_by_text("Latest updates"))
    ).to_be_visible()
    assert_no_exception(page)
    expect(page).to_have_title(re.compile("Missouri Anti-Trafficking Plan Tracker"))


def test_overview_tabs_draw_their_chart_when_opened(server, page: Page) -> None:
    """Issue 15: only an open tab's chart is drawn; clicking another tab draws its own."""
    open_page(page, server.url)
    expect(page.locator(DRAWN_CHART).nth(3)).to_be_visible()
    assert page.locator(CHART).count() == 4  # status, completion, progress, freshness

    completion, progress = page.locator(CHART).nth(1), page.locator(CHART).nth(2)
    page.get_by_role("tab", name="Region × need").click()
    wait_for_app(page)
    # the heatmap: needs across, regions down (the by-region bars name no need)
    expect(completion).to_contain_text("Housing and shelter")
    page.get_by_role("tab", name="By region", exact=True).last.click()  # progress against plan
    wait_for_app(page)
    # one small burn-up per region (the statewide burn-up names no region)
    expect(progress).to_contain_text("Southwest")
    assert page.locator(CHART).count() == 4
    assert_no_exception(page)


def test_timeline_renders_chart(server, page: Page) -> None:
    open_page(page, f"{server.url}/timeline")

    expect(page.locator("h1")).to_have_text("Timeline")
    expect(page.locator(CHART)).to_have_count(1)
    expect(page.locator(DRAWN_CHART).first).to_be_visible()
    assert_no_exception(page)


def test_link_restores_filters(server, page: Page) -> None:
    link = "plan_browser?region=southwest&need=mental-health&schedule=overdue"
    open_page(page, f"{server.url}/{link}")

    expect(page.locator("h1")).to_have_text("Plan browser")
    caption = page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").first
    expect(caption).to_contain_text("Region: Southwest")
    expect(caption).to_contain_text("Need: Mental health and substance use")
    expect(caption).to_contain_text("Schedule: Overdue")
    sidebar = page.get_by_test_id("stSidebar")
    for label, value in [
        ("Region", "Southwest"),
        ("Need", "Mental health and substance use"),
        ("Schedule", "Overdue"),
    ]:
        widget = sidebar.get_by_test_id("stMultiSelect").filter(
            has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)
        )
        expect(widget).to_contain_text(value)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(1)
    assert "region=southwest" in page.url and "schedule=overdue" in page.url
    assert_no_exception(page)


def test_lead_marks_outcome_done(server, page: Page) -> None:
    open_page(page, f"{server.url}/region")
    sign_in(page, server)
    expect(page.locator("h1")).to_have_text("State")

    done_button(page, MARKED_DONE).click()

    expect(page.get_by_text("Marked done.")).to_be_visible()
    assert_no_exception(page)
    assert status_in_db(server, MARKED_DONE) == Status.DONE.value


def test_marked_done_shows_on_overview(server, page: Page) -> None:
    """Within one session (navigation links, no reload), as a lead would see it."""
    open_page(page, server.url)
    sign_in(page, server)
    go_to(page, "Overview")  # a lead signs in to My work
    before = int(done_metric(page).inner_text())
    go_to(page, "Regions")

    done_button(page, COUNTED_DONE).click()
    expect(page.get_by_text("Marked done.")).to_be_visible()
    go_to(page, "Overview")

    expect(done_metric(page)).to_have_text(str(before + 1), timeout=10_000)


def test_deep_link_on_a_cold_server_goes_through_dashboard(start_server, page: Page) -> None:
    """The first request after a (re)start is a page's link, on a private deployment:
    it must still pass dashboard.py's sign-in gate (Streamlit runs apps with a pages/
    folder in legacy mode until some session calls st.navigation)."""
    private = start_server(seed=False, TRACKER_PRIVATE="true")

    open_page(page, f"{private.url}/timeline")

    expect(page.get_by_text("This deployment is private.")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_contain_text("Timeline")
    expect(page.get_by_text("Sign in to record progress")).to_be_visible()
    expect(page.get_by_text("Human Trafficking Hotline")).to_be_visible()
    expect(page.locator(CHART)).to_have_count(0)
    assert_no_exception(page)


def test_a_lead_s_link_to_my_work_opens_in_a_new_tab(server, page: Page) -> None:
    """My work was a lead's default page, which Streamlit serves at / only: opened by
    its own address (/my_work) in a new tab, it came with a "Page not found" box."""
    open_page(page, server.url)
    sign_in(page, server)
    expect(page.locator("h1")).to_have_text("My work")  # a lead's home

    other = open_page(page.context.new_page(), f"{server.url}/my_work")
    expect(other.locator("h1")).to_have_text("My work")
    expect(other.get_by_text("Page not found")).to_have_count(0)
    assert_no_exception(other)
    go_to(other, "Overview")  # the Overview is still one click away
    expect(other.locator("h1")).to_have_text("Statewide progress")
