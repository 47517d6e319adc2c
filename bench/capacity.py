"""Capacity: hundreds of lead sessions speaking Streamlit's own protocol, under Locust.

    pip install -e '.[bench]'
    python bench/capacity.py --sessions 5,10 --seconds 30       # a short trial
    python bench/capacity.py --sessions 10,25,50,100 --seconds 60 --think 5

Starts the README's command on a free loopback port with a fresh temporary SQLite
database (seeded from data/ before the first start, TRACKER_TODAY pinned), with one
lead per region (`lead-<region id>`). Each Locust virtual user is one Streamlit
session (bench/protocol.py: the WebSocket at /_stcore/stream, no browser) of its
region's lead; it opens the Overview, then cycles with a think time between steps:
filter the sidebar to its region, open Overdue & due soon, sign in (the sidebar form)
once, and tick one of its overdue outcomes and either mark it done (one in five) or
open the Update dialog, set "In progress" with a note, and save. As in the browser
(bench/protocol.py), the dialog's Save reruns the dialog's fragment, whose `st.rerun()`
then runs the page.

`--sign-in password` (the default) has every lead type their password into the
sidebar's form in the first cycle: a storm of Argon2 hashes (64 MiB, ~0.15 s of both
cores each) while the level runs. `--sign-in cookie` has every lead come back signed
in, as a lead does who signed in on an earlier day (README, "Staying signed in"): each
virtual user's WebSocket carries a `tracker_session` cookie of its own, made before the
level starts, and its sign-in step is a save like the others.

Per level (`--sessions`, each run for `--seconds` once all have spawned, ~10 s): rerun
times (send -> script_finished, every step of every user from its first load on), errors
(broken connections, timeouts, exceptions or error alerts on a page, a sign-in that did
not take), conflicts (another lead of the same region saved that outcome first: the
expected refusal, or the ticked row gone because it was closed meanwhile; counted
apart), saves the client saw succeed, saves skipped because the lead's region had
nothing overdue left (nothing_left: a long run closes them all), and lost updates
(saves seen but missing from status_update). The server's CPU (in % of one core, once
all have spawned) and RSS (peak, and its growth over the level per session) are read
with psutil. Prints one line
per level, the knee (where p95 crosses 1 s) and last `sessions=N rerun_p50_ms=…
rerun_p95_ms=… errors=0 lost_updates=0` for the largest level. Loopback only, at most
300 sessions and 600 s a level; the server is stopped at the end, on Ctrl-C and on
error.

`--floor` serves bench/floor_page.py instead (Streamlit's own floor: no database, no
project code), each virtual user making a lead's runs at a lead's think times, each a
change of one of its selectboxes: the knee of Streamlit itself on this machine, to set
the dashboard's beside.
"""

from __future__ import annotations

import locust  # noqa: F401  (first: gevent's monkey-patching)

# isort: split
import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from functools import partial
from itertools import count
from pathlib import Path

import gevent
import psutil
import pyarrow as pa
from locust import User, between, events, task
from locust.env import Environment

BENCH = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH.parent
sys.path[:0] = [str(PROJECT_ROOT), str(BENCH)]

from protocol import ProtocolClient, ProtocolError  # noqa: E402
from sqlmodel import Session, col, func, select  # noqa: E402

from core.config import Settings  # noqa: E402
from core.models import Region, StatusUpdate  # noqa: E402
from core.people import accounts  # noqa: E402
from core.people import sessions as user_sessions  # noqa: E402
from core.store.bootstrap import init_db  # noqa: E402
from core.store.db import make_engine, write_session  # noqa: E402
from ui.routes import SESSION_COOKIE  # noqa: E402

PASSWORD = "capacity bench password"
TODAY = "2021-06-01"
KNEE_MS = 1000.0
MAX_SESSIONS, MAX_SECONDS = 300, 600
CONFLICT = "after you opened the form"  # core.progress.updates.StaleUpdate's words


