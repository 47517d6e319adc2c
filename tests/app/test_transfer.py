"""ui.transfer under AppTest: the download menu of a view, and the admins' import
panel (upload, every bad row shown, what would change, Import)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import Engine, func
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.io import exports
from core.io.columns import EXPORT_COLUMNS
from core.models import Outcome, PlanChange
from core.progress.filters import OutcomeFilter
from core.progress.queries import export_rows

from .conftest import by_label, texts

STL_FIRST = "st-louis.adult-shelter.short.1"


def _import_app() -> None:
    import streamlit as st

    from core.models import Role
    from core.people.permissions import Actor
    from ui import transfer

    role = Role.ADMIN if st.session_state.get("admin", True) else Role.VIEWER
    transfer.import_panel(
        Actor(user_id=None, username="cli:apptest", display_name="Tester", role=role)
    )


def _export_app() -> None:
    import streamlit as st

    from core.progress.filters import OutcomeFilter
    from ui import transfer

    regions = tuple(st.session_state.get("regions", ()))
    transfer.export_buttons(OutcomeFilter(regions=regions), None)


def stl_csv(engine: Engine, **changes) -> bytes:
    with Session(engine) as session:
        rows = export_rows(session, OutcomeFilter(logic_models=("st-louis",)))
    rows[0].update(changes)
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, EXPORT_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def log_size(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(PlanChange)).one()


def test_import_panel_lists_every_bad_row_and_imports_nothing(db: Engine) -> None:
    at = AppTest.from_function(_import_app, default_timeout=60).run()
    assert not at.exception
    bad = stl_csv(db, due_date="2/31/2020", text="")

    at.file_uploader[0].set_value(("stl.csv", bad, "text/csv"))
    at.run()

    assert not at.exception
    assert texts(at.error) == [
        "stl.csv: 1 row with problems; nothing was imported. Fix these and upload the file again."
    ]
    problems = at.dataframe[0].value
    assert list(problems["Row"]) == ["2", "2"]
    assert list(problems["Column"]) == ["text", "due_date"]
    assert list(problems["Problem"]) == ["empty", "impossible date"]
    assert not [b for b in at.button if b.label == "Import"]
    assert log_size(db) == 0


def test_import_panel_shows_what_changes_then_imports(db: Engine) -> None:
    at = AppTest.from_function(_import_app, default_timeout=60).run()
    at.file_uploader[0].set_value(("stl.csv", stl_csv(db, text="New wording"), "text/csv"))
    at.run()

    assert not at.exception and not at.error
    counts = at.dataframe[0].value.set_index("")
    assert counts.loc["Outcomes", "Changed"] == 1
    assert counts.loc["Outcomes", "Unchanged"] == 20
    assert by_label(at.text_input, "Reason, for the plan's history").value == (
        "Imported from stl.csv"
    )

    by_label(at.button, "Import").click()
    at.run()

    assert not at.exception
    (success,) = texts(at.success)
    assert success.startswith("Imported stl.csv: logic model unchanged;")
    with Session(db) as session:
        assert session.get(Outcome, STL_FIRST).text == "New wording"
    assert log_size(db) == 1
    assert at.file_uploader[0].value is None  # a fresh uploader for the next file


def test_import_panel_says_when_nothing_would_change(db: Engine) -> None:
    at = AppTest.from_function(_import_app, default_timeout=60).run()
    at.file_uploader[0].set_value(("stl.csv", stl_csv(db), "text/csv"))
    at.run()
    (button,) = [b for b in at.button if b.label.startswith("Nothing to import")]
    assert button.disabled


def test_import_panel_is_for_admins_only(db: Engine) -> None:
    at = AppTest.from_function(_import_app, default_timeout=60)
    at.session_state["admin"] = False
    at.run()
    assert texts(at.info) == ["Only admins can import a logic model."]
    assert not at.file_uploader


def test_import_panel_offers_templates(db: Engine) -> None:
    at = AppTest.from_function(_import_app, default_timeout=60).run()
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Blank template (Excel)", "Blank template (CSV)"]
    by_label(at.selectbox, "A logic model of the plan").set_value("st-louis")
    at.run()
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Blank template (Excel)", "Blank template (CSV)", "Excel", "CSV"]


def test_export_menu_for_one_region_offers_a_calendar(db: Engine) -> None:
    at = AppTest.from_function(_export_app, default_timeout=60)
    at.session_state["regions"] = ["st-louis"]
    at.run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["CSV", "Excel", "Calendar (.ics)"]


def test_export_menu_asks_which_region_or_need_for_a_calendar(db: Engine) -> None:
    at = AppTest.from_function(_export_app, default_timeout=60).run()
    assert [b.label for b in at.get("download_button")] == ["CSV", "Excel"]
    picker = by_label(at.selectbox, "Calendar of due dates for")
    assert "need:legal-services" in picker.options or "Need: Legal services" in picker.options
    picker.set_value("need:legal-services")
    at.run()
    assert [b.label for b in at.get("download_button")] == ["CSV", "Excel", "Calendar (.ics)"]


def test_export_builders_match_the_files(db: Engine) -> None:
    """The buttons' files are core.exports' (checked in tests/core); here: they build."""
    from ui import transfer

    flt = OutcomeFilter(regions=("st-louis",))
    data = transfer._build(db, flt, "csv", "St. Louis")
    with Session(db) as session:
        assert data == exports.to_csv(export_rows(session, flt))
    assert transfer._build(db, flt, "ics", "St. Louis").startswith(b"BEGIN:VCALENDAR")
    assert transfer._build(db, flt, "xlsx", "St. Louis").startswith(b"PK")
