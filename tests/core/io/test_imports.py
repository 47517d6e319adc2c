"""Importing a logic model from CSV or Excel: the whole file checked first, every bad
row reported, nothing written unless every row passes; changes go through
core.plan_changes (logged, admins only); re-importing changes nothing; export →
import is the identity; `python -m core import`."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import Session, select

from core.cli.main import main
from core.errors import UpdateRejected
from core.io import exports
from core.io.columns import EXPORT_COLUMNS
from core.io.exports import escape, unescape
from core.io.imports import REQUIRED_COLUMNS, ImportFileError, RowError, import_file, read_table
from core.models import LogicModel, Outcome, PlanChange, Role, Status, Strategy
from core.people.permissions import Actor
from core.plan import editing, redating
from core.progress.filters import OutcomeFilter
from core.progress.queries import export_rows
from core.store.db import make_engine, write_session

ADMIN = Actor(user_id=None, username="cli:tester", display_name="Tester", role=Role.ADMIN)
LEAD = Actor(
    user_id=7,
    username="sam",
    display_name="Sam",
    role=Role.LEAD,
    region_ids=frozenset({"st-louis"}),
)
RTL_EMOJI = "مرحبا بالعالم 🏠 שלום 👩‍⚖️"


# ---- helpers ------------------------------------------------------------------------


def lm_rows(engine, lm_id: str) -> list[dict]:
    with Session(engine) as session:
        return export_rows(session, OutcomeFilter(logic_models=(lm_id,)))


def change_count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(PlanChange)).one()


def snapshot(engine) -> tuple:
    """Everything an import could change: every outcome (retired too), the number of
    logic models, strategies and outcomes, and the change log's length."""
    with Session(engine) as session:
        rows = export_rows(session, OutcomeFilter(include_retired=True))
        counts = [
            session.exec(select(func.count()).select_from(m)).one()
            for m in (LogicModel, Strategy, Outcome, PlanChange)
        ]
        versions = session.exec(select(func.sum(Outcome.version))).one()
    return rows, counts, versions


def raw_csv(rows: list[dict], columns: list[str] | None = None) -> bytes:
    """A CSV file as a person might save it: no escaping, no byte-order mark."""
    columns = columns or EXPORT_COLUMNS
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return buf.getvalue().encode("utf-8")


def raw_xlsx(rows: list[dict], columns: list[str] | None = None) -> bytes:
    columns = columns or EXPORT_COLUMNS
    wb = Workbook()
    ws = wb.active
    ws.append(columns)
    for row in rows:
        ws.append([escape(str(row[c])) if row.get(c) not in (None, "") else None for c in columns])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run(engine, data: bytes, name: str = "plan.csv", **kw):
    return import_file(engine, data, filename=name, actor=kw.pop("actor", ADMIN), **kw)


def unchanged(report) -> bool:
    counts = report.counts
    return counts["logic_model"]["unchanged"] == 1 and not any(
        counts[k][x] for k in counts for x in ("new", "changed", "retired")
    )