@dataclass
class Level:
    """What one level's users saw."""

    sessions: int
    rerun_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0
    notes_saved: list[str] = field(default_factory=list)  # note markers of saves seen
    nothing_left: int = 0  # saves skipped: the lead's region had nothing overdue left
    done_saved: int = 0


LEVEL = Level(0)
REGIONS: list[tuple[str, str]] = []  # (id, name)
# --sign-in cookie: the session cookie of virtual user n, a session of the lead of
# REGIONS[n % len(REGIONS)] (empty: every lead signs in with the password).
TOKENS: list[str] = []
_numbers = count()


class Lead(User):
    """One lead's session: Overview, own-region filter, Overdue, sign-in, a save."""

    wait_time = between(4, 6)

    def on_start(self) -> None:
        self.number = next(_numbers)
        self.region_id, self.region = REGIONS[self.number % len(REGIONS)]
        cookies = {SESSION_COOKIE: TOKENS[self.number]} if TOKENS else None
        self.client = ProtocolClient(self.host or "", timeout=60, cookies=cookies)
        self.signed_in = False
        self.saves = 0
        self.steps = [self.filter_region, self.overdue, self.sign_in, self.save]
        self.step = 0
        self._guarded(self._open, "open")

    def _open(self) -> None:
        run = self._timed("open", self.client.open)
        if TOKENS:
            self.signed_in = any(run.find("button", label="Sign out"))
            if not self.signed_in:
                self._error("open: the session cookie did not sign the lead in")

    def on_stop(self) -> None:
        self.client.close()

    @task
    def next_step(self) -> None:
        action = self.steps[self.step % len(self.steps)]
        self.step += 1
        self._guarded(action, getattr(action, "__name__", "change"))

    def _guarded(self, action, name: str) -> None:
        # Anything that goes wrong in a step is the bench's error count, not Locust's log.
        try:
            action()
        except ProtocolError as exc:
            self._error(f"{name}: {exc}")
        except Exception as exc:
            self._error(f"{name}: {type(exc).__name__}: {exc}")

    def _timed(self, name: str, send):
        run = send()
        LEVEL.rerun_ms.append(run.ms)
        self.environment.events.request.fire(
            request_type="WS", name=name, response_time=run.ms,
            response_length=run.messages, exception=None, context={},
        )  # fmt: skip
        for error in run.errors():
            if CONFLICT in error:
                LEVEL.conflicts += 1
            else:
                self._error(f"{name}: {error[:120]}")
        return run

    def _error(self, message: str) -> None:
        LEVEL.errors.append(message)

    def filter_region(self) -> None:
        if self.client.last and self.client.last.page_hash != self.client.pages.get("Overview"):
            self._timed("overview", lambda: self.client.goto("Overview"))
        region = self.client.widget(key="f_region").id
        self._timed("filter", lambda: self.client.change(region, [self.region]))

    def overdue(self) -> None:
        self._timed("overdue", lambda: self.client.goto("Overdue & due soon"))

    def sign_in(self) -> None:
        if self.signed_in:
            return self.save()
        c = self.client
        c.set_widget(c.widget(kind="text_input", label="Username").id, f"lead-{self.region_id}")
        c.set_widget(c.widget(kind="text_input", label="Password").id, PASSWORD)
        run = self._timed("sign_in", lambda: c.click(c.button("Sign in").id))
        self.signed_in = any(run.find("button", label="Sign out"))
        if not self.signed_in:
            self._error("sign_in: no 'Sign out' button after signing in")

    def save(self) -> None:
        c = self.client
        if not self.signed_in or c.last is None or c.last.page_hash != c.pages.get("overdue"):
            return
        tables = (n for n in c.last.find("dataframe") if n.key.startswith("overdue_table_"))
        table = next(tables, None)  # None: nothing of this region is overdue any more
        rows = pa.ipc.open_stream(table.proto.arrow_data.data).read_all().num_rows if table else 0
        if rows == 0:
            LEVEL.nothing_left += 1
            return
        tick = {"selection": {"rows": [random.randrange(rows)], "columns": []}}
        run = self._timed("select", lambda: c.change(table.id, tick))
        if not any(run.find("button", key="form_overdue_one")):
            # Another lead closed that outcome since this page was drawn: the tick is
            # dropped with it (ui/selection.py), as a browser user would see.
            LEVEL.conflicts += 1
            return
        self.saves += 1
        if random.random() < 0.2:
            run = self._timed("done", lambda: c.click(c.widget(key="done_overdue_one").id))
            if "Marked done." in run.texts("toast"):
                LEVEL.done_saved += 1
            return
        run = self._timed("update", lambda: c.click(c.widget(key="form_overdue_one").id))
        status = next((n for n in run.find("selectbox") if n.key.startswith("uf_status_")), None)
        if status is None:
            if not any(run.find("button", key="form_overdue_one")):
                # Another session of this region's lead closed the outcome meanwhile:
                # its row, the tick and the Update button went with it.
                LEVEL.conflicts += 1
                return
            self._error("update: the Update dialog did not open")
            return
        marker = f"capacity {LEVEL.sessions}/{self.number}/{self.saves}"
        c.set_widget(status.id, "In progress")
        c.set_widget(next(n for n in run.find("text_area") if n.key.startswith("uf_note_")).id,
                     marker)  # fmt: skip
        run = self._timed("save", lambda: c.click(c.button("Save").id))
        # The toast is sent before the dialog's st.rerun() and may be dropped with the
        # interrupted run: a closed form with no error is the success the user sees.
        form_open = any(n.key.startswith("uf_note_") for n in run.find("text_area"))
        if not form_open and not run.errors():
            LEVEL.notes_saved.append(marker)


