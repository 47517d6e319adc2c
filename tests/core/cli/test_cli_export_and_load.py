"""`python -m core export --format csv|json` and `python -m core load`, run as a user would."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from core import config
from core.cli.main import main
from core.config import PROJECT_ROOT
from core.io.columns import EXPORT_COLUMNS
from core.models import Outcome, StatusUpdate
from core.progress.queries import export_rows
from core.store.db import write_session

DATA_DIR = PROJECT_ROOT / "data"
REQUIRED_COLUMNS = [
    "region",
    "logic_model",
    "need",
    "term",
    "number",
    "text",
    "date_as_written",
    "due_date",
    "date_basis",
    "date_flag",
    "status",
    "last_updated",
]
STL_SHORT_1 = "st-louis.adult-shelter.short.1"


def run_cli(*args: str, db: Path, data_dir: Path = DATA_DIR) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "TRACKER_SQLITE_PATH": str(db),
        "TRACKER_DATA_DIR": str(data_dir),
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


@pytest.fixture(scope="module")
def cli_exports(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Both formats from one new database file: the first run seeds it."""
    db = tmp_path_factory.mktemp("cli") / "x.db"
    out = {fmt: run_cli("export", "--format", fmt, db=db) for fmt in ("csv", "json")}
    assert db.is_file()
    return out


@pytest.fixture(scope="module")
def csv_rows(cli_exports) -> list[dict[str, str]]:
    result = cli_exports["csv"]
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture(scope="module")
def json_rows(cli_exports) -> list[dict]:
    result = cli_exports["json"]
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_export_csv_columns(cli_exports):
    header = next(csv.reader(io.StringIO(cli_exports["csv"].stdout)))
    assert header == EXPORT_COLUMNS
    assert set(REQUIRED_COLUMNS) <= set(header)
    assert cli_exports["csv"].stderr == ""


def test_export_csv_row_count(csv_rows):
    assert len(csv_rows) == 248
    assert len({r["outcome_id"] for r in csv_rows}) == 248
    assert all(list(r) == EXPORT_COLUMNS for r in csv_rows)


def test_export_json_parses(json_rows):
    assert isinstance(json_rows, list) and len(json_rows) == 248
    assert all(list(r) == EXPORT_COLUMNS for r in json_rows)
    first = json_rows[0]
    assert first == {
        "outcome_id": "state-housing.ht-taskforce.short.1",
        "region_id": "state",
        "region": "State",
        "logic_model_id": "state-housing",
        "logic_model": "Housing (Shelters, transitional)",
        "logic_model_start": "2019-07-01",
        "need_id": "housing",
        "need": "Housing and shelter",
        "strategy_id": "state-housing.ht-taskforce",
        "strategy": "HT Taskforce— Social Services committee",
        "strategy_label": None,
        "term": "short",
        "number": "1",
        "text": "Gain commitments from housing and workforce development groups to strategize "
        "pathways to housing and work by 6/2020",
        "date_as_written": "6/2020",
        "due_date": "2020-06-30",
        "baseline_due_date": "2020-06-30",
        "date_basis": "end of month",
        "date_flag": None,
        "flags": "",
        "status": "Not started",
        "last_updated": None,
        "latest_note": None,
        "evidence_url": None,
        "schedule": "Overdue",
        "days_overdue": (date.today() - date(2020, 6, 30)).days,
        "ultimate_outcome": "Accessible shelters and transitional housing for trafficking "
        "survivors",
        "resources": "HT Taskforce— Social Services committee",
        "tasks": "To develop the implementation strategy for regional housing plan and develop "
        "funding for crisis housing",
    }


def test_export_json_matches_export_rows(json_rows, session):
    assert json_rows == export_rows(session)


def test_export_csv_matches_json(csv_rows, json_rows):
    for c, j in zip(csv_rows, json_rows, strict=True):
        assert c == {k: "" if v is None else str(v) for k, v in j.items()}


def test_export_csv_round_trips_real_punctuation(csv_rows, json_rows):
    by_id = {r["outcome_id"]: r["text"] for r in json_rows}
    with_commas = [r for r in csv_rows if "," in r["text"]]
    with_quotes = [r for r in csv_rows if "“" in r["text"] or '"' in r["text"]]
    assert with_commas and with_quotes
    for r in with_commas + with_quotes:
        assert r["text"] == by_id[r["outcome_id"]]