# ---- export → import --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lm_id", ["st-louis", "metro-east", "state-housing"])
def test_reimport_of_an_export_changes_nothing(engine, fmt, lm_id):
    rows = lm_rows(engine, lm_id)
    data = exports.to_csv(rows) if fmt == "csv" else exports.to_xlsx(rows, sheet_name=lm_id)
    before = snapshot(engine)

    report = run(engine, data, f"{lm_id}.{fmt}")

    assert report.errors == [] and report.applied
    assert unchanged(report)
    assert report.counts["outcome"]["unchanged"] == len(rows)
    assert snapshot(engine) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_of_an_edited_logic_model_into_a_fresh_database(seeded_copy, fmt):
    source, target = seeded_copy(), seeded_copy()
    with write_session(source) as s:
        editing.edit_item(
            session=s,
            actor=ADMIN,
            kind="outcome",
            item_id="st-louis.adult-shelter.short.1",
            changes={"text": f"=SUM(A1) {RTL_EMOJI}", "number": "-1"},
            reason="test",
        )
        redating.redate_outcome(
            session=s,
            actor=ADMIN,
            outcome_id="st-louis.adult-shelter.short.2",
            due_date=date(2021, 3, 15),
            reason="test",
        )
        editing.edit_item(
            session=s,
            actor=ADMIN,
            kind="strategy",
            item_id="st-louis.adult-shelter",
            changes={"resources": ["@CATE", "+Local shelters"], "label": None},
            reason="test",
        )
        editing.edit_item(
            session=s,
            actor=ADMIN,
            kind="logic_model",
            item_id="st-louis",
            changes={"title": "St. Louis workgroup, 2026"},
            reason="test",
        )
        new = editing.create_strategy(
            session=s,
            actor=ADMIN,
            logic_model_id="st-louis",
            need_id="transportation",
            title="Rides to court",
            tasks=["1. Find drivers", "2. Schedule"],
            ultimate_outcome="Survivors reach court",
            reason="test",
        )
        for term, text in (("short", "Recruit 5 drivers"), ("short", "\t-Map routes")):
            editing.create_outcome(
                session=s,
                actor=ADMIN,
                strategy_id=new.id,
                term=term,
                text=text,
                due_date=date(2026, 9, 30),
                reason="test",
            )
        editing.set_retired(
            session=s,
            actor=ADMIN,
            kind="outcome",
            item_id="st-louis.adult-shelter.long.2",
            retired=True,
            reason="test",
        )
    exported = lm_rows(source, "st-louis")
    data = exports.to_csv(exported) if fmt == "csv" else exports.to_xlsx(exported)

    report = run(target, data, f"stl.{fmt}", retire_missing=True)

    assert report.errors == [], report.lines()
    assert report.counts["strategy"]["new"] == 1 and report.counts["outcome"]["new"] == 2
    assert report.counts["outcome"]["retired"] == 1
    assert lm_rows(target, "st-louis") == exported
    before = change_count(target)
    again = run(target, data, f"stl.{fmt}", retire_missing=True)
    assert unchanged(again) and change_count(target) == before


# ---- every bad row, nothing written --------------------------------------------------------


def test_every_bad_row_is_reported_and_nothing_changes(engine):
    rows = lm_rows(engine, "st-louis")
    rows[0]["due_date"] = "2/31/2020"
    rows[1]["text"] = "x" * 100_000
    rows[2]["term"] = "soon"
    rows[3]["need"], rows[3]["need_id"] = "Unicorns", ""
    rows[4]["outcome_id"] = rows[0]["outcome_id"]
    rows[5]["text"] = "a\x00b"
    rows[6]["region"], rows[6]["region_id"] = "Atlantis", ""
    rows[7]["due_date"] = "next year"
    rows[9]["term"], rows[9]["number"] = rows[8]["term"], rows[8]["number"]
    rows[10]["text"] = "  "
    rows[11]["text"] = f"=cmd|' /C calc'!A0 {RTL_EMOJI}"  # fine: formula-like text is text
    rows[12]["strategy"] = "Another title"
    rows[13]["logic_model_id"] = "metro-east"
    rows[14]["due_date"] = "1899-12-31"
    rows[15]["region_id"] = "southwest"  # the region column still says St. Louis
    rows[16]["strategy_label"] = "L" * 201
    before = snapshot(engine)

    report = run(engine, raw_csv(rows), "bad.csv")

    assert not report.applied
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "due_date", "impossible date"),
        (3, "text", "too long: 100,000 characters (the limit is 2,000)"),
        (4, "term", "unknown term (use short, medium or long)"),
        (5, "need", "unknown need"),
        (6, "outcome_id", "duplicate outcome_id (also row 2)"),
        (7, "text", "NUL character"),
        (8, "region", "unknown region"),
        (9, "due_date", "unparseable date (write it as YYYY-MM-DD)"),
        (11, "number", "duplicate: row 10 has the same strategy, term and number"),
        (12, "text", "empty"),
        (14, "strategy", "differs from row 9 (each row of a strategy repeats its columns)"),
        (15, "logic_model_id", "not the same logic model as row 2 (a file holds one logic model)"),
        (16, "due_date", "date outside 1990–2100"),
        (17, "region", "does not match region_id 'southwest'"),
        (18, "strategy_label", "too long: 201 characters (the limit is 200)"),
    ]
    errors = {e.row: e for e in report.errors}
    assert errors[3].value == "x" * 60 + "… (100,000 characters)"
    assert errors[7].value == "a\\x00b"
    assert str(errors[2]) == 'row 2, column due_date, value "2/31/2020": impossible date'
    assert report.lines()[0] == "bad.csv: 15 rows with problems; nothing was imported."
    assert snapshot(engine) == before


