"""The import panel names the likely duplicates of a file (a mistyped outcome_id) and
imports them only once the admin confirms them."""

from __future__ import annotations

from sqlalchemy import Engine, func
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.models import Outcome

from .conftest import by_label, texts
from .test_transfer import STL_FIRST, _import_app, log_size, stl_csv

TYPO = STL_FIRST + "x"


def outcome_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Outcome)).one()


def test_import_panel_asks_before_adding_a_likely_duplicate(db: Engine) -> None:
    before = outcome_count(db)
    at = AppTest.from_function(_import_app, default_timeout=60).run()
    at.file_uploader[0].set_value(("stl.csv", stl_csv(db, outcome_id=TYPO), "text/csv"))
    at.run()

    assert not at.exception and not at.error
    (warning,) = texts(at.warning)
    assert warning.startswith("1 new outcome repeats an existing one")
    (duplicates,) = [d.value for d in at.dataframe if "Repeats outcome" in d.value]
    assert list(duplicates["Row"]) == [2]
    assert list(duplicates["New outcome"]) == [TYPO]
    assert list(duplicates["Repeats outcome"]) == [STL_FIRST]
    assert by_label(at.button, "Import").disabled

    by_label(at.checkbox, "Add this 1 likely duplicate anyway").check()
    at.run()
    assert not by_label(at.button, "Import").disabled
    by_label(at.button, "Import").click()
    at.run()

    assert not at.exception
    (success,) = texts(at.success)
    assert success.startswith("Imported stl.csv: logic model unchanged;")
    assert "1 likely duplicate was added, as confirmed:" in success
    assert outcome_count(db) == before + 1
    assert log_size(db) == 1
