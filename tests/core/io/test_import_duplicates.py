"""Likely duplicates: a row with a mistyped outcome_id that repeats an existing
outcome (same strategy, term, number and text) is named in the check, refused by the
import, and added only when the import is asked to (`--allow-duplicates`)."""

from __future__ import annotations

import csv
import io
from collections import Counter

from sqlalchemy import func
from sqlmodel import Session, select

from core.cli.main import main
from core.io.columns import EXPORT_COLUMNS
from core.io.imports import LikelyDuplicate, RowError, import_file
from core.models import Outcome, PlanChange, Role
from core.people.permissions import Actor
from core.progress.filters import OutcomeFilter
from core.progress.queries import export_rows

ADMIN = Actor(user_id=None, username="cli:tester", display_name="Tester", role=Role.ADMIN)


def lm_rows(engine, lm_id: str) -> list[dict]:
    with Session(engine) as session:
        return export_rows(session, OutcomeFilter(logic_models=(lm_id,)))


def raw_csv(rows: list[dict]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in EXPORT_COLUMNS])
    return buf.getvalue().encode("utf-8")


def mistyped(engine) -> tuple[list[dict], str, str]:
    """St. Louis's rows with the fourth outcome's id mistyped and its text re-spaced
    and re-cased: the rows, the existing id and the typo."""
    rows = lm_rows(engine, "st-louis")
    existing = rows[3]["outcome_id"]
    rows[3]["outcome_id"] = existing + "x"
    rows[3]["text"] = "  " + rows[3]["text"].upper().replace(" ", "   ") + " "
    return rows, existing, existing + "x"


def outcome_count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Outcome)).one()


def snapshot(engine) -> tuple[int, int, list[dict]]:
    with Session(engine) as session:
        changes = session.exec(select(func.count()).select_from(PlanChange)).one()
    return outcome_count(engine), changes, lm_rows(engine, "st-louis")


def test_check_names_the_row_and_the_outcome_it_repeats(engine):
    rows, existing, typo = mistyped(engine)

    report = import_file(engine, raw_csv(rows), filename="stl.csv", actor=ADMIN, dry_run=True)

    assert report.errors == []
    assert report.counts["outcome"]["new"] == 1
    assert [(d.row, d.new_id, d.existing_id) for d in report.plan.likely_duplicates] == [
        (5, typo, existing)
    ]
    assert (
        f"Row 5 would add {typo!r}, which repeats outcome {existing!r} (same strategy, "
        "term, number and text)." in report.lines()
    )


def test_import_refuses_a_likely_duplicate_and_changes_nothing(engine):
    rows, existing, typo = mistyped(engine)
    before = snapshot(engine)

    report = import_file(engine, raw_csv(rows), filename="stl.csv", actor=ADMIN)

    assert not report.applied
    assert snapshot(engine) == before
    assert report.errors == [LikelyDuplicate(5, typo, existing, rows[3]["text"]).error()]
    assert isinstance(report.errors[0], RowError)
    assert f"as outcome {existing!r} (a mistyped outcome_id?)" in report.lines()[1]


def test_import_adds_a_likely_duplicate_when_confirmed(engine):
    rows, _, _ = mistyped(engine)
    before = outcome_count(engine)

    report = import_file(
        engine, raw_csv(rows), filename="stl.csv", actor=ADMIN, confirm_duplicates=True
    )

    assert report.errors == [] and report.applied
    assert report.counts["outcome"] == Counter(new=1, unchanged=len(rows) - 1)
    assert outcome_count(engine) == before + 1
    assert "1 likely duplicate was added, as confirmed:" in report.lines()


def test_a_new_outcome_with_another_text_is_no_duplicate(engine):
    rows, _, _ = mistyped(engine)
    rows[3]["text"] += " (again, for 2022)"

    report = import_file(engine, raw_csv(rows), filename="stl.csv", actor=ADMIN, dry_run=True)

    assert report.errors == []
    assert report.plan.likely_duplicates == []


def test_cli_import_refuses_duplicates_unless_allowed(tmp_path, capsys):
    path = tmp_path / "stl.csv"
    assert main(["export", "--region", "st-louis", "--output", str(path)]) == 0
    table = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    existing = table[4][0]  # spreadsheet row 5: its outcome_id, mistyped
    table[4][0] = existing + "x"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(table)
    capsys.readouterr()

    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("stl.csv: 1 row with problems; nothing was imported.")
    assert f'row 5, column outcome_id, value "{existing}x"' in err
    assert f"outcome {existing!r}" in err

    assert main(["import", str(path), "--allow-duplicates"]) == 0
    out = capsys.readouterr().out
    assert "outcomes 1 new," in out and f"repeats outcome {existing!r}" in out
