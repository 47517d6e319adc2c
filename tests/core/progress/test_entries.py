"""Issue 15: the status-update history as columns (core/progress/entries.py), moved on
by the entries added since instead of read whole after every save, and the Evaluation's
figures summed from it. After any run of saves, undos (of undos too) and check-ins the
advanced columns are the columns read afresh, and so are the figures, on both
backends; the columns it started from are left as they were."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlmodel import Session, col, select

from core.models import Outcome, Status, StatusUpdate
from core.progress import counted, counts, entries, evaluation, marks
from core.progress.updates import revert_update, update_status
from core.store.db import write_session
from tests.core.progress.test_status_updates import ADMIN
from tests.core.progress.test_tally import SEED, TODAY, _entry_numbered, random_change


def version_of(engine, outcome_id: str) -> int:
    with Session(engine) as session:
        outcome = session.get(Outcome, outcome_id)
        assert outcome is not None
        return outcome.version


def record(engine, outcome_id: str, status: str) -> int:
    version = version_of(engine, outcome_id)
    with write_session(engine) as session:
        entry = update_status(
            session=session,
            actor=ADMIN,
            outcome_id=outcome_id,
            expected_version=version,
            new_status=status,
            note="moved on",
        )
        assert entry.id is not None
        return entry.id


def read(engine) -> entries.Entries:
    with Session(engine) as session:
        return entries.read(session)


def advanced(engine, base: entries.Entries) -> entries.Entries:
    with Session(engine) as session:
        return entries.advance(session, base)


def same(got: entries.Entries, want: entries.Entries) -> None:
    assert got.mark == want.mark
    assert list(got.rows()) == list(want.rows())
    assert got.counts == want.counts


def figures(engine, kept: entries.Entries | None = None) -> list[pd.DataFrame]:
    with Session(engine) as session:
        return [
            evaluation.current(session, TODAY, kept=kept),
            evaluation.over_time(session, TODAY, "month", kept=kept),
            evaluation.over_time(session, TODAY, "quarter", kept=kept),
        ]


def test_advanced_columns_are_the_columns_read_afresh(engine) -> None:
    base = read(engine)
    with Session(engine) as session:
        ids = sorted(session.exec(select(Outcome.id)).all())
    rng = random.Random(SEED)
    southwest = [i for i in ids if i.startswith("southwest.")]
    for _ in range(14):
        before = (list(base.rows()), list(base.counts))
        for _ in range(rng.choice([1, 1, 2, 3])):
            random_change(engine, rng, southwest)  # few outcomes: undos of undos come up

        moved = advanced(engine, base)

        assert (list(base.rows()), base.counts) == before  # left as it was
        same(moved, read(engine))
        base = moved
    with Session(engine) as session:  # the flags are the counted rule's
        rule = set(session.exec(select(StatusUpdate.id).where(counted.counts_every())).all())
    assert {e.id for e, counts_ in base.counted() if counts_} == rule
    assert not all(base.counts) and any(e.reverts for e in base.rows())  # undos were made


def test_an_undo_of_an_undo_makes_the_first_entry_count_again(engine) -> None:
    outcome = "southwest.legal-services.short.1"
    first = record(engine, outcome, Status.DONE.value)
    base = read(engine)

    def undo(entry_id: int) -> int:
        version = version_of(engine, outcome)
        with write_session(engine) as session:
            entry = revert_update(
                session=session, actor=ADMIN, status_update_id=entry_id, expected_version=version
            )
            assert entry.id is not None
            return entry.id

    def counts_of(kept: entries.Entries, entry_id: int) -> bool:
        return next(c for e, c in kept.counted() if e.id == entry_id)

    undone = undo(first)
    base = advanced(engine, base)
    assert not counts_of(base, first) and not counts_of(base, undone)
    undo(undone)  # the undo undone: the first entry counts again
    base = advanced(engine, base)
    assert counts_of(base, first)
    same(base, read(engine))


def test_the_evaluation_from_kept_columns_is_the_evaluation_read_now(engine) -> None:
    kept = read(engine)
    with Session(engine) as session:
        ids = sorted(session.exec(select(Outcome.id)).all())
    rng = random.Random(SEED + 1)
    for _ in range(3):
        for _ in range(4):
            random_change(engine, rng, ids)
        kept = advanced(engine, kept)
        for got, want in zip(figures(engine, kept), figures(engine), strict=True):
            pd.testing.assert_frame_equal(got, want)
    with Session(engine) as session:  # and from every kept source the server passes
        closed = evaluation.closed_outcomes(session)
        given = evaluation.current(
            session,
            TODAY,
            kept=kept,
            values=evaluation.measure_value_sums(session, None),
            rows=counts.grouped(session, today=TODAY, soon_days=30),
            closed=closed,
            done=evaluation.done_days(kept, closed),
        )
    pd.testing.assert_frame_equal(given, figures(engine)[0])


def test_an_entry_committed_late_below_the_mark_and_a_restore_read_all_again(engine) -> None:
    first, second = "southwest.legal-services.short.1", "central.crisis-shelter.medium.1"
    with Session(engine) as session:
        top = marks.mark(session).last
    _entry_numbered(engine, top + 10, first, Status.DONE.value)
    base = read(engine)
    _entry_numbered(engine, top + 5, second, Status.DONE.value)  # below the mark

    moved = advanced(engine, base)
    assert top + 5 in {e.id for e in moved.rows()}
    same(moved, read(engine))

    # Columns of a longer history than the database's: it was restored to an older copy.
    gone = marks.Mark(moved.mark.last + 10, moved.mark.count + 3)
    ahead = entries.Entries(gone, [], 0, [])
    same(advanced(engine, ahead), read(engine))


def test_many_entries_since_read_all_again(engine, monkeypatch) -> None:
    base = read(engine)
    with Session(engine) as session:
        ids = sorted(session.exec(select(Outcome.id)).all())
    calls: list[int] = []
    real = entries.read
    monkeypatch.setattr(entries, "read", lambda session: calls.append(1) or real(session))
    rng = random.Random(SEED)
    for _ in range(3):
        random_change(engine, rng, ids)
    moved = advanced(engine, base)
    assert calls == [1]  # more than ADVANCE_MAX_SHARE of so few: read whole
    with Session(engine) as session:
        same(moved, real(session))


def test_the_columns_leave_out_retired_outcomes_and_keep_times_in_utc(engine) -> None:
    outcome = "southwest.legal-services.short.1"
    record(engine, outcome, Status.IN_PROGRESS.value)
    retired = "central.crisis-shelter.medium.1"
    record(engine, retired, Status.IN_PROGRESS.value)
    with write_session(engine) as session:
        row = session.get(Outcome, retired)
        assert row is not None
        row.retired = True
        session.add(row)
    kept = read(engine)
    assert {e.outcome for e in kept.rows()} == {outcome}
    with Session(engine) as session:
        at = session.exec(
            select(StatusUpdate.changed_at).where(col(StatusUpdate.outcome_id) == outcome)
        ).one()
    stored = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
    (entry,) = kept.rows()
    assert entry.at == stored and entry.at.tzinfo is None  # naive, in UTC
    assert entry.month == f"{stored:%Y-%m}"
    assert entry.org == "" and entry.reverts == 0


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_periods_of_entries_near_a_month_and_quarter_edge(engine, period) -> None:
    """The history's months are of UTC times; quarters are built from them."""
    with write_session(engine) as session:
        for when, status in [
            (datetime(2021, 3, 31, 23, 59, 59, tzinfo=UTC), Status.IN_PROGRESS.value),
            (datetime(2021, 4, 1, 0, 0, 0, tzinfo=UTC), Status.BLOCKED.value),
        ]:
            outcome = session.get(Outcome, "southwest.legal-services.short.1")
            assert outcome is not None
            session.add(
                StatusUpdate(
                    outcome_id=outcome.id,
                    changed_at=when,
                    changed_by=ADMIN.username,
                    old_status=outcome.status,
                    new_status=status,
                )
            )
            outcome.status = status
            session.add(outcome)
    series = figures(engine)[1 if period == "month" else 2]
    southwest = series[series["region"] == "Southwest"].set_index("period")["updates"]
    if period == "month":
        assert (southwest["2021-03"], southwest["2021-04"]) == (1, 1)
    else:
        assert (southwest["2021-Q1"], southwest["2021-Q2"]) == (1, 1)
