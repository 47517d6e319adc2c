"""Issue 15: the counts scan moved on by each save (core/progress/counts.py `advance`)
instead of counting every outcome again. After any run of saves, undos and check-ins
an advanced tally is the tally counted afresh, for every kind of filter, on both
backends; the tally it started from is left as it was."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import threading
import zlib
from datetime import date

import pytest
from sqlmodel import Session, select

from core.errors import UpdateRejected
from core.models import Outcome, Status, StatusUpdate
from core.progress import counts, marks
from core.progress.filters import OutcomeFilter
from core.progress.updates import check_in, revert_update, update_status
from core.store.db import write_session
from tests.core.progress.test_status_updates import ADMIN

TODAY = date(2021, 6, 1)
SEED = int(os.environ.get("TALLY_SEED", "15"))
FILTERS = [
    OutcomeFilter(),
    OutcomeFilter(regions=("southwest", "central")),
    OutcomeFilter(needs=("housing",), terms=("short", "medium")),
    OutcomeFilter(statuses=(Status.DONE.value, Status.BLOCKED.value)),  # picks by status
    OutcomeFilter(schedules=("Overdue",), today=TODAY),
    OutcomeFilter(search="survivors"),
]
NOTES = {Status.BLOCKED.value: "Waiting on funding", Status.DROPPED.value: "Merged"}


def by_key(rows) -> dict:
    return {(r["region_id"], r["need_id"], r["logic_model_id"]): r for r in rows}


def fresh(engine, base: counts.Tally) -> counts.Tally:
    with Session(engine) as session:
        return counts.tally(session, base.flt, today=base.today, soon_days=base.soon_days)


def advanced(engine, base: counts.Tally) -> counts.Tally:
    with Session(engine) as session:
        return counts.advance(session, base)


def random_change(engine, rng: random.Random, ids: list[str]) -> None:
    """A save, an undo of an outcome's latest entry or a check-in, as leads make them
    (one the service refuses, e.g. a check-in on a dropped outcome, changes nothing)."""
    outcome_id = rng.choice(ids)
    with contextlib.suppress(UpdateRejected):
        _change(engine, rng, outcome_id)


def _change(engine, rng: random.Random, outcome_id: str) -> None:
    with write_session(engine) as s:
        outcome = s.get(Outcome, outcome_id)
        assert outcome is not None
        kind = rng.random()
        latest = s.exec(
            select(StatusUpdate)
            .where(StatusUpdate.outcome_id == outcome_id)
            .order_by(StatusUpdate.id.desc())  # type: ignore[union-attr]
        ).first()
        if kind < 0.2 and latest is not None:
            revert_update(
                session=s, actor=ADMIN, status_update_id=latest.id, expected_version=outcome.version
            )
        elif kind < 0.3:
            check_in(
                session=s, actor=ADMIN, outcome_id=outcome_id, expected_version=outcome.version
            )
        else:
            new = rng.choice([st.value for st in Status if st.value != outcome.status])
            update_status(
                session=s,
                actor=ADMIN,
                outcome_id=outcome_id,
                expected_version=outcome.version,
                new_status=new,
                note=NOTES.get(new, "moved on"),
            )


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: f"{f}"[:50])
@pytest.mark.parametrize("today", [TODAY, None])
def test_an_advanced_tally_is_the_tally_counted_afresh(engine, flt, today) -> None:
    with Session(engine) as session:
        base = counts.tally(session, flt, today=today, soon_days=30)
        ids = sorted(session.exec(select(Outcome.id)).all())
    rng = random.Random(SEED + zlib.crc32(f"{flt}{today}".encode()))
    southwest = [i for i in ids if i.startswith("southwest.")]
    for step in range(12):
        before = [dict(r) for r in base.rows]
        for _ in range(rng.choice([1, 1, 2, 3])):
            random_change(engine, rng, southwest if step % 2 else ids)

        moved = advanced(engine, base)

        assert [dict(r) for r in base.rows] == before  # the base is left as it was
        want = fresh(engine, base)
        assert by_key(moved.rows) == by_key(want.rows)
        assert dict(moved.parts) == dict(want.parts)
        assert dict(moved.totals) == dict(want.totals) == counts.totals_of(want.rows)
        assert {k: dict(v) for k, v in moved.strategies.items()} == {
            k: dict(v) for k, v in want.strategies.items()
        }
        assert moved.mark == want.mark
        base = moved
    with Session(engine) as session:
        assert counts.grouped(session, flt, today=today, soon_days=30) == list(
            counts.tally(session, flt, today=today, soon_days=30).rows
        )


def test_nothing_new_gives_the_same_tally_and_a_restore_counts_again(engine) -> None:
    with Session(engine) as session:
        base = counts.tally(session, today=TODAY, soon_days=30)
    assert advanced(engine, base) is base

    # A tally of a longer history than the database's: it was restored to an older copy.
    gone = marks.Mark(base.mark.last + 10, base.mark.count + 3)
    ahead = dataclasses.replace(base, mark=gone, parts={})
    again = advanced(engine, ahead)
    assert again.mark == base.mark and dict(again.parts) == dict(base.parts)


def test_many_updates_since_count_again(engine, monkeypatch) -> None:
    with Session(engine) as session:
        base = counts.tally(session, today=TODAY, soon_days=30)
        ids = sorted(session.exec(select(Outcome.id)).all())
    calls: list[int] = []
    real = counts.tally
    monkeypatch.setattr(counts, "tally", lambda *a, **k: calls.append(1) or real(*a, **k))
    rng = random.Random(3)
    random_change(engine, rng, ids)
    advanced(engine, base)
    assert calls == []  # one outcome: moved on, not counted again

    monkeypatch.setattr(counts, "ADVANCE_MAX_SHARE", 0.0)
    random_change(engine, rng, ids)
    random_change(engine, rng, ids)
    moved = advanced(engine, base)
    assert calls == [1]
    assert by_key(moved.rows) == by_key(fresh(engine, base).rows)


def test_a_live_tally_shared_by_threads_counts_each_save_once(backend, request, tmp_path) -> None:
    """Sessions of one server read the same live tally while leads save: whatever the
    interleaving, the rows end as the rows counted afresh. (On SQLite a file, as the
    server's: threads do not share one in-memory connection.)"""
    if backend == "sqlite":
        engine = request.getfixturevalue("seeded_copy")(f"sqlite:///{tmp_path / 'live.db'}")
    else:
        engine = request.getfixturevalue("engine")
    live = counts.LiveTally(OutcomeFilter(), today=TODAY, soon_days=30)
    with Session(engine) as session:
        live.current(session)
        ids = sorted(session.exec(select(Outcome.id)).all())
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(15):
                with Session(engine) as session:
                    live.current(session)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    rng = random.Random(7)
    for _ in range(15):
        random_change(engine, rng, ids)
    for t in threads:
        t.join()

    assert not errors
    with Session(engine) as session:
        rows = live.current(session).rows
        want = counts.tally(session, today=TODAY, soon_days=30)
    assert by_key(rows) == by_key(want.rows)


@pytest.mark.parametrize("today", [TODAY, None])
def test_the_parts_and_the_sql_sums_give_the_same_rows(engine, monkeypatch, today) -> None:
    """A filter that picks by status is summed by SQL (never moved on: no parts kept);
    any other from a part per outcome. Both count alike."""
    with Session(engine) as session:
        ids = sorted(session.exec(select(Outcome.id)).all())
    rng = random.Random(SEED)
    for _ in range(25):
        random_change(engine, rng, ids)
    with Session(engine) as session:
        by_parts = counts.tally(session, today=today, soon_days=30)
        monkeypatch.setattr(OutcomeFilter, "picks_by_status", lambda self: True)
        by_sums = counts.tally(session, today=today, soon_days=30)

    assert by_parts.parts and not by_sums.parts
    assert by_key(by_parts.rows) == by_key(by_sums.rows)
    assert sum(r["total"] for r in by_sums.rows) == len(ids)


@pytest.mark.parametrize("flt", [OutcomeFilter(), OutcomeFilter(regions=("southwest",))])
def test_strategy_spans_given_a_tallys_counts_are_the_spans_read_now(engine, flt) -> None:
    """The Timeline's strategy bars of a large plan: their dates read once per plan, their
    outcomes per status from the tally as it moves on, the same as reading them now."""
    from core.progress import queries

    with Session(engine) as session:
        spans = queries.strategy_spans(session, flt)
        base = counts.tally(session, flt, today=TODAY, soon_days=30)
        ids = sorted(session.exec(select(Outcome.id)).all())
    rng = random.Random(SEED)
    for _ in range(6):
        for _ in range(4):
            random_change(engine, rng, [i for i in ids if i.startswith("southwest.")])
        base = advanced(engine, base)
        with Session(engine) as session:
            assert counts.with_strategy_counts(spans, base) == queries.strategy_spans(session, flt)
    by_status = dataclasses.replace(flt, statuses=(Status.DONE.value,))
    with Session(engine) as session:
        assert counts.with_strategy_counts(spans, counts.tally(session, by_status)) is None
    assert counts.with_strategy_counts([*spans[1:], {**spans[0], "outcomes": 0}], base) is None


def test_the_latest_update_per_region_kept_current_is_the_one_read_now(engine) -> None:
    """Issue 15: each region's latest status update, moved on by the updates since (a
    later entry may carry an earlier time: the later of the two is kept), is the one
    read from the whole history; and the Overview's freshness built on it too."""
    from datetime import UTC, datetime

    from core.progress import activity

    live = activity.LatestUpdates()

    def read_now(session) -> dict:
        return activity._latest_per_region(
            session, StatusUpdate.changed_at, StatusUpdate.outcome_id
        )

    with Session(engine) as session:
        assert live.per_region(session) == read_now(session) == {}
        ids = sorted(session.exec(select(Outcome.id)).all())
    rng = random.Random(SEED)
    for step in range(6):
        for _ in range(3):
            random_change(engine, rng, ids)
        outcome_id = rng.choice(ids)
        with write_session(engine) as s:
            outcome = s.get(Outcome, outcome_id)
            assert outcome is not None
            update_status(  # an entry dated in the past (an import, a late record)
                session=s,
                actor=ADMIN,
                outcome_id=outcome_id,
                expected_version=outcome.version,
                new_status=Status.IN_PROGRESS.value
                if outcome.status != Status.IN_PROGRESS.value
                else Status.DONE.value,
                note="recorded late",
                now=datetime(2020, 1, 1 + step, tzinfo=UTC),
            )
        with Session(engine) as session:
            kept = live.per_region(session)
            assert kept == read_now(session)
            assert activity.region_freshness(session, TODAY, kept) == activity.region_freshness(
                session, TODAY
            )


def _entry_numbered(engine, entry_id: int, outcome_id: str, status: str) -> None:
    """A status change whose entry carries `entry_id`, as PostgreSQL's sequence may have
    numbered it: ids are handed out when a transaction inserts, not when it commits
    (the history is append-only, so the entry is written with its id)."""
    with write_session(engine) as s:
        outcome = s.get(Outcome, outcome_id)
        assert outcome is not None
        s.add(
            StatusUpdate(
                id=entry_id,
                outcome_id=outcome_id,
                changed_by=ADMIN.username,
                old_status=outcome.status,
                new_status=status,
                note="numbered out of order",
            )
        )
        outcome.status, outcome.version = status, outcome.version + 1
        s.add(outcome)


def test_an_entry_committed_late_below_the_mark_is_counted(engine) -> None:
    """A save whose id is below one a reader has already seen (on PostgreSQL a
    transaction can commit after a later-numbered one) is counted, not skipped: the
    tally, the burn-up's steps and the latest updates all read their history whole
    again when more entries sit below their mark than they counted."""
    from core.progress import activity
    from core.progress.burnup import LiveSteps, steps_of

    first, second = "southwest.legal-services.short.1", "central.crisis-shelter.medium.1"
    with Session(engine) as session:
        top = marks.mark(session).last
    _entry_numbered(engine, top + 10, first, Status.DONE.value)  # numbered later, in first
    with Session(engine) as session:
        base = counts.tally(session, today=TODAY, soon_days=30)
        steps, latest = LiveSteps(OutcomeFilter(), None), activity.LatestUpdates()
        steps.steps(session)
        latest.per_region(session)
    _entry_numbered(engine, top + 5, second, Status.DONE.value)  # numbered earlier, in after

    with Session(engine) as session:
        moved = counts.advance(session, base)
        want = counts.tally(session, today=TODAY, soon_days=30)
        assert by_key(moved.rows) == by_key(want.rows)
        assert moved.totals[Status.DONE.value] == base.totals[Status.DONE.value] + 1
        assert moved.mark == marks.mark(session)
        assert dict(steps.steps(session)) == dict(steps_of(session, OutcomeFilter(), None))
        assert latest.per_region(session) == activity._latest_per_region(
            session, StatusUpdate.changed_at, StatusUpdate.outcome_id
        )


def test_a_run_with_an_older_stamp_gets_the_newer_tally(engine, monkeypatch) -> None:
    """Sessions read their data stamp at the start of a run: one that read it before
    another session's save (and its run moved the tally on) gets the newer tally as it
    is, not a count of every outcome again."""
    with Session(engine) as session:
        ids = sorted(session.exec(select(Outcome.id)).all())
        older = marks.mark(session)
        live = counts.LiveTally(OutcomeFilter(), today=TODAY, soon_days=30)
        live.current(session, older)
    random_change(engine, random.Random(SEED), ids)
    with Session(engine) as session:
        newer = live.current(session, marks.mark(session))
    assert newer.mark != older  # the change was saved
    calls: list[int] = []
    real = counts.tally
    monkeypatch.setattr(counts, "tally", lambda *a, **k: calls.append(1) or real(*a, **k))
    with Session(engine) as session:
        assert live.current(session, older) is newer
    assert calls == []