def test_missing_required_columns_is_one_error_naming_them(engine):
    rows = lm_rows(engine, "st-louis")
    columns = [c for c in EXPORT_COLUMNS if c not in ("term", "text", "outcome_id")]
    before = snapshot(engine)

    report = run(engine, raw_csv(rows, columns))

    assert report.errors == [
        RowError(
            None,
            None,
            "term, text",
            "The file lacks required columns: term, text (the template has every column).",
        )
    ]
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "plan.csv", "plan.csv is empty."),
        (b"\n\n", "plan.csv", "plan.csv is empty."),
        (b"outcome_id,text\r\n", "plan.csv", None),  # header only: validate says so
        (b"region,text\xff\xfe\n", "plan.csv", "plan.csv is not UTF-8 text"),
        (b"%PDF-1.4", "plan.pdf", "plan.pdf is not a .csv or .xlsx file"),
        (b"\xd0\xcf\x11\xe0", "plan.xls", "plan.xls is in the old Excel 97–2003 format"),
        (b"PK\x03\x04 not really", "plan.xlsx", "could not be read as an Excel workbook"),
        (b"not a zip at all", "plan.xlsx", "could not be read as an Excel workbook"),
        (None, "plan.csv", "is an Excel workbook named .csv"),
        (b"a,b,a\n1,2,3\n", "plan.csv", "names a more than once"),
    ],
)
def test_unreadable_files_give_a_clear_message(engine, content, name, message):
    content = exports.template_xlsx() if content is None else content
    if message is None:
        assert read_table(content, name) == []
        report = run(engine, content, name)
        assert [str(e) for e in report.errors] == ["The file has a header but no rows."]
        return
    with pytest.raises(ImportFileError, match=message.replace(".", r"\.")):
        read_table(content, name)
    report = run(engine, content, name)
    assert len(report.errors) == 1 and report.errors[0].row is None
    assert message in str(report.errors[0])


def test_csv_with_or_without_byte_order_mark_and_with_semicolons(engine):
    rows = lm_rows(engine, "southwest")
    plain = raw_csv(rows)
    bom = exports.to_csv(rows)
    assert bom.startswith(b"\xef\xbb\xbf") and not plain.startswith(b"\xef\xbb\xbf")
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows([["" if r[c] is None else r[c] for c in EXPORT_COLUMNS] for r in rows])
    for data in (plain, bom, buf.getvalue().encode("utf-8")):
        assert read_table(data, "x.csv") == read_table(plain, "x.csv")
        assert unchanged(run(engine, data))


def test_blank_rows_are_skipped_but_keep_the_numbering(engine):
    rows = lm_rows(engine, "southwest")
    blank = dict.fromkeys(EXPORT_COLUMNS, "")
    rows = [rows[0], blank, rows[1], {**rows[2], "due_date": "2/30/2021"}, blank]
    report = run(engine, raw_csv(rows))
    assert [(e.row, e.column) for e in report.errors] == [(5, "due_date")]


