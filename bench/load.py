"""Load: concurrent leads in headless Chromium against a loopback server.

    python bench/load.py                                # 10, then 25 sessions, 120 s each
    python bench/load.py --sessions 10 --duration 20    # a short trial

Starts the README's command (`python -m streamlit run dashboard.py`) on a free
loopback port with a fresh temporary SQLite database, creates one lead per session
(spread over the regions), then runs each phase against that one server. Every
session is a browser context of one Chromium process (a process per session would
cost 25 browsers' start-up and memory on a 2-core machine; contexts share the browser
but not cookies, cache or storage, and each page still gets its own renderer).

A session opens the app and signs in (a few sessions at a time: a cold load is the
browser's most expensive step); once all have signed in, the phase's clock starts and
each session, until it ends, waits a think time and then either opens a page from the
sidebar (Overview, Timeline, Overdue & due soon, Regions, Plan browser) or goes to
Regions, picks its region and updates one of its outcomes: the one-click Done button,
or the Update dialog with a new status and a note. Times run from the click to the
page being settled (its script run finished, nothing changing for 250 ms) with the
change visible: the page's title, or the outcome's new status badge.

Measured per phase: failed sessions (raised, or could not finish their loop), errors
shown to users (exceptions, error alerts, connection-lost banners and dialogs, dropped
websockets), conflicts (refusals because another lead saved the same outcome first:
the expected, correct result of concurrent editing, counted apart), page-settle and
update-to-settled times, the server's memory (VmRSS of its process tree) before, at
the peak, at the end and once the sessions have closed, its /_stcore/health latency,
and where the CPU went. Ends each phase with one line
`sessions=N failed=N errors=N ... rss_before_mb=N rss_after_mb=N`.

Bounded: loopback only, at most 50 sessions, every wait has a timeout and the phase a
hard limit; the server, the probe and the browser are stopped in all cases. Exit
status 0 when no session failed and no error was shown.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from sqlmodel import Session, col, select  # noqa: E402

from core.config import Settings  # noqa: E402
from core.models import LogicModel, Outcome, Region, Status, StatusUpdate, Strategy  # noqa: E402
from core.people import accounts  # noqa: E402
from core.store.bootstrap import init_db  # noqa: E402
from core.store.db import make_engine, write_session  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
README_COMMAND = [sys.executable, "-m", "streamlit", "run", "dashboard.py"]
# With --pin: the server (and its health probe) on this core, the bench and Chromium
# (its processes inherit the bench's affinity) on the others.
SERVER_CORE = 1
PAGE_TARGET_MS = 500.0  # issue 15: one user's click-to-settled p95 on every page
PASSWORD = "load test password"
MAX_SESSIONS = 50
STARTUP_TIMEOUT = 90  # s for /_stcore/health
QUIET_MS = 250  # a page is settled once its run state has not changed for this long
POLL_MS = 25
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Sidebar link → the page's title (Regions: the chosen region's name).
PAGES = {
    "Overview": "Statewide progress",
    "Timeline": "Timeline",
    "Overdue & due soon": "Overdue & due soon",
    "Regions": None,
    "Plan browser": "Plan browser",
}
NEW_STATUSES = [Status.NOT_STARTED, Status.IN_PROGRESS, Status.DONE, Status.BLOCKED]
STALE_TEXT = "after you opened the form"  # services.StaleUpdate
ALREADY_TEXT = "The outcome is already “"  # someone set that status first

# Helpers put into every page: counters armed before each click (changes of the app's
# run state, and messages from the server: a busy browser may apply a whole run's
# messages at once, so the run state never visibly leaves "notRunning"), and what a
# lead sees of one outcome (the status badge in the box of its buttons).
HELPERS_JS = """
const ERRORS = "[data-testid='stAlertContentError'], [data-testid='stException']";
window.__load = {
  runs: 0,
  messages: 0,
  changedAt: 0,
  armedAt: 0,
  clickAt: null,
  since: null,
  app() { return document.querySelector("[data-testid='stApp']"); },
  arm() {
    this.runs = 0;
    this.messages = 0;
    this.since = null;
    this.clickAt = null;
    this.armedAt = performance.now();
    for (const e of document.querySelectorAll(ERRORS)) e.__loadOld = true;
    if (this.observer) this.observer.disconnect();
    this.observer = new MutationObserver((records) => {
      this.runs += records.length;
      this.changedAt = performance.now();
    });
    this.observer.observe(document.body, {
      attributes: true, subtree: true, attributeFilter: ["data-test-script-state"]});
  },
  idle() {
    const app = this.app();
    return !!app && app.getAttribute("data-test-script-state") === "notRunning";
  },
  settled() { return (this.runs > 0 || this.messages > 0) && this.idle(); },
  // A run has finished, pred(arg) holds, and neither the run state nor the server's
  // messages have changed for `quiet` ms: st.rerun() ends one run and starts the next,
  // idle for a moment in between.
  stable(pred, arg, quiet) {
    const now = performance.now();
    if (!(this.settled() && pred(arg))) {
      this.since = null;
      return false;
    }
    if (this.since === null || this.changedAt > this.since) this.since = now;
    return now - this.since >= quiet;
  },
  debug() {
    const app = this.app();
    const state = app && app.getAttribute("data-test-script-state");
    return `runs=${this.runs} messages=${this.messages} state=${state} ` +
      `since=${this.since} clickAt=${this.clickAt} h1=${this.h1()} dialog=${!!this.dialog()}`;
  },
  // From the click to the moment the page became (and stayed) settled, in ms.
  elapsed() { return this.since - (this.clickAt === null ? this.armedAt : this.clickAt); },
  h1() {
    const h = document.querySelector("[data-testid='stMain'] h1");
    return h ? h.textContent.trim() : null;
  },
  status(key) {
    const button = document.querySelector(".st-key-form_" + key);
    for (let n = button && button.parentElement; n; n = n.parentElement) {
      const badge = n.querySelector(".stMarkdownBadge");
      if (badge) return badge.textContent.trim();
    }
    return null;
  },
  regionsPage() {
    return !!document.querySelector("[data-testid='stMain'] input[aria-label='Region']")
      && this.h1() !== null;
  },
  dialog() { return document.querySelector("[role='dialog']"); },
  // An error shown since arm(): a new element, or any once a run was seen (React may
  // reuse the element of an identical message).
  errorIn(root) {
    const found = root ? Array.from(root.querySelectorAll(ERRORS)) : [];
    return found.some((e) => !e.__loadOld) || (this.runs > 0 && found.length > 0);
  },
  dialogError() { return this.errorIn(this.dialog()); },
  anyError() {
    return this.errorIn(document)
      || !!document.querySelector("[data-testid='stConnectionStatus']");
  },
  problems() {
    const texts = (s) => Array.from(document.querySelectorAll(s)).map((e) => e.innerText.trim());
    return {
      exceptions: texts("[data-testid='stException']"),
      errors: texts("[data-testid='stAlertContentError']"),
      connection: texts("[data-testid='stConnectionStatus']"),
      modals: texts("[role='dialog']").filter(
        (t) => /^(Connection error|Bad message format)/.test(t)),
    };
  },
};
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", () => {
      window.__load.messages += 1;
      window.__load.changedAt = performance.now();
    });
  }
};
document.addEventListener("click", () => {
  if (window.__load.clickAt === null) window.__load.clickAt = performance.now();
}, true);
"""


def widget_key(prefix: str, outcome_id: str) -> str:
    # Keyed widgets carry the class st-key-<key>, other characters replaced by "-".
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{prefix}{outcome_id}")


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --- the server and its process tree ----------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # after "pid (comm) "


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def rss_mb(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        if fields := _stat_fields(pid):
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLK_TCK


def client_cpu_by_pid(server: Server) -> dict[int, float]:
    """CPU seconds of this process's tree (Playwright's driver, Chromium) minus the server."""
    server_pids = set(server.pids())
    return {pid: cpu_seconds([pid]) for pid in process_tree(os.getpid()) if pid not in server_pids}


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_file: Path

    @classmethod
    def start(
        cls, db_file: Path, log_file: Path, *, nice: int = 0, prefix: tuple[str, ...] = ()
    ) -> Server:
        port = _free_port()
        environ = {  # none of the caller's TRACKER_* settings
            **{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
            "TRACKER_SQLITE_PATH": str(db_file),
            "DATABASE_URL": f"sqlite:///{db_file}",  # so a secrets.toml cannot win
            "TRACKER_DATA_DIR": str(PROJECT_ROOT / "data"),
        }
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                [
                    *prefix,
                    *README_COMMAND,
                    "--server.port",
                    str(port),
                    "--server.address",
                    "127.0.0.1",
                    "--server.headless",
                    "true",
                ],
                cwd=PROJECT_ROOT,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=(lambda: os.setpriority(os.PRIO_PROCESS, 0, nice)) if nice else None,
            )
        server = cls(f"http://127.0.0.1:{port}", process, log_file)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return server
            except OSError:
                time.sleep(0.3)
        server.stop()
        raise RuntimeError(
            f"streamlit did not become healthy at {server.url}:\n{log_file.read_text()[-2000:]}"
        )

    def pids(self) -> list[int]:
        return process_tree(self.process.pid)

    def log_size(self) -> int:
        return self.log_file.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log_file.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


# --- the database -----------------------------------------------------------------


@dataclass(frozen=True)
class Lead:
    username: str
    display_name: str
    region_id: str
    region_name: str
    outcome_ids: tuple[str, ...]


def prepare_database(db_file: Path, count: int) -> list[Lead]:
    """Seed a fresh database and add `count` leads, one region each, round robin."""
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        init_db(engine, Settings(tracker_data_dir=PROJECT_ROOT / "data"))
        with write_session(engine) as session:
            regions = session.exec(select(Region).order_by(Region.position)).all()
            outcomes: dict[str, list[str]] = {r.id: [] for r in regions}
            rows = session.exec(
                select(LogicModel.region_id, Outcome.id)
                .join(Strategy, col(Strategy.id) == Outcome.strategy_id)
                .join(LogicModel, col(LogicModel.id) == Strategy.logic_model_id)
                .where(
                    col(Outcome.retired).is_(False),
                    col(Strategy.retired).is_(False),
                    col(LogicModel.retired).is_(False),
                )
                .order_by(Outcome.id)
            ).all()
            for region_id, outcome_id in rows:
                outcomes[region_id].append(outcome_id)
            regions = [r for r in regions if outcomes[r.id]]
            leads = []
            for i in range(count):
                region = regions[i % len(regions)]
                lead = Lead(
                    username=f"load-lead-{i + 1:02d}",
                    display_name=f"Load Lead {i + 1:02d}",
                    region_id=region.id,
                    region_name=region.name,
                    outcome_ids=tuple(outcomes[region.id]),
                )
                user = accounts.create_user(
                    session=session,
                    username=lead.username,
                    role="lead",
                    password=PASSWORD,
                    display_name=lead.display_name,
                )
                accounts.assign(session=session, user=user, region_id=region.id)
                leads.append(lead)
    finally:
        engine.dispose()
    return leads


# --- one lead in one browser context ----------------------------------------------


@dataclass
class SessionStats:
    name: str
    failed: str | None = None
    first_load_ms: float | None = None  # from opening the address to the first page
    sign_in_ms: float | None = None
    page_ms: list[float] = field(default_factory=list)
    update_ms: list[float] = field(default_factory=list)
    by_page: dict[str, list[float]] = field(default_factory=dict)  # click-to-settled, ms
    conflicts: int = 0  # StaleUpdate: another lead saved first
    already: int = 0  # refused as "already <status>": another lead set it first
    errors: list[str] = field(default_factory=list)  # shown to the user
    js_errors: list[str] = field(default_factory=list)  # in the page, not shown


class LeadSession:
    def __init__(self, lead: Lead, url: str, rng: random.Random, opts: argparse.Namespace):
        self.lead, self.url, self.rng, self.opts = lead, url, rng, opts
        self.stats = SessionStats(lead.username)
        self.page = None
        self.context = None
        self.current = "Overview"
        self.closing = False
        self.saves = 0
        self.seen = (0, 0, 0)
        self.step = "open a browser context"  # what it was doing, for a failure's report

    async def open(self, browser) -> None:
        self.context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(self.opts.action_timeout * 1000)
        await self.context.add_init_script(HELPERS_JS)
        self.page = await self.context.new_page()
        self.page.on("pageerror", lambda exc: self.stats.js_errors.append(str(exc)[:200]))
        self.page.on("websocket", self._watch_websocket)

    def _watch_websocket(self, ws) -> None:
        if "_stcore/stream" in ws.url:
            ws.on("close", lambda _ws: self._lost_connection(ws.url))

    def _lost_connection(self, url: str) -> None:
        if not self.closing:
            self.stats.errors.append(f"websocket closed: {url}")

    async def run(self, browser, gate: Gate) -> None:
        try:
            await self.open(browser)
            await self._run(gate)
        except Exception as exc:
            first_line = str(exc).splitlines()[0][:300] if str(exc) else ""
            self.stats.failed = f"{self.step}: {type(exc).__name__}: {first_line}"
            with contextlib.suppress(Exception):
                state = await asyncio.wait_for(self.page.evaluate("window.__load.debug()"), 15)
                self.stats.failed += f" [{state}]"
            with contextlib.suppress(Exception):  # what the user was left looking at
                await asyncio.wait_for(self.check(), 15)
            if self.page is not None and self.opts.artifacts:
                with contextlib.suppress(Exception):
                    path = self.opts.artifacts / f"{self.lead.username}.png"
                    await self.page.screenshot(path=str(path), full_page=True, timeout=15_000)
        finally:
            gate.arrive(self)  # a session that failed before signing in does not hold it

    async def _run(self, gate: Gate) -> None:
        page = self.page
        async with gate.arrivals:  # a few at a time: a cold load costs the browser most
            self.step = "open the app"
            started = time.perf_counter()
            await page.goto(self.url, wait_until="commit")
            await page.wait_for_function(
                "() => window.__load.idle() && window.__load.h1() !== null", polling=50
            )
            self.stats.first_load_ms = (time.perf_counter() - started) * 1000
            await self.check()
            self.step = "sign in"
            self.stats.sign_in_ms = await self.sign_in()
        self.step = "wait for the other sessions to sign in"
        deadline = await gate.passed(self)
        while time.monotonic() < deadline:
            await asyncio.sleep(self.rng.uniform(0.4, 1.6) * self.opts.think)
            if time.monotonic() >= deadline:
                break
            if self.rng.random() < self.opts.update_share:
                await self.update()
            else:
                await self.navigate(self.rng.choice([p for p in PAGES if p != self.current]))

    async def settle(self, action, predicate: str = "true", arg=None) -> float:
        """Arm the run counter, do `action` (a click), and wait until a script run has
        finished and `predicate(arg)` holds, stably. Returns the time from the click to
        the settled page in ms, measured by the page's clock; what the user then sees
        is counted (self.seen: conflicts, already, errors)."""
        await self.page.evaluate("window.__load.arm()")
        await action()
        await self.page.wait_for_function(
            f"(arg) => window.__load.stable((arg) => ({predicate}), arg, {QUIET_MS})",
            arg=arg,
            polling=POLL_MS,
        )
        elapsed = await self.page.evaluate("window.__load.elapsed()")
        self.seen = await self.check()
        return elapsed

    async def check(self) -> tuple[int, int, int]:
        """Count what the user sees now: (conflicts, already, errors) added."""
        seen = await self.page.evaluate("window.__load.problems()")
        conflicts = already = errors = 0
        for shown in seen["errors"]:
            text = re.sub(r"^\w+\n+", "", shown)  # the icon's name
            if STALE_TEXT in text:
                conflicts += 1
            elif ALREADY_TEXT in text:
                already += 1
            else:
                errors += 1
                self.stats.errors.append(f"error alert: {text[:300]}")
        for kind in ("exceptions", "connection", "modals"):
            for text in seen[kind]:
                errors += 1
                self.stats.errors.append(f"{kind}: {text[:300]}")
        self.stats.conflicts += conflicts
        self.stats.already += already
        return conflicts, already, errors

    async def sign_in(self) -> float:
        sidebar = self.page.get_by_test_id("stSidebar")
        await sidebar.get_by_text("Sign in to record progress").click()
        await sidebar.get_by_role("textbox", name="Username").fill(self.lead.username)
        await sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
        return await self.settle(
            sidebar.get_by_role("button", name="Sign in").click,
            "document.querySelector(\"[data-testid='stSidebar']\").innerText.includes(arg)",
            self.lead.display_name,
        )

    async def navigate(self, link: str) -> None:
        title = PAGES[link]
        self.step = f"open {link}"
        target = self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=link, exact=True)
        predicate = "window.__load.h1() === arg" if title else "window.__load.regionsPage()"
        elapsed = await self.settle(target.click, predicate, title)
        self.stats.page_ms.append(elapsed)
        self.stats.by_page.setdefault(link, []).append(elapsed)
        self.current = link

    async def choose_region(self) -> None:
        """On Regions, pick the lead's own region (the page opens on the first one)."""
        if await self.page.evaluate("window.__load.h1()") == self.lead.region_name:
            return
        self.step = f"choose {self.lead.region_name} on Regions"
        combo = self.page.get_by_test_id("stMain").get_by_role("combobox", name="Region")
        await combo.click()
        option = self.page.get_by_role("option", name=self.lead.region_name, exact=True)
        elapsed = await self.settle(
            option.click, "window.__load.h1() === arg", self.lead.region_name
        )
        self.stats.page_ms.append(elapsed)
        self.stats.by_page.setdefault("Regions: pick a region", []).append(elapsed)

    async def update(self) -> None:
        if self.current != "Regions":
            await self.navigate("Regions")
        await self.choose_region()
        outcome_id = self.rng.choice(self.lead.outcome_ids[: self.opts.hot or None])
        key = widget_key("", outcome_id)
        status = await self.page.evaluate("(k) => window.__load.status(k)", key)
        if status is None:  # in another logic model's tab (the State has two)
            await self.open_model_tab_of(outcome_id, key)
            status = await self.page.evaluate("(k) => window.__load.status(k)", key)
        if status is None:
            raise RuntimeError(f"outcome {outcome_id} is not on the {self.lead.region_name} page")
        # The role query skips the hidden copy Streamlit renders to size a button.
        done = self.page.locator(f".st-key-{widget_key('done_', outcome_id)}").get_by_role(
            "button", name="Done"
        )
        if status != Status.DONE.value and self.rng.random() < 0.5 and await done.count():
            self.step = f"mark {outcome_id} done"
            await self.save(done.click, key, Status.DONE.value, in_dialog=False)
        else:
            await self.update_in_dialog(outcome_id, key)

    async def open_model_tab_of(self, outcome_id: str, key: str) -> None:
        """Open the Regions page's tabs (one per logic model) in turn until the
        outcome's card is drawn; each opening is timed as a page change."""
        tabs = self.page.get_by_role("tab")
        for i in range(await tabs.count()):
            tab = tabs.nth(i)
            if await tab.get_attribute("aria-selected") == "true":
                continue
            self.step = f"open the logic model tab holding {outcome_id}"
            elapsed = await self.settle(tab.click)
            self.stats.page_ms.append(elapsed)
            self.stats.by_page.setdefault("Regions: open a logic model tab", []).append(elapsed)
            if await self.page.evaluate("(k) => window.__load.status(k)", key) is not None:
                return

    async def save(self, click, key: str, new_status: str, *, in_dialog: bool) -> str:
        """Click a save control; 'saved' (the new status is on the page, the dialog
        closed) or 'refused' (an error is shown). Times only saves that went through."""
        predicate = "(window.__load.status(arg[0]) === arg[1] && !window.__load.dialog())" + (
            " || window.__load.dialogError()" if in_dialog else " || window.__load.anyError()"
        )
        elapsed = await self.settle(click, predicate, [key, new_status])
        state = await self.page.evaluate(
            "(arg) => window.__load.status(arg[0]) === arg[1] && !window.__load.dialog()",
            [key, new_status],
        )
        if state and not any(self.seen):
            self.stats.update_ms.append(elapsed)
            return "saved"
        return "refused"

    async def update_in_dialog(self, outcome_id: str, key: str) -> None:
        page = self.page
        self.step = f"update {outcome_id} in the dialog"
        opener = page.locator(f".st-key-{widget_key('form_', outcome_id)}").get_by_role(
            "button", name="Update"
        )
        await self.settle(opener.click, "window.__load.dialog() !== null")
        dialog = page.get_by_role("dialog")
        combo = dialog.get_by_role("combobox", name="Status")
        current = await combo.input_value()
        new_status = self.rng.choice([s.value for s in NEW_STATUSES if s.value != current])
        await combo.click()
        await page.get_by_role("option", name=new_status, exact=True).click()
        self.saves += 1
        # The dialog also holds the outcome's comment box: fill the Note by its key.
        note = dialog.locator(f".st-key-{widget_key('uf_note_', outcome_id)} textarea")
        await note.fill(f"load test {self.lead.username} #{self.saves}")
        save_button = dialog.get_by_role("button", name="Save")
        for _attempt in range(2):  # after a conflict a lead saves again, on the newer version
            if await self.save(save_button.click, key, new_status, in_dialog=True) == "saved":
                return
        close = dialog.get_by_role("button", name="Close")
        await self.settle(close.click, "window.__load.dialog() === null")

    async def close(self) -> None:
        self.closing = True
        if self.context is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.context.close(), 30)