class FloorUser(Lead):
    """`--floor`: a session of bench/floor_page.py (Streamlit's own floor: seven
    selectboxes, five metrics, a chart, a table; no database) making a lead's runs with
    a lead's think times: per cycle, 2 runs (the Overview, the region filter), 1 (Overdue),
    then twice 3 (a tick, the Update dialog, its Save), each a change of one of its
    selectboxes. What one server process carries of Streamlit itself, for the knee."""

    RUNS_PER_STEP = (2, 1, 3, 3)

    def on_start(self) -> None:
        self.number = next(_numbers)
        self.client = ProtocolClient(self.host or "", timeout=60)
        # Lead.next_step takes these in turn.
        self.steps = [partial(self.change, runs) for runs in self.RUNS_PER_STEP]
        self.step = 0
        self._guarded(lambda: self._timed("open", self.client.open), "open")

    def change(self, runs: int) -> None:
        for _ in range(runs):
            boxes = list(self.client.last.find("selectbox")) if self.client.last else []
            if not boxes:
                raise ProtocolError("the floor page drew no selectbox")
            box = random.choice(boxes)
            option = random.choice(list(box.proto.options))
            self._timed("change", lambda: self.client.change(box.id, option))  # noqa: B023


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(db_url: str, *, cookies: int = 0) -> list[tuple[str, str]]:
    """Seed the plan, and one lead per region; returns the regions (id, name). With
    `cookies`, also that many sessions (TOKENS[n]: a session of the lead of region
    n % regions, as the sign-in route makes them)."""
    engine = make_engine(db_url)
    try:
        init_db(engine, Settings(tracker_data_dir=PROJECT_ROOT / "data"))
        with write_session(engine) as session:
            regions = session.exec(select(Region).order_by(col(Region.position))).all()
            leads = []
            for region in regions:
                user = accounts.create_user(
                    session=session, username=f"lead-{region.id}", role="lead",
                    password=PASSWORD, display_name=f"Lead {region.name}",
                )  # fmt: skip
                accounts.assign(session=session, user=user, region_id=region.id)
                leads.append(user)
            TOKENS[:] = [
                user_sessions.create_session(
                    session=session, user=leads[n % len(leads)], user_agent="capacity bench"
                )
                for n in range(cookies)
            ]
            return [(r.id, r.name) for r in regions]
    finally:
        engine.dispose()


