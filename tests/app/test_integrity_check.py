"""The admins' history check (ui/integrity.py) runs beside the page: a check of a
large history no longer holds up every run after a save (issue 15); its result shows on
a later run. A check starts again only when the data stamp moves, and then reads only
what was added since the last check that passed; a whole check every AGAIN_S."""

from __future__ import annotations

import threading

from core.store import chain
from ui import integrity


def test_a_slow_check_does_not_hold_up_the_run_and_shows_later(monkeypatch):
    release, calls = threading.Event(), []

    def slow_verify(engine):
        calls.append(engine)
        release.wait(10)
        return chain.VerifyReport(problems=[chain.Problem("status_update", 3, "hash differs")])

    monkeypatch.setattr(integrity, "WAIT_S", 0.01)
    monkeypatch.setattr(chain, "verify", slow_verify)
    check = integrity.Check()

    assert check.latest("engine", ("stamp", 1)) is None  # still running: nothing known yet
    assert check.latest("engine", ("stamp", 2)) is None  # no second check while one runs
    release.set()
    check._thread.join(5)

    problem = check.latest("engine", ("stamp", 2))  # the first check's result
    assert problem is not None and "status_update" in problem
    # A save does not mend a broken history: the problem stays until the next whole check
    assert check.latest("engine", ("stamp", 3)) == problem
    assert len(calls) == 1


def test_after_a_check_that_passed_a_save_checks_only_what_was_added(monkeypatch):
    """Issue 15: every save made the next admin run check the whole history in a thread
    beside it (at 100,000 outcomes some 230 ms, and a 200 ms wait for it, on every page
    after every save)."""
    calls: list[tuple[str, object]] = []
    passed = chain.VerifyReport(rows={"status_update": 4}, heads={"status_update": None})

    def verify(engine):
        calls.append(("whole", None))
        return passed

    def verify_since(engine, last):
        calls.append(("since", last))
        return chain.VerifyReport(rows={"status_update": 5}, heads={"status_update": None})

    monkeypatch.setattr(chain, "verify", verify)
    monkeypatch.setattr(chain, "verify_since", verify_since)
    check = integrity.Check()
    for stamp in (1, 1, 2, 3):
        assert check.latest("engine", ("stamp", stamp)) is None
        check._thread.join(5)
    assert [kind for kind, _ in calls] == ["whole", "since", "since"]
    assert calls[1][1] is passed  # from where the whole check ended

    monkeypatch.setattr(integrity, "AGAIN_S", -1)  # ten minutes on: a whole check again
    check.latest("engine", ("stamp", 3))
    check._thread.join(5)
    assert calls[-1] == ("whole", None)


def test_a_check_that_cannot_run_still_warns(monkeypatch):
    """Found in review: only database errors were caught, so any other failure (a row
    tampered into something unreadable) ended the thread silently and admins were
    never warned."""

    def broken_verify(engine):
        raise ValueError("Invalid isoformat string: 'yesterday'")

    monkeypatch.setattr(chain, "verify", broken_verify)
    check = integrity.Check()

    check.latest("engine", ("stamp", 1))
    check._thread.join(5)

    assert check.latest("engine", ("stamp", 1)) == "The history check could not run (ValueError)"
