"""`python -m core digest` for 100 leads over a synthetic 10,000-outcome plan.

    python bench/digest.py                 # 10,000 outcomes, 100 leads, 3 runs
    python bench/digest.py --outcomes 2000 --leads 20

Seeds a SQLite file from bench/synthetic.py (with its status history), adds the leads
(each assigned one region, round robin, with an e-mail address), then times, 3 times
each, median reported: the command `digest --dry-run` as cron runs it (a new process:
start-up, build every digest, print them), and a real run sending to an SMTP server on
a loopback port (aiosmtpd, from the test extra) that records every digest as sent
(its DigestSent rows are deleted between runs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # bench/synthetic.py
from sqlalchemy import delete
from sqlmodel import Session, select

from core.config import PROJECT_ROOT, Settings
from core.models import DigestSent, Region
from core.people import accounts
from core.store.bootstrap import init_db
from core.store.db import make_engine, write_session

NOW = "2026-12-07T08:00+00:00"


def seed(folder: Path, outcomes: int, leads: int) -> Path:
    data_dir, db = folder / "data", folder / "plan.db"
    synthetic.generate(outcomes, data_dir)
    engine = make_engine(f"sqlite:///{db}")
    init_db(engine, Settings(tracker_data_dir=data_dir))
    synthetic.add_history(engine, today=synthetic.date(2026, 11, 1))
    with write_session(engine) as session:
        regions = session.exec(select(Region.id).order_by(Region.position)).all()
        for i in range(leads):
            user = accounts.create_user(
                session=session, username=f"lead{i:03d}", role="lead", email=f"l{i}@example.org"
            )
            accounts.assign(session=session, user=user, region_id=regions[i % len(regions)])
    engine.dispose()
    return db


def environment(db: Path, smtp_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "TRACKER_SMTP_URL": smtp_url,
        "TRACKER_MAIL_FROM": "tracker@example.org",
        "TRACKER_BASE_URL": "https://tracker.example.org",
        "TRACKER_SECRET_KEY": "bench-" + "k" * 40,
    }


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "core", "digest", *args, "--now", NOW],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"digest failed: {done.stderr}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outcomes", type=int, default=10_000)
    parser.add_argument("--leads", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        db = seed(Path(tmp), args.outcomes, args.leads)
        print(
            f"seeded {args.outcomes:,} outcomes, {args.leads} leads in "
            f"{time.perf_counter() - started:.1f} s"
        )
        from aiosmtpd.controller import Controller

        from tests.core.io.conftest import Handler, free_port

        handler, port = Handler(), free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        env = environment(db, f"smtp://127.0.0.1:{port}")
        try:
            dry = [timed(["--dry-run"], env) for _ in range(args.runs)]
            sent = []
            engine = make_engine(f"sqlite:///{db}")
            for _ in range(args.runs):
                with write_session(engine) as session:
                    session.exec(delete(DigestSent))  # type: ignore[call-overload]
                sent.append(timed([], env))
            with Session(engine) as session:
                recorded = len(session.exec(select(DigestSent)).all())
        finally:
            controller.stop()
    for label, times in (("digest --dry-run", dry), ("digest (sending)", sent)):
        each = ", ".join(f"{t:.2f}" for t in times)
        print(f"{label}: median {statistics.median(times):.2f} s ({each})")
    print(f"messages accepted by the server: {len(handler.received)}; recorded as sent: {recorded}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
