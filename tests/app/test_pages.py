"""Every page under AppTest (STYLE §4 smoke tests), on a fresh database and on one
with history, plus filters in the URL, empty results, a broken database and the
admin-only Users page."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test

from core.charts import plan_timeline as pt
from core.config import PROJECT_ROOT
from core.models import Outcome, Role, Status
from core.people.permissions import Actor
from core.store.db import make_engine

from .conftest import APP, PAGES, by_label, make_user, point_settings_at, shown, texts

TITLES = {
    "dashboard.py": "Statewide progress",
    "pages/overview.py": "Statewide progress",
    "pages/timeline.py": "Timeline",
    "pages/overdue.py": "Overdue & due soon",
    "pages/region.py": "State",  # the first region, when no region is filtered
    "pages/plan_browser.py": "Plan browser",
}
# Charts (st.vega_lite_chart) appear in AppTest's tree as "vega_lite_chart" nodes.
# status, completion (its open tab: by region), progress against plan (its open tab:
# statewide), freshness; the other tabs are drawn when opened
OVERVIEW_CHARTS = 4
CHARTS = {
    "dashboard.py": OVERVIEW_CHARTS,
    "pages/overview.py": OVERVIEW_CHARTS,
    "pages/timeline.py": 1,
    "pages/overdue.py": 0,
    "pages/region.py": 0,  # the region's timeline is drawn when its expander is opened
    "pages/plan_browser.py": 0,
}
TABLES = {"pages/overdue.py": 2, "pages/plan_browser.py": 1}  # overdue + due soon


def charts(at: AppTest) -> list:
    return at.get("vega_lite_chart")


def assert_page_ok(at: AppTest, page: str, *, extra_charts: int = 0) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.title) == [TITLES[page]]
    assert len(charts(at)) == CHARTS[page] + extra_charts
    assert len(at.dataframe) == TABLES.get(page, 0)
    assert not at.error, texts(at.error)
    assert any("Human Trafficking Hotline" in c for c in texts(at.markdown)), "footer missing"


@pytest.mark.backends("sqlite", "postgresql")
@pytest.mark.parametrize("page", ["dashboard.py", *PAGES])
def test_page_runs_on_fresh_database(db_file: Path, backend: str, new_app, page: str) -> None:
    at = new_app(page).run()

    assert_page_ok(at, page)
    if backend == "sqlite":
        assert db_file.is_file(), "the app should create and seed its database on first start"
    with Session(make_engine()) as session:  # DATABASE_URL: the test's database
        assert session.exec(select(func.count(Outcome.id))).one() > 0


@pytest.mark.backends("sqlite", "postgresql")
@pytest.mark.parametrize("page", ["dashboard.py", *PAGES])
def test_page_runs_with_status_history(history_db, new_app, page: str) -> None:
    at = new_app(page).run()

    assert_page_ok(at, page)  # the burn-up is drawn with or without history


def test_overview_shows_progress_against_plan(history_db, new_app) -> None:
    at = new_app().run()

    assert not at.exception, [e.message for e in at.exception]
    subheaders = texts(at.subheader)
    assert "Progress against plan" in subheaders
    assert "Completions over time" not in subheaders  # the weekly chart it replaces
    specs = [json.loads(c.proto.spec) for c in charts(at)]
    burnup = next(s for s in specs if s["description"].startswith("By June 2021"))
    # SW_DONE is Done; SW_UNDONE's Done was undone
    assert burnup["description"].startswith("By June 2021, 1 of 248 outcomes done; ")
    assert not [s for s in specs if "facet" in s]  # the regions' tab is drawn when opened

    at.session_state["overview_progress"] = "By region"  # what opening the tab sets
    specs = [json.loads(c.proto.spec) for c in charts(at.run())]
    assert not at.exception, [e.message for e in at.exception]
    regions = next(s for s in specs if "facet" in s and "Southwest 1 of 32" in s["description"])
    assert regions["columns"] == 3
    assert not [s for s in specs if s["description"].startswith("By June 2021, ")]


@pytest.mark.parametrize(
    ("tab", "sentence"),
    [
        ("By region", "Completion by region: "),
        ("By need", "Completion by need: "),
        ("Region × need", "Completion by region and need"),
    ],
)
def test_overview_draws_the_completion_tab_that_is_open(db, new_app, tab, sentence) -> None:
    at = new_app()
    at.session_state["overview_completion"] = tab
    specs = [json.loads(c.proto.spec) for c in charts(at.run())]
    assert not at.exception, [e.message for e in at.exception]
    drawn = [s["description"] for s in specs if s["description"].startswith("Completion by")]
    assert len(drawn) == 1 and drawn[0].startswith(sentence)


def test_overview_how_to_read_is_drawn_only_once_opened(db, new_app) -> None:
    """Its long text was parsed by the browser on every visit of the Overview."""
    at = new_app().run()
    assert not [m for m in at.markdown if "Completion** is done outcomes" in m.value]
    at.session_state["overview_how_to_read"] = True  # what opening the expander sets
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [m for m in at.markdown if "Completion** is done outcomes" in m.value]


def test_overview_counts_history(history_db, new_app) -> None:
    assert history_db.updates == 5
    at = new_app(user_id=history_db.admin_id).run()  # a member: every note (test_notes.py)

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Done"] == "1"  # the second Done was undone
    assert metrics["Blocked"] == "1"
    assert "No status updates yet." not in texts(at.info)
    assert "Latest updates" in texts(at.subheader)
    (listing,) = [m for m in texts(at.markdown) if m.startswith("- **admin**")]  # one list
    latest = listing.split("\n")
    assert len(latest) == 5  # newest first: the undo, its Done, In progress, Blocked, Done
    assert "→ **Not started**" in latest[0]
    assert "Waiting for the county" in latest[3]  # escaped (ui/text.py): no punctuation
    assert "Met with the task force" in latest[4]


def test_the_overview_counts_follow_saves_and_undos_in_a_running_session(db, new_app) -> None:
    """Issue 15: the counts are moved on by each save (core/progress/counts.advance),
    not counted again: a save, an undo and a save of another region show on the next
    run of a session that is already open, in every figure (and so in another page's)."""
    from core.progress.updates import revert_update
    from core.store.db import write_session

    from .conftest import record, version_of

    at = new_app().run()

    def figures() -> dict[str, str]:
        assert not at.exception, [e.message for e in at.exception]
        return {m.label: m.value for m in at.metric}

    assert figures()["Done"] == "0"
    done = record(db, SIGNED_IN, "southwest.legal-services.short.1", Status.DONE.value)
    at.run()
    assert figures()["Done"] == "1"
    record(
        db, SIGNED_IN, "central.crisis-shelter.medium.1", Status.BLOCKED.value, "Waiting on funding"
    )
    at.run()
    assert (figures()["Done"], figures()["Blocked"]) == ("1", "1")
    with write_session(db) as session:
        revert_update(
            session=session,
            actor=SIGNED_IN,
            status_update_id=done,
            expected_version=version_of(db, "southwest.legal-services.short.1"),
        )
    at.run()
    assert (figures()["Done"], figures()["Blocked"]) == ("0", "1")
    region = new_app("pages/region.py").run()
    region.multiselect(key="f_region").set_value(["central"]).run()
    assert {m.label: m.value for m in region.metric}["Blocked"] == "1"


def test_overview_without_history_says_so(db_file: Path, new_app) -> None:
    at = new_app().run()

    assert "No status updates yet." in texts(at.info)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Done"] == "0"
    assert metrics["Completion"] == "0%"
    assert any("ready for its first update" in c for c in texts(at.caption))


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("dashboard.py", "No outcomes match these filters."),
        ("pages/timeline.py", "No outcomes match these filters."),
        ("pages/plan_browser.py", "No outcomes match these filters."),
        ("pages/overdue.py", "Nothing is overdue for these filters."),
        ("pages/region.py", "No outcomes of this region match the filters."),
    ],
)
def test_filter_without_results_explains(db_file: Path, new_app, page: str, message: str) -> None:
    at = new_app()
    at.query_params["q"] = "zzzznotfound"
    at.run()
    if page != "dashboard.py":
        at.switch_page(page).run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["f_q"] == "zzzznotfound"
    assert message in texts(at.info)
    assert not charts(at)
    assert "Clear filters" in [b.label for b in at.sidebar.button]


