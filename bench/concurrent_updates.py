"""Stress the no-lost-updates guarantee: many processes doing read-modify-write status
updates on a few shared outcomes.

    python bench/concurrent_updates.py --processes 8 --updates 200 --outcomes 5

Uses a temporary SQLite copy of the database (made with the sqlite3 backup API; a
fresh seed if there is none), or the database named by DATABASE_URL. Ends with one line
`committed=N conflicts=N errors=N lost_updates=N`, where lost updates are computed from
the data: per outcome, committed saves vs version increments vs history rows; every
history row's old status must be the previous row's new status and the status its
writer saw when it read the outcome.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, col, func, select

from core.config import get_settings
from core.models import Outcome, Role, Status, StatusUpdate
from core.people.permissions import Actor
from core.progress.updates import StaleUpdate, update_status
from core.store.bootstrap import init_db
from core.store.db import make_engine, write_session

CHOICES = [Status.NOT_STARTED, Status.IN_PROGRESS, Status.DONE, Status.BLOCKED]


def worker(url: str, outcome_ids: list[str], updates: int, seed: int, out: mp.Queue) -> None:
    engine = make_engine(url)
    actor = Actor(
        user_id=seed + 1, username=f"bench-{seed}", display_name=f"Bench {seed}", role=Role.ADMIN
    )
    rng = random.Random(seed)
    committed: Counter = Counter()
    conflicts = errors = 0
    error_samples: list[str] = []
    for i in range(updates):
        outcome_id = rng.choice(outcome_ids)
        with Session(engine) as session:  # read: what a form would show
            outcome = session.get(Outcome, outcome_id)
            seen_version, seen_status = outcome.version, outcome.status
        time.sleep(rng.random() / 1000)  # the person thinks
        new = rng.choice([s for s in CHOICES if s.value != seen_status])
        try:
            with write_session(engine) as session:
                update_status(
                    session=session,
                    actor=actor,
                    outcome_id=outcome_id,
                    expected_version=seen_version,
                    new_status=new.value,
                    note=f"bench {seed}/{i} saw={seen_status}",
                )
            committed[outcome_id] += 1
        except StaleUpdate:
            conflicts += 1
        except Exception as exc:  # counted and reported, never hidden
            errors += 1
            if len(error_samples) < 3:
                error_samples.append(f"{type(exc).__name__}: {exc}")
    engine.dispose()
    out.put((dict(committed), conflicts, errors, error_samples))


def snapshot(engine, outcome_ids):
    with Session(engine) as session:
        versions = dict(
            session.exec(
                select(Outcome.id, Outcome.version).where(col(Outcome.id).in_(outcome_ids))
            ).all()
        )
        counts = dict(
            session.exec(
                select(StatusUpdate.outcome_id, func.count())
                .where(col(StatusUpdate.outcome_id).in_(outcome_ids))
                .group_by(StatusUpdate.outcome_id)
            ).all()
        )
    return versions, counts


def broken_chain_rows(engine, outcome_ids, after_ids) -> int:
    """History rows whose old status is not the previous row's new status, or not the
    status its writer saw when it read the outcome (a save based on a stale read)."""
    broken = 0
    with Session(engine) as session:
        for outcome_id in outcome_ids:
            rows = session.exec(
                select(StatusUpdate)
                .where(StatusUpdate.outcome_id == outcome_id)
                .order_by(col(StatusUpdate.id))
            ).all()
            previous = None
            for row in rows:
                new = row.id > after_ids.get(outcome_id, 0)
                if (new and previous is not None and row.old_status != previous.new_status) or (
                    new and " saw=" in row.note and row.note.split(" saw=", 1)[1] != row.old_status
                ):
                    broken += 1
                previous = row
    return broken


def database_url(tmp: Path) -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    target = tmp / "bench.db"
    source = get_settings().tracker_sqlite_path
    if source.exists():
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
    return f"sqlite:///{target}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--updates", type=int, default=200, help="per process")
    parser.add_argument("--outcomes", type=int, default=5, help="shared outcomes to fight over")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        url = database_url(Path(tmp))
        engine = make_engine(url)
        init_db(engine)
        with Session(engine) as session:
            outcome_ids = list(
                session.exec(
                    select(Outcome.id)
                    .where(Outcome.retired.is_(False))
                    .order_by(Outcome.id)
                    .limit(args.outcomes)
                ).all()
            )
        versions0, counts0 = snapshot(engine, outcome_ids)
        with Session(engine) as session:
            last_ids = {
                o: session.exec(
                    select(func.max(StatusUpdate.id)).where(StatusUpdate.outcome_id == o)
                ).one()
                or 0
                for o in outcome_ids
            }

        queue: mp.Queue = mp.Queue()
        started = time.perf_counter()
        procs = [
            mp.Process(target=worker, args=(url, outcome_ids, args.updates, seed, queue))
            for seed in range(args.processes)
        ]
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - started

        committed: Counter = Counter()
        conflicts = errors = 0
        samples: list[str] = []
        for per_outcome, c, e, s in results:
            committed.update(per_outcome)
            conflicts += c
            errors += e
            samples += s
        versions1, counts1 = snapshot(engine, outcome_ids)
        lost = 0
        for o in outcome_ids:
            increments = versions1[o] - versions0[o]
            rows = counts1.get(o, 0) - counts0.get(o, 0)
            lost += abs(committed[o] - increments) + abs(committed[o] - rows)
        lost += broken_chain_rows(engine, outcome_ids, last_ids)
        engine.dispose()

    total = sum(committed.values())
    print(
        f"{args.processes} processes × {args.updates} updates on {len(outcome_ids)} outcomes "
        f"in {elapsed:.1f} s ({total / elapsed:.0f} commits/s)",
        file=sys.stderr,
    )
    for sample in samples:
        print(f"  error: {sample}", file=sys.stderr)
    print(f"committed={total} conflicts={conflicts} errors={errors} lost_updates={lost}")
    return 0 if errors == 0 and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