def start_server(
    folder: Path,
    db_url: str,
    *,
    name: str = "streamlit",
    prefix: tuple[str, ...] = (),
    app: str = "dashboard.py",
) -> tuple[subprocess.Popen, str]:
    """The README's command on a free loopback port (its log: folder/<name>.log),
    started under `prefix` (e.g. taskset) when given; `app` another script instead
    (the floor page)."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
        "DATABASE_URL": db_url,
        "TRACKER_TODAY": TODAY,
    }
    if db_url.startswith("sqlite:///"):
        env["TRACKER_SQLITE_PATH"] = db_url.removeprefix("sqlite:///")
    command = [*prefix, sys.executable, "-m", "streamlit", "run", app,
               "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"]  # fmt: skip
    log_file = folder / f"{name}.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                return process, url
        except OSError:
            gevent.sleep(0.3)
    stop_server(process)
    raise SystemExit(f"streamlit did not start:\n{log_file.read_text()}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def history(db_url: str) -> tuple[set[str], int]:
    """The notes of the bench's status updates, and how many were marked done without one."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            notes = session.exec(
                select(StatusUpdate.note).where(col(StatusUpdate.note).startswith("capacity "))
            ).all()
            done = session.exec(
                select(func.count()).where(
                    col(StatusUpdate.changed_by).startswith("lead-"),
                    StatusUpdate.new_status == "Done",
                    StatusUpdate.note == "",
                )
            ).one()
        return set(notes), int(done)
    finally:
        engine.dispose()


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def run_level(
    url: str,
    sessions: int,
    seconds: float,
    server: psutil.Process,
    rss_warm: int,
    user_class: type[Lead] = Lead,
) -> dict:
    global LEVEL
    LEVEL = Level(sessions)
    env = Environment(user_classes=[user_class], events=events, host=url)
    runner = env.create_local_runner()
    spawn_rate = max(1.0, sessions / 10)  # everyone in within ~10 s
    runner.start(sessions, spawn_rate=spawn_rate)
    gevent.sleep(sessions / spawn_rate)
    cpu_start, clock_start, rss_peak = sum(server.cpu_times()[:2]), time.monotonic(), rss_warm
    reruns_start = len(LEVEL.rerun_ms)
    while time.monotonic() - clock_start < seconds:
        gevent.sleep(1)
        rss_peak = max(rss_peak, server.memory_info().rss)
    window = time.monotonic() - clock_start
    cpu = (sum(server.cpu_times()[:2]) - cpu_start) / window
    # reruns finished once everyone had spawned, per second: the throughput
    throughput = (len(LEVEL.rerun_ms) - reruns_start) / window
    runner.stop()
    runner.quit()
    steps = " ".join(
        f"{e.name}={e.num_requests}x{e.get_response_time_percentile(0.95):.0f}"
        for e in sorted(env.stats.entries.values(), key=lambda e: e.name)
    )
    return {
        "cpu": cpu,
        "rss_warm": rss_warm,
        "rss_peak": rss_peak,
        "level": LEVEL,
        "steps": steps,
        "reruns_per_s": throughput,
    }