# --- phases -----------------------------------------------------------------------


class Gate:
    """Sessions open the app and sign in a few at a time (`arrivals`); the phase's
    clock starts once every session has signed in (or failed, or the wait timed out),
    so all of them read and update concurrently for the whole duration."""

    def __init__(self, sessions: int, duration: float, timeout: float, arrivals: int):
        self.sessions, self.duration, self.timeout = sessions, duration, timeout
        self.arrivals = asyncio.Semaphore(arrivals)
        self.arrived: set[int] = set()
        self.open = asyncio.Event()
        self.opened_at: float | None = None

    def arrive(self, session: LeadSession) -> None:
        self.arrived.add(id(session))
        if len(self.arrived) >= self.sessions:
            self._open()

    def _open(self) -> None:
        if self.opened_at is None:
            self.opened_at = time.monotonic()
            self.open.set()

    async def passed(self, session: LeadSession) -> float:
        """Arrive and wait for the others; returns the phase's deadline."""
        self.arrive(session)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.open.wait(), self.timeout)
        self._open()
        return self.opened_at + self.duration


@dataclass
class PhaseResult:
    sessions: int
    duration: float  # the whole phase: arrivals, sign-ins, steady state, last actions
    steady: float  # from the last sign-in to the end
    stats: list[SessionStats]
    rss_before: float
    rss_peak: float
    rss_after: float
    rss_closed: float
    server_cpu: float  # cores, on average
    client_cpu: float
    machine_busy: float  # share of all cores, anyone's work
    loadavg: str
    log_tracebacks: int
    log_excerpt: str
    health_ms: list[float | None]

    @property
    def failed(self) -> int:
        return sum(1 for s in self.stats if s.failed)

    @property
    def errors(self) -> int:
        return sum(len(s.errors) for s in self.stats)

    def all(self, name: str) -> list[float]:
        return [v for s in self.stats for v in getattr(s, name)]