def test_extra_cells_beyond_the_header_are_reported(engine):
    rows = lm_rows(engine, "southwest")[:2]
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerow([rows[0][c] for c in EXPORT_COLUMNS])
    writer.writerow([*(rows[1][c] for c in EXPORT_COLUMNS), "surprise"])
    report = run(engine, buf.getvalue().encode())
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (3, None, "more cells than the header has columns")
    ]


def test_only_admins_import(engine):
    rows = lm_rows(engine, "st-louis")
    rows[0]["text"] = "Changed by a lead"
    before = snapshot(engine)
    report = run(engine, raw_csv(rows), actor=LEAD)
    assert [str(e) for e in report.errors] == ["Only admins can import the plan."]
    assert snapshot(engine) == before


def test_an_outcome_cannot_move_to_another_logic_model(engine):
    rows = lm_rows(engine, "st-louis")
    rows[3]["outcome_id"] = "southwest.legal-services.short.1"
    report = run(engine, raw_csv(rows))
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (
            5,
            "outcome_id",
            "belongs to strategy 'southwest.legal-services'; an outcome cannot move to "
            "another strategy",
        )
    ]


def test_unexpected_error_while_writing_rolls_everything_back(engine, monkeypatch):
    rows = lm_rows(engine, "st-louis")
    rows[0]["text"] = "Edited first"
    rows.append({**rows[1], "outcome_id": "", "number": "8", "text": "New one"})
    rows.append({**rows[1], "outcome_id": "", "number": "9", "text": "Another new one"})
    real, calls = editing.create_outcome, []

    def fails_second_time(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kw)

    monkeypatch.setattr(editing, "create_outcome", fails_second_time)
    before = snapshot(engine)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(engine, raw_csv(rows))
    assert snapshot(engine) == before


def test_a_refusal_while_writing_is_reported_with_its_row(engine, monkeypatch):
    rows = lm_rows(engine, "st-louis")
    rows[0]["text"] = "Edited first"
    rows[4]["text"] = "Edited fifth"

    def refuse(*, session, item_id, **kw):
        if item_id == rows[4]["outcome_id"]:
            raise UpdateRejected("Refused for the test.")
        return real(session=session, item_id=item_id, **kw)

    real = editing.edit_item
    monkeypatch.setattr(editing, "edit_item", refuse)
    before = snapshot(engine)
    report = run(engine, raw_csv(rows))
    assert report.errors == [RowError(6, None, rows[4]["outcome_id"], "Refused for the test.")]
    assert snapshot(engine) == before


# ---- what an import changes ----------------------------------------------------------------


def test_edits_are_logged_and_statuses_ignored(engine):
    rows = lm_rows(engine, "st-louis")
    shelter = rows[0]["strategy_id"]
    rows[0]["text"] = f"  {RTL_EMOJI}   with   spaces "
    rows[1]["due_date"] = "7/4/2021"
    rows[2]["status"] = Status.DONE.value
    for row in rows:
        if row["strategy_id"] == shelter:
            row["resources"] = "CATE\n\nLocal shelters\n  "
    with Session(engine) as s:
        version = s.get(Outcome, rows[0]["outcome_id"]).version

    dry = run(engine, raw_csv(rows), dry_run=True)
    report = run(engine, raw_csv(rows), reason="Spring review")

    assert dry.counts == report.counts and not dry.applied and report.applied
    assert report.counts["outcome"] == Counter(changed=2, unchanged=len(rows) - 2)
    assert report.counts["strategy"] == Counter(changed=1, unchanged=2)
    assert "(1 row shows a status other than the database's)" in " ".join(report.lines())
    with Session(engine) as s:
        first = s.get(Outcome, rows[0]["outcome_id"])
        assert first.text == f"{RTL_EMOJI} with spaces" and first.version == version + 1
        assert s.get(Outcome, rows[1]["outcome_id"]).due_date == date(2021, 7, 4)
        assert s.get(Outcome, rows[2]["outcome_id"]).status == Status.NOT_STARTED.value
        assert s.get(Strategy, shelter).resources == ["CATE", "Local shelters"]
        log = s.exec(select(PlanChange).order_by(PlanChange.id)).all()
    assert [(c.subject_kind, c.subject_id, c.action) for c in log] == [
        ("strategy", shelter, "edited"),
        ("outcome", rows[0]["outcome_id"], "edited"),
        ("outcome", rows[1]["outcome_id"], "re-dated"),
    ]
    assert {c.reason for c in log} == {"Spring review"}
    assert {c.changed_by for c in log} == {ADMIN.username}
    assert len({c.batch for c in log}) == 1 and log[0].batch
    assert log[1].after == {"text": f"{RTL_EMOJI} with spaces"}


