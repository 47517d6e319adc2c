"""Issue 14 item 3: the Regions page's region is `?region=`, the sidebar's region
filter (its first region when several), and every view shows its own link."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

PICK = "region_page_pick"


def region_page(new_app, query: dict[str, list[str]] | None = None) -> AppTest:
    at = new_app()
    for key, values in (query or {}).items():
        at.query_params[key] = values
    at.run()
    at.switch_page("pages/region.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def url_regions(at: AppTest) -> list[str]:
    value = at.query_params.get("region", [])
    return [value] if isinstance(value, str) else list(value)


def test_a_link_with_a_region_opens_that_region(db, new_app):
    at = region_page(new_app, {"region": ["southwest"]})
    assert at.selectbox(key=PICK).value == "southwest"
    assert at.title[0].value == "Southwest"


def test_several_sidebar_regions_show_the_first(db, new_app):
    at = region_page(new_app, {"region": ["northeast", "central"]})
    assert at.selectbox(key=PICK).value == "northeast"
    # Changing the sidebar filter changes the page: no stale pick.
    at.multiselect(key="f_region").set_value(["central"]).run()
    assert at.selectbox(key=PICK).value == "central"
    assert at.title[0].value == "Central"


def test_picking_a_region_writes_the_link_and_keeps_the_other_filters(db, new_app):
    at = region_page(new_app, {"region": ["northeast", "central"]})
    at.selectbox(key=PICK).select("central").run()
    assert not at.exception
    assert url_regions(at) == ["central", "northeast"]
    assert at.multiselect(key="f_region").value == ["central", "northeast"]
    at.selectbox(key=PICK).select("southwest").run()
    assert url_regions(at) == ["southwest"]
    assert at.title[0].value == "Southwest"


def test_the_copy_link_block_shows_the_view_address(db, new_app):
    at = region_page(new_app, {"region": ["southwest"], "q": ["legal aid"]})
    assert not at.sidebar.code  # drawn only while open: it is on every page
    at.session_state["share_link"] = True  # what opening the expander sets
    at.run()
    codes = [c.value for c in at.sidebar.code]
    assert any("region=southwest" in c and "q=legal+aid" in c for c in codes), codes


def test_the_region_timeline_is_drawn_only_once_opened(db, new_app):
    """Issue 15: the Gantt inside the collapsed "Timeline" expander was built and sent
    on every run of the page; now opening the expander draws it."""
    at = region_page(new_app, {"region": ["southwest"]})
    assert not at.get("vega_lite_chart")

    at.session_state["region_timeline"] = True  # what opening the expander sets
    at.run()

    assert not at.exception, [e.message for e in at.exception]
    (chart,) = at.get("vega_lite_chart")
    assert json.loads(chart.proto.spec)["description"].startswith("Timeline of 32 outcomes")