def test_export_defects_in_csv(csv_rows):
    by_id = {r["outcome_id"]: r for r in csv_rows}
    row = by_id["metro-east.mental-health-sud.short.3"]
    assert (row["date_as_written"], row["due_date"], row["date_basis"], row["date_flag"]) == (
        "2/31/2020",
        "2020-02-29",
        "corrected",
        "impossible date",
    )
    row = by_id["state-housing.advocacy-partners.medium.2"]
    assert (row["flags"], row["date_flag"], row["date_basis"]) == ("cut_off", "no date", "inferred")


def test_export_csv_round_trips_commas_and_quotes(tmp_path, data_copy):
    tricky = "Say \"stop, now\", then 'go'; 50% done, by 6/2020."
    path = data_copy / "logic_models" / "03_st-louis.yaml"
    text = path.read_text(encoding="utf-8")
    old = (
        "text: Identify 3-5 key stakeholders knowledgeable about shelter policies and "
        "capabilities to form the shelter working group by 6/2020."
    )
    assert text.count(old) == 1
    path.write_text(text.replace(old, f"text: {json.dumps(tricky)}"), encoding="utf-8")

    result = run_cli("export", "--format", "csv", db=tmp_path / "x.db", data_dir=data_copy)

    assert result.returncode == 0, result.stderr
    assert '"Say ""stop, now"", then \'go\'; 50% done, by 6/2020."' in result.stdout
    rows = {r["outcome_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert len(rows) == 248
    assert rows[STL_SHORT_1]["text"] == tricky
    assert rows[STL_SHORT_1]["due_date"] == "2020-06-30"


def test_export_malformed_data_dir_exits_nonzero(tmp_path, data_copy):
    path = data_copy / "logic_models" / "03_st-louis.yaml"
    text = path.read_text(encoding="utf-8")
    old = f"  - id: {STL_SHORT_1}\n    term: short"
    assert text.count(old) == 1
    path.write_text(text.replace(old, f"  - id: {STL_SHORT_1}\n    term: soon"), encoding="utf-8")

    result = run_cli("export", "--format", "json", db=tmp_path / "x.db", data_dir=data_copy)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: record {STL_SHORT_1}: field term: ")
    assert "(got 'soon')" in result.stderr
    assert "Nothing was changed." in result.stderr
    assert "Traceback" not in result.stderr


# --- in-process: the same entry point, without a new interpreter -------------------------------


@pytest.fixture
def cli_db(tmp_path, monkeypatch) -> Path:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    config.get_settings.cache_clear()
    return db


def test_load_cli_summary_then_malformed_data_dir_changes_nothing(cli_db, data_copy, capsys):
    assert main(["load"]) == 0  # seeds the new database, then re-applies data/
    out = capsys.readouterr().out
    assert out.startswith("Loaded the plan: ")
    assert "outcome: 0 new, 0 updated, 0 retired, 248 unchanged" in out
    assert main(["export", "--format", "json"]) == 0
    before = json.loads(capsys.readouterr().out)
    plan = data_copy / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("name: St. Louis", "name: X"))
    (data_copy / "logic_models" / "05_southeast.yaml").write_text("[1, 2]\n")

    assert main(["load", "--data-dir", str(data_copy)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {data_copy / 'logic_models' / '05_southeast.yaml'}: record -: field -: "
        "expected a mapping at the top of the file\nNothing was changed.\n"
    )
    assert main(["export", "--format", "json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert after == before
    assert len(after) == 248 and "St. Louis" in {r["region"] for r in after}


def test_export_shows_status_and_last_updated(engine):
    when = datetime(2020, 5, 1, 12, 0, tzinfo=UTC)
    with write_session(engine) as session:
        outcome = session.get(Outcome, STL_SHORT_1)
        session.add(
            StatusUpdate(
                outcome_id=STL_SHORT_1,
                changed_at=when,
                changed_by="alice",
                old_status=outcome.status,
                new_status="Done",
            )
        )
        outcome.status, outcome.last_updated, outcome.last_updated_by = "Done", when, "alice"
        session.add(outcome)
    with Session(engine) as session:
        row = next(r for r in export_rows(session) if r["outcome_id"] == STL_SHORT_1)
    assert row["status"] == "Done"
    assert row["last_updated"].startswith("2020-05-01 12:00:00")