def test_missing_outcomes_are_reported_unless_asked_to_retire(engine):
    rows = lm_rows(engine, "st-louis")
    gone = [rows.pop(3)["outcome_id"], rows.pop(3)["outcome_id"]]
    before = snapshot(engine)

    kept = run(engine, raw_csv(rows))
    assert unchanged(kept) and snapshot(engine) == before
    assert (
        "2 outcomes in the database are not in the file; they were left as they are."
        in kept.lines()
    )
    assert [m.outcome_id for m in kept.plan.missing_outcomes] == gone

    retired = run(engine, raw_csv(rows), retire_missing=True)
    assert retired.counts["outcome"]["retired"] == 2
    assert "2 outcomes in the database are not in the file; they were retired." in retired.lines()
    with Session(engine) as s:
        assert all(s.get(Outcome, oid).retired for oid in gone)
        log = s.exec(select(PlanChange).where(PlanChange.action == "retired")).all()
    assert {c.subject_id for c in log} == set(gone)
    assert {c.reason for c in log} == {"Imported from plan.csv (not in the file)"}


def test_template_creates_a_logic_model_once(engine):
    data = exports.template_xlsx()
    report = run(engine, data, "template.xlsx")
    assert report.errors == [], report.lines()
    assert report.counts == {
        "logic_model": Counter(new=1),
        "strategy": Counter(new=1),
        "outcome": Counter(new=1),
    }
    lm_id = report.plan.logic_model.item_id
    assert lm_id == "southwest-example-workgroup-replace-with"
    (row,) = lm_rows(engine, lm_id)
    assert row["outcome_id"] == f"{lm_id}.example-strategy.short.1"
    assert (row["region_id"], row["need_id"], row["due_date"]) == (
        "southwest",
        "housing",
        "2026-12-31",
    )
    assert (row["logic_model_start"], row["date_as_written"]) == ("2026-07-01", "12/2026")
    assert row["tasks"] == "1. Convene a working group.\n2. Review shelter policies."
    assert change_count(engine) == 3
    assert unchanged(run(engine, data, "template.xlsx")) and change_count(engine) == 3
    assert unchanged(run(engine, exports.template_csv(), "template.csv"))


def test_rows_without_ids_are_found_or_created(engine):
    rows = lm_rows(engine, "st-louis")
    for row in rows:
        row["outcome_id"] = row["strategy_id"] = row["logic_model_id"] = ""
    rows.append({**rows[0], "number": "9", "text": "A new milestone", "due_date": ""})
    rows.append(
        {**rows[0], "number": "", "text": "Unnumbered", "date_as_written": "5/2027", "due_date": ""}
    )

    report = run(engine, raw_csv(rows))

    assert report.errors == [], report.lines()
    assert report.counts["outcome"] == Counter(new=2, unchanged=len(rows) - 2)
    by_id = {r["outcome_id"]: r for r in lm_rows(engine, "st-louis")}
    assert by_id["st-louis.adult-shelter.short.9"]["due_date"] == rows[0]["due_date"]
    assert by_id["st-louis.adult-shelter.short.n1"]["due_date"] == "2027-05-31"
    assert unchanged(run(engine, raw_csv(rows)))