# Times GET /_stcore/health once a second ("-" when unanswered in 10 s). Run as its own
# process, at the server's priority, so a CPU-starved harness does not inflate it.
HEALTH_PROBE = """
import sys, time, urllib.request
while True:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(sys.argv[1] + "/_stcore/health", timeout=10) as r:
            r.read()
        print(round((time.perf_counter() - started) * 1000, 1), flush=True)
    except OSError:
        print("-", flush=True)
    time.sleep(max(0.0, 1 - (time.perf_counter() - started)))
"""


def start_health_probe(server: Server, nice: int, pin: bool = False) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(["taskset", "-c", str(SERVER_CORE)] if pin else []),
            sys.executable,
            "-c",
            HEALTH_PROBE,
            server.url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=(lambda: os.setpriority(os.PRIO_PROCESS, 0, nice)) if nice else None,
    )


def stop_health_probe(probe: subprocess.Popen) -> list[float | None]:
    probe.terminate()
    try:
        out, _ = probe.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        probe.kill()
        out, _ = probe.communicate(timeout=15)
    return [None if line == "-" else float(line) for line in out.split()]


async def sample_rss(server: Server, peak: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mb(server.pids()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def run_phase(browser, server: Server, leads: list[Lead], n: int, opts) -> PhaseResult:
    rng = random.Random(f"{opts.seed}-{n}")
    sessions = [
        LeadSession(lead, server.url, random.Random(rng.random()), opts) for lead in leads[:n]
    ]
    await asyncio.sleep(3)  # let the previous phase's sessions be cleaned up
    server_pids = server.pids()
    rss_before = rss_mb(server_pids)
    peak = [rss_before]
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server, peak, stop))
    probe = start_health_probe(server, opts.server_nice_applied, opts.pin)
    log_offset = server.log_size()
    client0 = client_cpu_by_pid(server)
    server0, machine0, started = cpu_seconds(server_pids), machine_busy(), time.monotonic()
    # Each arrival waits at most for the ones before it: a first load and a sign-in.
    arrival_timeout = (math.ceil(n / opts.arrivals) + 1) * 2 * opts.action_timeout
    gate = Gate(n, opts.duration, timeout=arrival_timeout, arrivals=opts.arrivals)
    tasks = [asyncio.create_task(s.run(browser, gate)) for s in sessions]
    limit = gate.timeout + opts.duration + 3 * opts.action_timeout + 60
    try:
        _done, pending = await asyncio.wait(tasks, timeout=limit)
        for session, task in zip(sessions, tasks, strict=True):
            if task in pending:
                session.stats.failed = f"still running after the phase's limit of {limit:.0f} s"
            elif task.exception() is not None:
                session.stats.failed = f"{type(task.exception()).__name__}: {task.exception()}"
        ended = time.monotonic()
        elapsed = ended - started
        server_pids = server.pids()
        server_cpu = (cpu_seconds(server_pids) - server0) / elapsed
        # Chromium's renderers live as long as their contexts, so the browsers' CPU is
        # read from the processes alive now (the driver, Chromium and its renderers).
        client1 = client_cpu_by_pid(server)
        client_cpu = sum(t - client0.get(pid, 0.0) for pid, t in client1.items()) / elapsed
        machine1 = machine_busy()
        machine = (machine1[0] - machine0[0]) / max(1, machine1[1] - machine0[1])
        loadavg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        rss_after = rss_mb(server_pids)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stop.set()
        await sampler
        health = stop_health_probe(probe)
        await asyncio.gather(*(s.close() for s in sessions))
    await asyncio.sleep(5)
    rss_closed = rss_mb(server.pids())
    log = server.log_since(log_offset)
    tracebacks = log.count("Traceback (most recent call last)")
    excerpt = ""
    if tracebacks:
        first = log.index("Traceback (most recent call last)")
        excerpt = log[max(0, first - 300) : first + 3000]
    return PhaseResult(
        sessions=n,
        duration=elapsed,
        steady=ended - (gate.opened_at or ended),
        stats=[s.stats for s in sessions],
        rss_before=rss_before,
        rss_peak=max(peak[0], rss_after),
        rss_after=rss_after,
        rss_closed=rss_closed,
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        machine_busy=machine,
        loadavg=loadavg,
        log_tracebacks=tracebacks,
        log_excerpt=excerpt,
        health_ms=health,
    )