def test_url_restores_filters(db_file: Path, new_app) -> None:
    at = new_app()
    at.query_params.update(region="southwest", need="mental-health", schedule="overdue")
    at.run()
    at.switch_page("pages/plan_browser.py").run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["f_region"] == ["southwest"]
    assert at.session_state["f_need"] == ["mental-health"]
    assert at.session_state["f_schedule"] == ["overdue"]
    assert by_label(at.sidebar.multiselect, "Region").value == ["southwest"]
    assert by_label(at.sidebar.multiselect, "Schedule").value == ["overdue"]
    caption = shown(at.caption[0].value)
    assert "Region: Southwest" in caption
    assert "Need: Mental health and substance use" in caption
    assert "Schedule: Overdue" in caption
    table = at.dataframe[0].value
    assert len(table) > 0
    assert set(table["region"]) == {"Southwest"}
    assert set(table["need"]) == {"Mental health and substance use"}
    # The filters stay in the URL, so a reload or a shared link shows the same view.
    assert at.query_params["region"] == "southwest"
    assert at.query_params["schedule"] == "overdue"


def test_url_with_unknown_values_is_ignored(db_file: Path, new_app) -> None:
    at = new_app()
    at.query_params.update(region="atlantis", soon="7", status="done")
    at.run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["f_region"] == []
    assert at.session_state["f_status"] == ["done"]
    assert at.session_state["f_soon"] == 60
    assert "region" not in at.query_params


