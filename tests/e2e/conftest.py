"""Playwright fixtures: the app served by `streamlit run` on a free port (as in
Streamlit's own e2e_playwright/conftest.py), and headless Debian Chromium.

A failed test leaves a screenshot in test-artifacts/ (gitignored)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT, Settings
from core.people import accounts
from core.store.bootstrap import init_db
from core.store.db import make_engine, write_session

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DATA_DIR = PROJECT_ROOT / "data"
PASSWORD = "correct horse battery"
LEAD = "lead-state"  # leads the State region, the Regions page's default
STARTUP_TIMEOUT = 30  # seconds for /_stcore/health to answer
README_COMMAND = [sys.executable, "-m", "streamlit", "run", "dashboard.py"]
SCRIPT_DONE = "[data-testid='stApp'][data-test-script-state='notRunning']"
RUN_TIMEOUT = 60_000  # ms for a script run (the first one imports pandas and altair)

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the browser fixture skips with the reason
    sync_playwright = None


@dataclass
class Server:
    url: str
    db_file: Path
    log_file: Path
    process: subprocess.Popen
    lead: str = LEAD  # created before start (seed=True), with PASSWORD
    password: str = PASSWORD


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    log = server.log_file.read_text(errors="replace")
    _stop(server)
    pytest.fail(f"streamlit did not become healthy at {server.url}:\n{log}")


def _stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def seed_database(db_file: Path) -> None:
    """Create and seed the database, with a lead of the State region, before the
    server starts (it would seed an empty file itself, but not add users)."""
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        init_db(engine, Settings(tracker_data_dir=DATA_DIR))
        with write_session(engine) as session:
            user = accounts.create_user(
                session=session,
                username=LEAD,
                role="lead",
                password=PASSWORD,
                display_name="Lead State",
            )
            accounts.assign(session=session, user=user, region_id="state")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def start_server(tmp_path_factory) -> Iterator[Callable[..., Server]]:
    """Start `python -m streamlit run dashboard.py` (the README's command) with its own
    SQLite file; every server started is stopped at the end of the session."""
    started: list[Server] = []

    def start(*, seed: bool = True, db_file: Path | None = None, **env: str) -> Server:
        folder = tmp_path_factory.mktemp("server")
        if db_file is None:
            db_file = folder / "tracker.db"
            if seed:
                seed_database(db_file)
        port = _free_port()
        log_file = folder / "streamlit.log"
        environ = {  # none of the caller's TRACKER_* settings (TODAY, PRIVATE, ...)
            **{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
            "TRACKER_SQLITE_PATH": str(db_file),
            # Also set, so a developer's .streamlit/secrets.toml cannot win.
            "DATABASE_URL": f"sqlite:///{db_file}",
            "TRACKER_DATA_DIR": str(DATA_DIR),
            **env,
        }
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                [*README_COMMAND, "--server.port", str(port), "--server.headless", "true"],
                cwd=PROJECT_ROOT,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Server(f"http://127.0.0.1:{port}", db_file, log_file, process)
        started.append(server)
        _wait_healthy(server)
        return server

    yield start
    for server in started:
        _stop(server)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if sync_playwright is None:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def _warm_up(browser, server: Server) -> None:
    """Open the root once. Streamlit's first script run in a process runs in legacy
    pages/ mode (see test_deep_link_on_a_cold_server_goes_through_dashboard); this
    keeps the other tests independent of their order."""
    page = browser.new_page()
    try:
        page.goto(server.url)
        page.wait_for_selector(SCRIPT_DONE, timeout=RUN_TIMEOUT)
        page.wait_for_selector("h1", timeout=RUN_TIMEOUT)
    finally:
        page.close()


@pytest.fixture(scope="session")
def _shared_server(start_server, browser) -> list[Server]:
    server = start_server()
    _warm_up(browser, server)
    return [server]


@pytest.fixture
def server(_shared_server: list[Server], start_server, browser) -> Server:
    """The server shared by the module's tests. If something outside the tests stopped
    it (its log then ends in "Stopping..."), it is restarted on the same database."""
    current = _shared_server[0]
    if current.process.poll() is not None:
        log = current.log_file.read_text(errors="replace")[-500:]
        warnings.warn(
            f"streamlit at {current.url} exited ({current.process.returncode}); "
            f"restarting it. Log tail:\n{log}",
            stacklevel=1,
        )
        current = start_server(db_file=current.db_file)
        _warm_up(browser, current)
        _shared_server[0] = current
    return current


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser, request) -> Iterator:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(RUN_TIMEOUT)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