async def warm_up(browser, server: Server) -> None:
    """One visit to every page, so 'before' is a warmed-up, idle server (the first
    run imports pandas and Altair, and fills the caches)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(120_000)
    await context.add_init_script(HELPERS_JS)
    try:
        page = await context.new_page()
        await page.goto(server.url, timeout=120_000)
        await page.wait_for_function("() => window.__load.idle() && window.__load.h1() !== null")
        nav = page.get_by_test_id("stSidebarNav")
        for link in [*list(PAGES)[1:], "Overview"]:
            await page.evaluate("window.__load.arm()")
            await nav.get_by_role("link", name=link, exact=True).click()
            await page.wait_for_function(
                "() => window.__load.settled() && window.__load.h1() !== null", polling=50
            )
    finally:
        await context.close()


# --- report -----------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def print_by_page(result: PhaseResult) -> None:
    """Click-to-settled p50 / p95 per page (and per update), against the 500 ms target."""
    by_page: dict[str, list[float]] = {"update (Done or dialog)": result.all("update_ms")}
    for s in result.stats:
        for page, times in s.by_page.items():
            by_page.setdefault(page, []).extend(times)
    print("  click-to-settled by page (n, p50 / p95 ms; ! = p95 over 500 ms):")
    for page, times in sorted(by_page.items()):
        if not times:
            continue
        p95 = percentile(times, 95) or 0.0
        mark = "!" if p95 > PAGE_TARGET_MS else " "
        print(f"    {page:<26} {len(times):>4}  {_ms(percentile(times, 50))} / {_ms(p95)}{mark}")


def report(result: PhaseResult, server_nice: int) -> None:
    pages, updates = result.all("page_ms"), result.all("update_ms")
    sign_ins = [s.sign_in_ms for s in result.stats if s.sign_in_ms is not None]
    first_loads = [s.first_load_ms for s in result.stats if s.first_load_ms is not None]
    health = [h for h in result.health_ms if h is not None]
    failed_health = len(result.health_ms) - len(health)
    conflicts = sum(s.conflicts for s in result.stats)
    already = sum(s.already for s in result.stats)
    rows = [
        ("sessions", f"{result.sessions}"),
        ("duration (all signed in)", f"{result.duration:.0f} s ({result.steady:.0f} s)"),
        ("failed sessions", f"{result.failed}"),
        ("errors shown to users", f"{result.errors}"),
        ("conflicts (stale form)", f"{conflicts}"),
        ("conflicts (already set)", f"{already}"),
        ("page loads", f"{len(pages)}"),
        (
            "page settle p50 / p95",
            f"{_ms(percentile(pages, 50))} / {_ms(percentile(pages, 95))} ms",
        ),
        ("updates saved", f"{len(updates)}"),
        (
            "update to settled p50 / p95",
            f"{_ms(percentile(updates, 50))} / {_ms(percentile(updates, 95))} ms",
        ),
        ("first load p95 (address to page)", f"{_ms(percentile(first_loads, 95))} ms"),
        ("sign-in p95", f"{_ms(percentile(sign_ins, 95))} ms"),
        (
            "server /_stcore/health p50 / p95 / max",
            f"{_ms(percentile(health, 50))} / {_ms(percentile(health, 95))} / "
            f"{_ms(max(health, default=None))} ms"
            + (f", {failed_health} unanswered" if failed_health else ""),
        ),
        ("server RSS before", f"{result.rss_before:.0f} MB"),
        ("server RSS peak", f"{result.rss_peak:.0f} MB"),
        ("server RSS after", f"{result.rss_after:.0f} MB"),
        ("server RSS sessions closed", f"{result.rss_closed:.0f} MB"),
        ("server CPU (nice)", f"{result.server_cpu:.2f} cores ({server_nice})"),
        ("browser CPU (estimate)", f"{result.client_cpu:.2f} cores"),
        ("machine busy", f"{result.machine_busy:.0%} of {os.cpu_count()} cores"),
        ("load average (1/5/15 min)", result.loadavg),
        ("tracebacks in server log", f"{result.log_tracebacks}"),
        ("page errors in browser (not shown)", f"{sum(len(s.js_errors) for s in result.stats)}"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"\n== {result.sessions} sessions ==")
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")
    for s in result.stats:
        if s.failed:
            print(f"  failed {s.name}: {s.failed}")
    shown = Counter(text for s in result.stats for text in s.errors)
    for text, count in shown.most_common(10):
        print(f"  shown {count}x: {text}")
    js = Counter(text for s in result.stats for text in s.js_errors)
    for text, count in js.most_common(5):
        print(f"  page error {count}x: {text}")
    if result.log_excerpt:
        print("  server log, first traceback:\n" + result.log_excerpt)
    print_by_page(result)
    print(
        f"sessions={result.sessions} failed={result.failed} errors={result.errors} "
        f"conflicts={conflicts + already} page_loads={len(pages)} updates={len(updates)} "
        f"page_settle_p95_ms={_ms(percentile(pages, 95))} "
        f"update_settle_p50_ms={_ms(percentile(updates, 50))} "
        f"update_settle_p95_ms={_ms(percentile(updates, 95))} "
        f"rss_before_mb={result.rss_before:.0f} rss_after_mb={result.rss_after:.0f}",
        flush=True,
    )


# --- main -------------------------------------------------------------------------


async def run(opts: argparse.Namespace, workdir: Path) -> list[PhaseResult]:
    from playwright.async_api import async_playwright

    leads = prepare_database(workdir / "tracker.db", max(opts.sessions))
    print(f"database {workdir / 'tracker.db'} with {len(leads)} leads", file=sys.stderr)
    nice = opts.server_nice if opts.server_nice >= 0 or os.geteuid() == 0 else 0
    prefix: tuple[str, ...] = ()
    if opts.pin:
        prefix = ("taskset", "-c", str(SERVER_CORE))
        # the bench, Playwright's driver and Chromium (inherited) on the other cores
        os.sched_setaffinity(0, set(os.sched_getaffinity(0)) - {SERVER_CORE})
    server = Server.start(
        workdir / "tracker.db", workdir / "streamlit.log", nice=nice, prefix=prefix
    )
    pinned = f", pinned to core {SERVER_CORE}" if opts.pin else ""
    print(f"server {server.url} (pid {server.process.pid}, nice {nice}{pinned})", file=sys.stderr)
    opts.server_nice_applied = nice
    results = []
    playwright = browser = None
    try:
        playwright = await async_playwright().start()
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        await asyncio.wait_for(warm_up(browser, server), 240)
        for n in opts.sessions:
            print(f"phase: {n} sessions for {opts.duration:.0f} s ...", file=sys.stderr)
            result = await run_phase(browser, server, leads, n, opts)
            results.append(result)
            report(result, opts.server_nice_applied)
    finally:
        if browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.close(), 30)
        if playwright is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(playwright.stop(), 30)
        server.stop()
    return results


def history_check(db_file: Path, saved: int) -> bool:
    """After the run: every save the sessions saw go through is one history row and one
    version step, and each row's old status is the previous row's new status."""
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        with Session(engine) as session:
            rows = session.exec(select(StatusUpdate).order_by(StatusUpdate.id)).all()
            steps = sum(v - 1 for v in session.exec(select(Outcome.version)).all())
    finally:
        engine.dispose()
    last: dict[str, str] = {}
    broken = 0
    for row in rows:
        if row.outcome_id in last and row.old_status != last[row.outcome_id]:
            broken += 1
        last[row.outcome_id] = row.new_status
    print(
        f"history: saves_seen={saved} history_rows={len(rows)} version_steps={steps} "
        f"broken_chains={broken}"
    )
    return saved == len(rows) == steps and broken == 0


def _sessions(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or any(c < 1 or c > MAX_SESSIONS for c in counts):
        raise argparse.ArgumentTypeError(f"give counts from 1 to {MAX_SESSIONS}, e.g. 10,25")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Writes nothing outside a temporary folder (kept with --keep, or when a "
        "session failed or an error was shown: server log, database, screenshots).",
    )
    parser.add_argument(
        "--sessions",
        type=_sessions,
        default=[10, 25],
        help="concurrent sessions per phase, comma-separated (default: 10,25)",
    )
    parser.add_argument(
        "--duration", type=float, default=120, help="seconds per phase (default: 120)"
    )
    parser.add_argument(
        "--arrivals",
        type=int,
        default=3,
        help="sessions that may open the app and sign in at the same time (default: 3)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=5.0,
        help="mean think time between a session's actions (uniform from 0.4 to 1.6 times "
        "it), in seconds (default: 5)",
    )
    parser.add_argument(
        "--update-share",
        type=float,
        default=0.3,
        help="share of actions that update an outcome; the others open a page (default: 0.3)",
    )
    parser.add_argument(
        "--action-timeout",
        type=float,
        default=60,
        help="seconds any one browser action may take before the session fails (default: 60)",
    )
    parser.add_argument(
        "--server-nice",
        type=int,
        default=-10,
        help="nice value for the server (negative needs root; ignored otherwise), so the "
        "browsers, which on a real deployment run on the users' computers, do not starve "
        "it on one small machine; 0 to share the CPU evenly (default: -10)",
    )
    parser.add_argument(
        "--hot",
        type=int,
        default=0,
        metavar="K",
        help="leads update only the first K outcomes of their region, so leads of the same "
        "region collide more often (default: 0, any outcome)",
    )
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"run the server with taskset -c {SERVER_CORE} and the browser on the other "
        "cores (default: when taskset exists and the machine has 2 cores or more)",
    )
    parser.add_argument("--seed", type=int, default=2019, help="random seed (default: 2019)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    opts = parser.parse_args(argv)
    if opts.duration <= 0 or opts.think < 0 or opts.arrivals < 1:
        parser.error("--duration must be positive, --think >= 0 and --arrivals >= 1")
    if not 0 <= opts.update_share <= 1:
        parser.error("--update-share must be from 0 to 1")
    if not CHROMIUM.exists():
        parser.error(f"{CHROMIUM} is missing: install Debian's chromium")
    can_pin = shutil.which("taskset") is not None and SERVER_CORE in os.sched_getaffinity(0)
    can_pin = can_pin and len(os.sched_getaffinity(0)) >= 2
    if opts.pin and not can_pin:
        parser.error("--pin needs taskset and at least 2 cores, core 1 among them")
    opts.pin = can_pin if opts.pin is None else opts.pin

    workdir = Path(tempfile.mkdtemp(prefix="tracker-load-"))
    opts.artifacts = workdir
    results: list[PhaseResult] = []
    consistent = False
    try:
        results = asyncio.run(run(opts, workdir))
        saved = sum(len(r.all("update_ms")) for r in results)
        consistent = history_check(workdir / "tracker.db", saved)
    finally:
        clean = bool(results) and all(r.failed == 0 and r.errors == 0 for r in results)
        complete = len(results) == len(opts.sessions) and consistent
        if opts.keep or not (clean and complete):
            print(f"kept {workdir} (server log, database, screenshots)", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if clean and complete else 1


if __name__ == "__main__":
    sys.exit(main())