def test_region_page_follows_region_filter(db_file: Path, new_app) -> None:
    at = new_app()
    at.query_params["region"] = "southwest"
    at.run()
    at.switch_page("pages/region.py").run()

    assert not at.exception
    assert texts(at.title) == ["Southwest"]
    assert at.selectbox(key="region_page_pick").value == "southwest"


def test_deep_link_on_cold_server_runs_through_dashboard(db_file: Path, monkeypatch) -> None:
    """The first run after a restart, opened on a page's link: Streamlit's legacy
    pages/ mode runs the page file alone, and ui.shell sends it back through
    dashboard.py (sidebar, filters from the link, footer)."""
    monkeypatch.setattr(app_test, "PagesManager", PagesManager)  # undo the warm server
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["region"] = "southwest"
    at.switch_page("pages/plan_browser.py")  # before a run: found by file name, as a URL
    at.run()

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.title) == ["Plan browser"]
    assert by_label(at.sidebar.multiselect, "Region").value == ["southwest"]
    assert "Region: Southwest" in shown(at.caption[0].value)
    assert any("Human Trafficking Hotline" in c for c in texts(at.markdown))


def test_deep_link_on_cold_private_server_asks_to_sign_in(db_file: Path, monkeypatch) -> None:
    monkeypatch.setattr(app_test, "PagesManager", PagesManager)
    monkeypatch.setenv("TRACKER_PRIVATE", "true")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.switch_page("pages/timeline.py")
    at.run()

    assert not at.exception, [e.message for e in at.exception]
    assert any("private" in i for i in texts(at.info))
    assert not charts(at)


def test_private_deployment_asks_to_sign_in(db_file: Path, new_app, monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_PRIVATE", "true")
    at = new_app().run()

    assert not at.exception
    assert any("private" in i for i in texts(at.info))
    assert not charts(at)
    assert not at.metric


# --- a database the app cannot use ------------------------------------------------


def _inside_a_file(tmp_path: Path) -> Path:
    (tmp_path / "not-a-folder").write_text("a file where a folder should be\n")
    return tmp_path / "not-a-folder" / "tracker.db"


def _a_folder(tmp_path: Path) -> Path:
    (tmp_path / "tracker.db").mkdir()
    return tmp_path / "tracker.db"


def _not_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.db"
    path.write_bytes(b"this is a spreadsheet, not a database\n" * 200)
    return path


# Signed in before the database failed (ui.auth keeps the actor of the last run).
SIGNED_IN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)


@pytest.mark.parametrize(
    ("make_path", "expected"),
    [
        pytest.param(_inside_a_file, "Cannot create the folder", id="inside-a-file"),
        pytest.param(_a_folder, "cannot be opened", id="a-folder"),
        pytest.param(_not_sqlite, "is not a database", id="not-sqlite"),
    ],
)
def test_unusable_database_shows_error(
    tmp_path: Path, monkeypatch, new_app, make_path, expected: str
) -> None:
    point_settings_at(monkeypatch, make_path(tmp_path))
    at = new_app(_actor=SIGNED_IN).run()  # a visitor is told less (test_errors.py)

    assert not at.exception, [e.message for e in at.exception]
    assert len(at.error) == 1
    assert expected in at.error[0].value
    assert "TRACKER_SQLITE_PATH" in at.error[0].value or "DATABASE_URL" in at.error[0].value
    assert not charts(at)
    assert any("Human Trafficking Hotline" in c for c in texts(at.markdown))