def test_a_new_outcome_needs_a_due_date(engine):
    rows = lm_rows(engine, "st-louis")
    rows.append({**rows[0], "outcome_id": "", "number": "7", "due_date": "", "date_as_written": ""})
    rows.append(
        {**rows[0], "outcome_id": "", "number": "8", "due_date": "", "date_as_written": "2/31/2027"}
    )
    rows.append(
        {**rows[0], "outcome_id": "", "number": "9", "due_date": "", "date_as_written": "soon"}
    )
    report = run(engine, raw_csv(rows))
    n = len(rows)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (n - 1, "due_date", "empty: a new outcome needs a due date (YYYY-MM-DD)"),
        (n, "date_as_written", "impossible date (give the due_date)"),
        (n + 1, "due_date", "empty: a new outcome needs a due date (YYYY-MM-DD)"),
    ]


def test_formula_prefixes_are_text_and_escaping_is_undone(engine):
    rows = lm_rows(engine, "st-louis")[:3]
    rows[0]["text"], rows[1]["text"], rows[2]["text"] = "=1+1", "'=2+2", "''@3"
    assert run(engine, raw_csv(rows)).errors == []
    texts = [r["text"] for r in lm_rows(engine, "st-louis")[:3]]
    assert texts == ["=1+1", "=2+2", "'@3"]
    exported = exports.to_csv(lm_rows(engine, "st-louis"))
    assert b"'=1+1" in exported and b"'=2+2" in exported and b"''@3" in exported
    assert unchanged(run(engine, exported))


# ---- hypothesis: generated files --------------------------------------------------------

NEEDS = [
    ("housing", "Housing and shelter"),
    ("mental-health", "Mental health and substance use"),
    ("legal-services", "Legal services"),
    ("transportation", "Transportation"),
]
SPECIAL_TEXTS = [
    "مرحبا بالعالم — خطة العمل",
    "שלום עולם",
    "🏠👩‍⚖️🚌 shelter",
    '=HYPERLINK("http://example.com","x")',
    "+1 plus",
    "-2 minus",
    "@SUM(A1)",
    "\t=tab first",
    "'=quoted",
    "''+twice",
    "  spaced   out  ",
    "a\u200fb\u202ec",
]
texts = st.one_of(
    st.sampled_from(SPECIAL_TEXTS),
    st.text(st.characters(exclude_categories=("Cc", "Cs", "Cn")), min_size=1, max_size=40),
).filter(lambda s: s.split())
CORRUPTIONS = [
    "impossible date",
    "impossible ISO date",
    "unparseable date",
    "100,000 characters",
    "NUL",
    "empty text",
    "unknown term",
    "unknown need",
    "unknown region",
    "over-long strategy",
    "duplicate id",
]


def norm(text: str) -> str:
    return " ".join(text.split())


