"""The Evaluation page (Appendix A): every region's figures, their trends, the two CSV
files; for every reader, signed in or not."""

from __future__ import annotations

import json

from core.models import Status
from core.progress.evaluation import APPENDIX_A

from .conftest import SW_BLOCKED, SW_DONE, actor, make_user, record, texts

PAGE = "pages/evaluation.py"


def test_evaluation_for_a_visitor(db, new_app) -> None:
    lead = make_user(db, "lead-sw", region="southwest")
    who = actor(db, lead)
    record(db, who, SW_DONE, Status.DONE.value, day=3)
    record(db, who, SW_BLOCKED, Status.BLOCKED.value, "Waiting.", day=5)
    at = new_app(PAGE).run()  # signed out

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.title) == ["Evaluation"]
    assert any(APPENDIX_A in m for m in texts(at.markdown))
    table = at.dataframe[0].value.set_index("Region")
    assert len(table) == 9
    assert table.loc["Southwest", "Active leads"] == 1
    assert table.loc["Southwest", "Status updates"] == 2
    assert table.loc["Southwest", "Outcomes done"] == 1
    assert table.loc["Kansas City", "Status updates"] == 0
    assert table.loc["Southwest", "Re-baselined"] == "No"
    chart = at.get("vega_lite_chart")
    assert len(chart) == 1
    spec = json.loads(chart[0].proto.spec)
    assert spec["description"].startswith("Active leads by region, 2021-05 to 2021-06")
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download the table (CSV)", "Download the series by month (CSV)"]
    assert not any("Waiting" in m for m in texts(at.markdown))  # figures, never notes


def test_evaluation_by_quarter_and_as_table(db, new_app) -> None:
    at = new_app(PAGE).run()
    at.segmented_control(key="evaluation_period").set_value("By quarter").run()
    at.selectbox(key="evaluation_figure").set_value("updates").run()
    at.toggle(key="evaluation_as_table").set_value(True).run()

    assert not at.exception, [e.message for e in at.exception]
    series = at.dataframe[1].value
    assert list(series.columns) == ["Region", "Period", "Status updates"]
    assert set(series["Period"]) == {"2021-Q2"}
    labels = [b.label for b in at.get("download_button")]
    assert "Download the series by quarter (CSV)" in labels


def test_evaluation_follows_the_sidebar_regions(db, new_app) -> None:
    """The sidebar's region filter narrows the regions shown (it was ignored: every
    region stayed, while the sidebar said Southwest); a caption says the other
    filters do not apply."""
    lead = make_user(db, "lead-sw", region="southwest")
    record(db, actor(db, lead), SW_DONE, Status.DONE.value, day=3)
    at = new_app(PAGE).run()
    at.sidebar.multiselect(key="f_region").set_value(["southwest", "central"]).run()

    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    assert sorted(table["Region"]) == ["Central", "Southwest"]
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert "Kansas City" not in spec["description"]
    assert any("other filters do not apply" in c for c in texts(at.caption))


def test_evaluation_follows_saves_and_undos_in_a_running_session(db, new_app) -> None:
    """Issue 15: the history's columns are kept for every session and moved on by each
    save (core/progress/entries.py), not read whole again: a save, an undo and another
    save show on the next run of a session already open."""
    from core.progress.updates import revert_update
    from core.store.db import write_session

    from .conftest import version_of

    lead = make_user(db, "lead-sw", region="southwest")
    who = actor(db, lead)
    at = new_app(PAGE).run()

    def figures() -> tuple[int, int]:
        assert not at.exception, [e.message for e in at.exception]
        table = at.dataframe[0].value.set_index("Region")
        return int(table.loc["Southwest", "Status updates"]), int(
            table.loc["Southwest", "Outcomes done"]
        )

    before = figures()
    done = record(db, who, SW_DONE, Status.DONE.value, day=3)
    at.run()
    assert figures() == (before[0] + 1, before[1] + 1)
    with write_session(db) as session:
        revert_update(
            session=session,
            actor=who,
            status_update_id=done,
            expected_version=version_of(db, SW_DONE),
        )
    at.run()
    assert figures() == before
    record(db, who, SW_BLOCKED, Status.BLOCKED.value, "Waiting.", day=5)
    at.run()
    assert figures() == (before[0] + 1, before[1])