def test_unreachable_postgresql_shows_error(tmp_path: Path, monkeypatch, new_app) -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://tracker:s3cret@127.0.0.1:{port}/tracker"
    point_settings_at(monkeypatch, tmp_path / "unused.db", url)
    at = new_app(_actor=SIGNED_IN).run()  # a visitor is told less (test_errors.py)

    assert not at.exception, [e.message for e in at.exception]
    assert len(at.error) == 1
    assert "cannot be reached: nothing accepts connections at 127.0.0.1:" in at.error[0].value
    assert "s3cret" not in at.error[0].value
    assert not charts(at)


# --- Users (admins only) ---------------------------------------------------------


def test_users_page_not_in_navigation_for_anonymous(db_file: Path, new_app) -> None:
    at = new_app().run()

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/users.py")


def test_users_page_not_in_navigation_for_lead(db, new_app) -> None:
    lead = make_user(db, "lead-sw", region="southwest")
    at = new_app(user_id=lead).run()

    assert not at.exception
    assert "Lead Sw" in " ".join(texts(at.sidebar.markdown))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/users.py")


def test_users_page_lists_users_for_admin(db, new_app) -> None:
    admin = make_user(db, "admin", "admin")
    make_user(db, "lead-sw", region="southwest")
    at = new_app("pages/users.py", user_id=admin).run()

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.title) == ["Users"]
    users = at.dataframe[0].value
    assert list(users["username"]) == ["admin", "lead-sw"]
    assert users.set_index("username").loc["lead-sw", "assigned to"] == "Southwest"


def test_users_page_refuses_a_lead(db, tmp_path: Path, monkeypatch) -> None:
    """Navigation never offers the page to a lead; the page refuses them on its own
    too. A stand-in entry file serves only the Users page, entered as dashboard.py
    would (ui.shell.entered), since a page file cannot be AppTest's main script."""
    lead = make_user(db, "lead-sw", region="southwest")
    entry = tmp_path / "users_only.py"
    entry.write_text(
        "import streamlit as st\n"
        "from ui import shell\n"
        "shell.entered()\n"
        f"st.navigation([st.Page({str(PROJECT_ROOT / 'pages' / 'users.py')!r})]).run()\n"
    )
    monkeypatch.syspath_prepend(str(PROJECT_ROOT))
    at = AppTest.from_file(str(entry), default_timeout=60)
    at.session_state["user_id"] = lead
    at.run()

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.title) == ["Users"]
    assert texts(at.error) == ["Only admins can manage users."]
    assert not at.dataframe
    assert not at.form_submit_button


def test_appendix_a_lists_are_one_list_each(db, new_app):
    """Future research and the provider suggestions are one markdown list each (one
    list to a screen reader, not a list per item)."""
    at = new_app("pages/plan_browser.py").run()
    assert not at.exception
    lists = [t for t in texts(at.markdown) if t.startswith("- Explore possibility of establishing")]
    assert len(lists) == 1
    assert lists[0].count("\n- ") == 5  # the six items of future research


def test_timeline_agenda_is_one_element_of_months_in_order(db, new_app, monkeypatch):
    """The phones' agenda: every month due inside the window, in date order, each with
    its outcomes, as one markdown element."""
    from datetime import datetime

    from ui import screen

    monkeypatch.setattr(screen, "narrow", lambda: True)
    at = new_app("pages/timeline.py").run()
    assert not at.exception
    (agenda,) = [t for t in texts(at.markdown) if t.startswith("**") and "\n- " in t]
    months = [line.strip("*") for line in agenda.splitlines() if line.startswith("**")]
    assert len(months) > 12
    parsed = [datetime.strptime(m, "%B %Y") for m in months]
    assert parsed == sorted(parsed) and len(set(parsed)) == len(parsed)
    items = [line for line in agenda.splitlines() if line.startswith("- ")]
    assert len(items) == 150  # AGENDA_ROWS, then "The first 150 of …"
    assert items[0].startswith("- Dec 31 · **Not started** · Northwest: ")