def report(result: dict, db_url: str, seen: tuple[set[str], int]) -> tuple[str, str, float]:
    """The level's line, its line in the final format, and its p95."""
    level: Level = result["level"]
    notes, done_rows = history(db_url)
    lost = len(set(level.notes_saved) - notes) + max(0, level.done_saved - (done_rows - seen[1]))
    p50, p95 = percentile(level.rerun_ms, 0.5), percentile(level.rerun_ms, 0.95)
    n = level.sessions
    mb = 1024 * 1024
    line = (
        f"sessions={n} reruns={len(level.rerun_ms)} rerun_p50_ms={p50:.0f} "
        f"rerun_p95_ms={p95:.0f} errors={len(level.errors)} conflicts={level.conflicts} "
        f"saves={len(level.notes_saved) + level.done_saved} nothing_left={level.nothing_left} "
        f"lost_updates={lost} "
        f"server_cpu_pct={result['cpu'] * 100:.0f} "
        f"cpu_pct_per_session={result['cpu'] * 100 / n:.1f} "
        f"rss_mb={result['rss_peak'] / mb:.0f} "
        f"rss_mb_per_session={(result['rss_peak'] - result['rss_warm']) / mb / n:.2f}"
    )
    print(f"  steps (count x p95 ms): {result['steps']}")
    for error in level.errors[:5]:
        print(f"  error: {error}")
    final = f"sessions={n} rerun_p50_ms={p50:.0f} rerun_p95_ms={p95:.0f} "
    final += f"errors={len(level.errors)} lost_updates={lost}"
    return line, final, p95


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="10,25,50,100")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=5)
    parser.add_argument(
        "--sign-in", choices=("password", "cookie"), default="password",
        help="leads type their password in the first cycle, or come back signed in",
    )  # fmt: skip
    parser.add_argument(
        "--floor", action="store_true",
        help="serve bench/floor_page.py instead, its sessions making a lead's runs",
    )  # fmt: skip
    args = parser.parse_args(argv)
    levels = sorted({int(s) for s in args.sessions.split(",")})
    if not levels or levels[0] < 1 or levels[-1] > MAX_SESSIONS or args.seconds > MAX_SECONDS:
        parser.error(f"sessions 1..{MAX_SESSIONS}, seconds at most {MAX_SECONDS}")
    Lead.wait_time = between(max(0.0, args.think - 1), args.think + 1)
    FloorUser.wait_time = Lead.wait_time
    with tempfile.TemporaryDirectory(prefix="capacity-") as tmp:
        folder = Path(tmp)
        db_url = f"sqlite:///{folder / 'tracker.db'}"
        # Virtual users are numbered across the levels (each level spawns new ones).
        cookies = sum(levels) + 1 if args.sign_in == "cookie" else 0
        REGIONS[:] = seed(db_url, cookies=cookies)
        print("the floor page" if args.floor else f"sign-in: {args.sign_in}", flush=True)
        app = str(BENCH / "floor_page.py") if args.floor else "dashboard.py"
        process, url = start_server(folder, db_url, app=app)
        try:
            user = FloorUser if args.floor else Lead
            return _levels(url, process, folder, db_url, levels, args.seconds, user)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        finally:
            stop_server(process)


def _levels(
    url: str,
    process,
    folder: Path,
    db_url: str,
    levels: list[int],
    seconds: float,
    user: type[Lead] = Lead,
) -> int:
    warm = ProtocolClient(url)
    warm.open()  # the process's first run imports pandas and altair
    warm.close()
    server = psutil.Process(process.pid)
    # Growth per session is counted from the server as it is after one page view.
    rss_warm = server.memory_info().rss
    print(f"server warmed up: rss_mb={rss_warm / 1024 / 1024:.0f}", flush=True)
    knee, final, ok = None, "", True
    for sessions in levels:
        seen = history(db_url)
        result = run_level(url, sessions, seconds, server, rss_warm, user)
        line, final, p95 = report(result, db_url, seen)
        print(line, flush=True)
        ok = ok and " errors=0 lost_updates=0" in final
        if knee is None and p95 > KNEE_MS:
            knee = sessions
    log = (folder / "streamlit.log").read_text(errors="replace")
    print(f"server log: {log.count('Traceback')} tracebacks, {len(log.splitlines())} lines")
    print(f"knee: p95 first over 1 s at {knee} sessions" if knee else
          f"knee: not reached (p95 <= 1 s up to {levels[-1]} sessions)")  # fmt: skip
    print(final)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