@st.composite
def generated_rows(draw, max_strategies: int = 3, max_outcomes: int = 4):
    """A new logic model's rows, as a person might write them."""
    with_ids = draw(st.booleans())
    region_id, region = draw(
        st.sampled_from(
            [("southwest", "Southwest"), ("", "Southwest"), ("southwest", ""), ("", "southwest")]
        )
    )
    start = draw(st.none() | st.dates(date(2019, 1, 1), date(2030, 12, 31)))
    lm_title = draw(texts)
    rows = []
    for s in range(draw(st.integers(1, max_strategies))):
        need = draw(st.sampled_from(NEEDS))
        need_id, need_label = draw(st.sampled_from([need, ("", need[1]), (need[0], "")]))
        strategy = {
            "strategy_id": f"hyp.s{s}" if with_ids else "",
            "strategy": f"{draw(texts)} #{s}",
            "strategy_label": draw(st.just("") | texts),
            "need_id": need_id,
            "need": need_label,
            "ultimate_outcome": draw(st.just("") | texts),
            "resources": "\n".join(draw(st.lists(texts, max_size=3))),
            "tasks": "\n".join(draw(st.lists(texts, max_size=3))),
        }
        numbers: Counter = Counter()
        for o in range(draw(st.integers(1, max_outcomes))):
            term = draw(st.sampled_from(["short", "medium", "long"]))
            number = ""
            if draw(st.booleans()):
                numbers[term] += 1
                number = str(numbers[term])
            due = draw(st.dates(date(2019, 1, 1), date(2030, 12, 31)))
            rows.append(
                {
                    "outcome_id": f"hyp.s{s}.o{o}" if with_ids else "",
                    "region_id": region_id,
                    "region": region,
                    "logic_model_id": "hyp" if with_ids else "",
                    "logic_model": lm_title,
                    "logic_model_start": start.isoformat() if start else "",
                    **strategy,
                    "term": term,
                    "number": number,
                    "text": draw(texts),
                    "date_as_written": draw(
                        st.sampled_from(["", "6/2021", "March/April", "2/31/2020", "by spring"])
                    ),
                    "due_date": due.isoformat()
                    if draw(st.booleans())
                    else f"{due.month}/{due.day}/{due.year}",
                    "status": draw(st.sampled_from(["", "Done", "Not started"])),
                }
            )
    return rows, with_ids


def corrupt(row: dict, kind: str, first: dict) -> None:
    match kind:
        case "impossible date":
            row["due_date"] = "2/31/2020"
        case "impossible ISO date":
            row["due_date"] = "2021-13-01"
        case "unparseable date":
            row["due_date"] = "soon"
        case "100,000 characters":
            row["text"] = "x" * 100_000
        case "NUL":
            row["text"] = "bad\x00text"
        case "empty text":
            row["text"] = "   "
        case "unknown term":
            row["term"] = "someday"
        case "unknown need":
            row["need_id"], row["need"] = "", "Unicorn care"
        case "unknown region":
            row["region_id"], row["region"] = "", "Atlantis"
        case "over-long strategy":
            row["strategy"] = "y" * 400
        case "duplicate id":
            row["outcome_id"] = first["outcome_id"]


@st.composite
def corrupted_files(draw):
    """Generated rows with some rows corrupted, or a required column left out."""
    rows, with_ids = draw(generated_rows())
    fmt = draw(st.sampled_from(["csv", "xlsx"]))
    dropped = draw(st.none() | st.sampled_from(REQUIRED_COLUMNS))
    chosen = st.tuples(st.integers(0, len(rows) - 1), st.sampled_from(CORRUPTIONS))
    corrupted: dict[int, str] = {}
    for i, kind in draw(st.lists(chosen, min_size=0 if dropped else 1, max_size=3)):
        if i in corrupted:
            continue
        if kind == "duplicate id" and not (with_ids and i > 0):
            kind = "impossible date"
        if kind == "NUL" and fmt == "xlsx":  # a workbook cannot hold NUL
            kind = "empty text"
        corrupted[i] = kind
        corrupt(rows[i], kind, rows[0])
    columns = [c for c in EXPORT_COLUMNS if c != dropped]
    data = raw_csv(rows, columns) if fmt == "csv" else raw_xlsx(rows, columns)
    return f"generated.{fmt}", data, corrupted, dropped


def expected_outcomes(rows: list[dict], read) -> Counter:
    return Counter(
        (read(r["strategy"]), r["term"], r["number"] or None, read(r["text"])) for r in rows
    )


def exported_outcomes(rows: list[dict]) -> Counter:
    return Counter((r["strategy"], r["term"], r["number"], r["text"]) for r in rows)


HYPOTHESIS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def untouched(_seeded_template):
    """One seeded database for every bad file: none of them may change it."""
    engine = make_engine("sqlite://")
    source, target = _seeded_template.raw_connection(), engine.raw_connection()
    try:
        source.driver_connection.backup(target.driver_connection)
    finally:
        source.close()
        target.close()
    yield engine, snapshot(engine)
    engine.dispose()