@pytest.mark.parametrize("phone", [False, True])
def test_the_timeline_draws_the_chart_or_the_agenda_not_both(db, new_app, monkeypatch, phone):
    """One layout drawn (ui/screen.py's rule): a wide screen gets the chart and its
    caption, a phone the agenda by month; neither is built to be hidden."""
    from ui import screen

    monkeypatch.setattr(screen, "narrow", lambda: phone)
    at = new_app("pages/timeline.py").run()

    assert not at.exception
    charts = at.get("vega_lite_chart")
    agenda = [h for h in at.subheader if h.value == "Due by month"]
    legend = [c for c in at.caption if c.value.startswith("Dark bars are regions")]
    assert (len(charts), len(legend), len(agenda)) == ((0, 0, 1) if phone else (1, 1, 0))


def _timeline_groups(at: AppTest) -> dict[str, str]:
    """The Timeline chart's region and strategy rows: key → label."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    assert not at.exception, [e.message for e in at.exception]
    (chart,) = at.get("vega_lite_chart")
    (groups,) = [d for d in chart.proto.datasets if d.name == "groups"]
    rows = convert_arrow_bytes_to_pandas_df(groups.data.data)
    return dict(zip(rows["key"], rows["label"].str.rstrip("\u200b"), strict=True))


@pytest.mark.parametrize("region", [None, "southwest"])
def test_the_timeline_follows_a_status_save_and_a_plan_edit(db, new_app, region) -> None:
    """Issue 15: the Timeline's tree is built once per plan and each save only sets its
    statuses again. A save in a running session shows on the next run, in its region's
    and strategy's "n of m done"; a reworded strategy shows too (a plan change builds
    the tree again)."""
    import re

    from core.plan.editing import edit_item
    from core.store.db import write_session

    from .conftest import record

    def done_of(label: str) -> tuple[int, int]:
        found = re.search(r"\((\d+) of (\d+) done\)$", label)
        assert found, label
        return int(found[1]), int(found[2])

    strategy = "southwest.legal-services"
    at = new_app("pages/timeline.py").run()
    if region:
        at.multiselect(key="f_region").set_value([region]).run()
    before = _timeline_groups(at)
    assert all(k.startswith("southwest") or k == "Southwest" for k in before) == bool(region)
    region_key = next(k for k in before if k.startswith("Southwest"))
    (done, active), (region_done, region_active) = (
        done_of(before[strategy]),
        done_of(before[region_key]),
    )

    record(db, SIGNED_IN, f"{strategy}.short.1", Status.DONE.value)
    after = _timeline_groups(at.run())

    assert done_of(after[strategy]) == (done + 1, active)
    assert done_of(after[region_key]) == (region_done + 1, region_active)
    record(db, SIGNED_IN, f"{strategy}.short.2", Status.DROPPED.value, "Merged")  # not active
    assert done_of(_timeline_groups(at.run())[strategy]) == (done + 1, active - 1)

    with write_session(db) as session:
        edit_item(
            session=session,
            actor=SIGNED_IN,
            kind="strategy",
            item_id=strategy,
            changes={"title": "Legal services, reworded"},
            reason="test",
        )
    label = _timeline_groups(at.run())[strategy]
    assert label.lstrip(pt.BLANK).startswith("Legal services, reworded (")


def test_a_large_plans_strategy_bars_follow_a_save(db, new_app, monkeypatch) -> None:
    """Issue 15: a plan too large to draw outcome by outcome draws strategy bars, their
    spans read once per plan and their outcomes per status from the counts' tally (moved
    on by each save): a save in a running session shows on its strategy's bar."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    import core.charts as charts

    from .conftest import record

    monkeypatch.setattr(charts, "AGGREGATE_THRESHOLD", 10)
    strategy = "southwest.legal-services"

    def bar() -> dict:
        assert not at.exception, [e.message for e in at.exception]
        (chart,) = at.get("vega_lite_chart")
        (table,) = [d for d in chart.proto.datasets if d.name == "table"]
        rows = convert_arrow_bytes_to_pandas_df(table.data.data)
        return rows[rows["strategy_id"] == strategy].iloc[0].to_dict()

    at = new_app("pages/timeline.py").run()
    before = bar()
    record(db, SIGNED_IN, f"{strategy}.short.1", Status.DONE.value)
    at.run()
    after = bar()

    assert after["Done"] == before["Done"] + 1
    assert after["Not started"] == before["Not started"] - 1
    assert after["outcomes"] == before["outcomes"] and after["due_date"] == before["due_date"]


