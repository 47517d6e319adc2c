"""The admins' history check (ui/integrity.py) runs beside the page: a check of a
large history no longer holds up every run after a save (issue 15); its result shows on
a later run, and a check starts again only when the data stamp moves."""

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

    problem = check.latest("engine", ("stamp", 2))  # the stamp moved: checked again
    check._thread.join(5)
    assert problem is not None and "status_update" in problem
    assert check.latest("engine", ("stamp", 2)) == problem
    assert len(calls) == 2  # stamp 1, then stamp 2; the same stamp is not checked again


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