@settings(HYPOTHESIS, max_examples=30)
@given(corrupted_files())
def test_generated_bad_file_changes_nothing_and_names_exactly_the_bad_rows(untouched, bad):
    engine, before = untouched
    name, data, corrupted, dropped = bad

    report = run(engine, data, name)

    assert not report.applied
    assert snapshot(engine) == before
    if dropped:
        assert [(e.row, e.value) for e in report.errors] == [(None, dropped)]
    else:
        assert {e.row for e in report.errors} == {i + 2 for i in corrupted}, (
            [str(e) for e in report.errors],
            corrupted,
        )


@settings(HYPOTHESIS, max_examples=12)
@given(generated_rows(max_strategies=2, max_outcomes=3), st.sampled_from(["csv", "xlsx"]))
def test_generated_file_imports_and_round_trips(seeded_copy, generated, fmt):
    rows, _ = generated
    name = f"generated.{fmt}"
    engine = seeded_copy()

    report = run(engine, raw_csv(rows) if fmt == "csv" else raw_xlsx(rows), name)

    assert report.errors == [], report.lines()
    lm_id = report.plan.logic_model.item_id
    assert report.counts == {
        "logic_model": Counter(new=1),
        "strategy": Counter(new=len({r["strategy"] for r in rows})),
        "outcome": Counter(new=len(rows)),
    }
    # a raw CSV cell "'=x" reads as an escaped "=x"; raw_xlsx escapes every cell
    read = (lambda text: norm(unescape(text))) if fmt == "csv" else norm
    imported = lm_rows(engine, lm_id)
    assert exported_outcomes(imported) == expected_outcomes(rows, read)
    assert {r["region_id"] for r in imported} == {"southwest"}
    assert {r["logic_model"] for r in imported} == {read(rows[0]["logic_model"])}

    # export → import into a fresh database: the same plan
    fresh = seeded_copy()
    exported = exports.to_csv(imported) if fmt == "csv" else exports.to_xlsx(imported)
    assert run(fresh, exported, name).errors == []
    assert lm_rows(fresh, lm_id) == imported

    # and importing it again changes nothing, logs nothing
    logged = change_count(fresh)
    assert unchanged(run(fresh, exported, name)) and change_count(fresh) == logged


# ---- python -m core import ---------------------------------------------------------------


def test_cli_import_reports_bad_rows_and_changes_nothing(tmp_path, capsys):
    good = tmp_path / "stl.csv"
    assert main(["export", "--region", "st-louis", "--output", str(good)]) == 0
    text = good.read_bytes().decode("utf-8-sig")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace(",2020-06-30,", ",2/31/2020,", 1), encoding="utf-8")
    capsys.readouterr()

    assert main(["import", str(bad)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "bad.csv: 1 row with problems; nothing was imported.",
        'row 2, column due_date, value "2/31/2020": impossible date',
    ]

    assert main(["import", str(good), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Checked stl.csv; nothing was changed yet.")
    assert "Status columns were not imported" in out

    assert main(["import", str(tmp_path / "nope.csv")]) == 1
    assert "Cannot read" in capsys.readouterr().err


def test_cli_import_as_a_named_admin(tmp_path, capsys):
    path = tmp_path / "stl.xlsx"
    assert main(["export", "--format", "xlsx", "--region", "st-louis", "-o", str(path)]) == 0
    assert main(["users", "add", "ada", "--role", "admin", "--no-password"]) == 0
    assert main(["users", "add", "vic", "--role", "viewer", "--no-password"]) == 0
    capsys.readouterr()

    assert main(["import", str(path), "--as", "vic"]) == 1
    assert "'vic' is not an active admin" in capsys.readouterr().err
    assert main(["import", str(path), "--as", "ada", "--retire-missing"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Imported stl.xlsx: logic model unchanged;")