def test_the_first_run_freezes_the_start_up_objects_once(db, new_app, monkeypatch):
    """A server process moves what is alive after its first run out of the cycle
    collector's reach, once (ui/shell.settle: full collections scanned it all)."""
    from ui import shell

    frozen: list[int] = []
    monkeypatch.setattr(shell, "_settled", False)
    monkeypatch.setattr(shell.gc, "freeze", lambda: frozen.append(1))

    at = new_app().run()
    at.run()
    new_app("pages/timeline.py").run()

    assert not at.exception
    assert frozen == [1]


def test_the_views_keep_each_stamps_figures_without_the_tallys_parts(db, new_app) -> None:
    """ui/data keeps a page's counts per data stamp (up to 64 of them). Keeping each
    stamp's tally whole kept its part per outcome too, a copy per stamp (some 15 MB at
    100,000 outcomes each); only the rows, their sums and the strategies' counts are."""
    from dataclasses import astuple
    from datetime import date

    from core.progress.filters import OutcomeFilter
    from core.progress.queries import data_stamp
    from ui import data

    from .conftest import record

    new_app().run()
    record(db, SIGNED_IN, "southwest.legal-services.short.1", Status.DONE.value)
    with Session(db) as session:
        stamp = data_stamp(session)
    kept = data._tally(stamp, astuple(OutcomeFilter()), date(2026, 12, 1), 60)

    assert not hasattr(kept, "parts")
    assert kept.totals[Status.DONE.value] == 1 and sum(r["total"] for r in kept.rows) == 248


def test_regions_draws_the_open_logic_model_only(db_file: Path, new_app) -> None:
    """The State holds two logic models: a tab each, and only the open one is drawn."""
    at = new_app("pages/region.py").run()
    labels = [shown(t.label) for t in at.tabs]
    assert labels == ["Housing (Shelters, transitional)", "Mental Health/Substance Use"]
    assert texts(at.header) == ["Housing (Shelters, transitional)"]
    assert len([m for m in at.markdown if m.value.startswith("### ")]) == 4  # its strategies

    at.session_state["region_models_state"] = at.tabs[1].label  # what opening it sets
    at.run()
    assert texts(at.header) == ["Mental Health/Substance Use"]
    assert len([m for m in at.markdown if m.value.startswith("### ")]) == 3
    # A filter that changes how many outcomes each model shows keeps the open tab.
    at.sidebar.multiselect(key="f_term").set_value(["short"]).run()
    assert texts(at.header) == ["Mental Health/Substance Use"]

    at.selectbox(key="region_page_pick").set_value("southwest").run()
    assert not at.tabs  # one logic model: no tabs
    assert len(texts(at.header)) == 1


def test_a_region_strategy_reads_as_the_reports_row_in_few_elements(db, new_app) -> None:
    """A strategy is its heading with its resources and tasks (one element), the three
    terms side by side, then its ultimate outcome: six narrow columns broke the words
    of resources and tasks, and each element is a cost in the browser on every visit.
    The Done button has no tooltip: a button with one is drawn twice in the browser
    (a hidden copy to size it), once per outcome on the page."""
    lead = make_user(db, "lead-state", region="state")
    at = new_app("pages/region.py", user_id=lead).run()
    assert not at.exception, [e.message for e in at.exception]
    heads = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert len(heads) == 4 and all("**Resources:** " in h and "**Tasks:**" in h for h in heads)
    assert "HT Taskforce" in shown(heads[0]).split("Resources:", 1)[1]
    ultimate = [m.value for m in at.markdown if m.value.startswith("**Ultimate outcome:** ")]
    assert len(ultimate) == 4
    assert "Accessible shelters and transitional housing" in shown(ultimate[0])
    terms = [m.value for m in at.markdown if m.value in ("**Short term**", "**Medium term**",
                                                         "**Long term**")]  # fmt: skip
    assert len(terms) == 12  # three a strategy, side by side
    assert not [m for m in at.markdown if m.value.startswith("**Resources**\n")]  # no column
    done = [b for b in at.button if b.key and b.key.startswith("done_")]
    assert done and all(not b.help for b in done)
