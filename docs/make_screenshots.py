# ruff: noqa: E501
"""Make the README's screenshots from a demo database: `python docs/make_screenshots.py`.

Seeds the plan into a temporary SQLite file, records a few dozen updates, comments,
measure values and a meeting through core/ (as leads of four regions, with "today"
pinned to 2026-12-01), re-baselines the Southwest, serves the app with the README's
command and photographs it with Playwright and Debian's /usr/bin/chromium into
docs/screenshots/. `--check DIR` instead photographs every page at 1,400 and 420 px
(admin pages signed in as an admin) for checking by eye. Any page showing a traceback
or an error box stops the run."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import urllib.request
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import sleep

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from sqlmodel import Session  # noqa: E402

from core.config import Settings  # noqa: E402
from core.measures.values import record_value  # noqa: E402
from core.models import Outcome  # noqa: E402
from core.people import accounts  # noqa: E402
from core.people.permissions import actor_for  # noqa: E402
from core.plan.redating import rebaseline  # noqa: E402
from core.progress import comments, meetings, updates  # noqa: E402
from core.store.bootstrap import init_db  # noqa: E402
from core.store.db import make_engine, write_session  # noqa: E402

TODAY = date(2026, 12, 1)
PASSWORD = "demo screenshots only"
OUT = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDE, PHONE = {"width": 1400, "height": 1000}, {"width": 420, "height": 900}
# At 420 px, a phone's browser (ui/screen.py draws its outcome lists as cards for it).
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
SCRIPT_DONE = "[data-testid='stApp'][data-test-script-state='notRunning']"
PROBLEMS = "[data-testid='stException'], [data-testid='stAlertContentError']"
CHARTS_DRAWN = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
  .every(c => c.querySelector("canvas, svg.marks"))"""
# (username, display name, region, organisation)
LEADS = [
    ("maria.lopez", "Maria Lopez", "st-louis", "healing-action"),
    ("james.carter", "James Carter", "southwest", "burrell"),
    ("aisha.brooks", "Aisha Brooks", "kansas-city", "justice-project"),
    ("tom.nguyen", "Tom Nguyen", "central", "true-north"),
]
ADMIN = ("dana.price", "Dana Price", "cate")
# One entry a line (hence E501 off): days before TODAY | lead (index in LEADS) | outcome (without its
# region) | status, or "check-in" | note.
ENTRIES = """
150|0|adult-shelter.short.1|Done|Four shelter directors and a survivor leader agreed to advise on shelter policies.
120|0|adult-shelter.short.2|In progress|Survivors told us the ID requirement at intake is the barrier they meet most; two shelters are reviewing it.
95|0|legal-services.short.1|Done|Met with the county's legal aid office; two pro bono attorneys signed on.
60|0|legal-services.short.2|Done|First meeting of the legal network: nine attorneys and advocates attended.
40|0|legal-services.medium.1|In progress|Drafting a one-page referral guide so advocates can connect survivors with an attorney within a week.
25|0|mental-healthcare.short.1|Done|Five trauma-informed therapists agreed to take referrals of people who have experienced trafficking.
12|0|mental-healthcare.short.2|Blocked|Waiting for the two clinics to sign the referral data-sharing agreement; their counsel meets on 12/10.
5|0|legal-services.medium.2|In progress|Survivors named record expungement and custody as the two legal issues that hold them back most.
170|1|legal-services.short.1|Done|Task Force members named six key stakeholders, including the Greene County Bar.
130|1|legal-services.short.2|Done|Working committee formed with the law school clinic and two victim advocates.
80|1|mental-healthcare.short.1|Done|Focus group with eleven health care and mental health providers held at the library.
45|1|mental-healthcare.short.2|In progress|Coalition partners are inviting survivor leaders to shape the second focus group.
20|1|minor-shelter.short.1|Blocked|The youth shelter's director left; the board expects to name a new director in January.
8|1|legal-services.short.3|In progress|Mapped the county's free legal resources; sharing the list with advocates next week.
3|1|legal-services.short.3|check-in|Still on track: the list goes out on Friday.
160|2|legal-services.short.1|Done|Met with Task Force members; the Justice Project will coordinate the legal workgroup.
110|2|crisis-services.short.1|Done|The crisis line and KCPD's Crisis Intervention Team agreed on who survivors can call at night.
70|2|crisis-services.short.2|In progress|Working committee meets monthly; survivors' feedback on the crisis line is on every agenda.
35|2|mental-health.short.1|Blocked|Department heads postponed the meeting until the new county budget is approved.
15|2|legal-services.short.2|Done|Stakeholders signed the working agreement; UMKC's law clinic joins in spring.
4|2|mental-health.short.2|In progress|Local coalitions shared what survivors in their programs say they need from counseling.
140|3|transportation.short.1|Done|Surveyed 14 agencies: six can give survivors a ride to appointments.
100|3|crisis-shelter.short.1|Done|Trained 38 shelter and housing staff to recognise trafficking and respond with care.
55|3|transportation.short.3|In progress|Police, Sheriff and True North started drafting the response protocol together.
30|3|mental-health.short.1|Done|Twelve local mental health professionals are ready to support survivors.
18|3|crisis-shelter.short.2|Blocked|The housing authority has not yet named a member for the policy review committee.
6|3|transportation.short.2|In progress|An allies group of 20 volunteers met for the first time.
"""
# days before TODAY | lead | outcome id | comment
COMMENTS = """
50|0|st-louis.legal-services.medium.1|The guide should list Spanish-speaking attorneys first; many people we serve ask for that.
10|2|kansas-city.mental-health.short.1|I can ask the county executive's office for a date once the budget passes.
2|3|central.crisis-shelter.short.2|Columbia Housing Authority says they will name someone at their December board meeting.
"""
# days before TODAY | lead | measure id | value
VALUES = """
150|0|st-louis.adult-shelter.short.1.stakeholders|5
95|0|st-louis.legal-services.short.1.professionals|2
25|0|st-louis.mental-healthcare.short.1.professionals|5
5|0|st-louis.legal-services.medium.2.legal-issues|2
90|1|southwest.survivors-served|41
10|1|southwest.survivors-served|57
60|2|kansas-city.legal-services.long.2.pro-bono-attorneys|7
7|2|kansas-city.legal-services.long.2.pro-bono-attorneys|11
40|3|central.transportation.long.3.meetings|1
100|3|central.survivors-served|23
"""


def rows(table: str) -> list[list[str]]:  # the tables above, a list per line
    return [line.split("|") for line in table.strip().splitlines()]


def at(days_ago: int | str) -> datetime:
    return datetime.combine(TODAY - timedelta(days=int(days_ago)), time(15), UTC)


def seed(db_file: Path) -> None:
    """The seeded plan plus the demo's people and entries, all through core/."""
    engine = make_engine(f"sqlite:///{db_file}")
    init_db(engine, Settings(tracker_data_dir=ROOT / "data"))
    with write_session(engine) as session:
        for username, name, region, organisation in [(*ADMIN[:2], None, ADMIN[2]), *LEADS]:
            role = "lead" if region else "admin"
            user = accounts.create_user(
                session=session, username=username, role=role, password=PASSWORD, display_name=name
            )
            if region:
                accounts.assign(session=session, user=user, region_id=region)
            accounts.set_organisation(session=session, user=user, organisation_id=organisation)
    with write_session(engine) as session:
        admin = actor_for(session, accounts.require_user(session=session, username=ADMIN[0]))
        reason = "The Southwest coalition began its work in March 2026, after the region's task force was re-formed."
        rebaseline(
            session=session, actor=admin, start_date=date(2026, 3, 1), region_id="southwest",
            reason=reason, now=at(200),
        )  # fmt: skip
        meetings.save_meeting(
            session=session, actor=admin, held_on=date(2026, 11, 3),
            title="CATE quarterly meeting", today=TODAY, now=at(28),
        )  # fmt: skip
    record_entries(engine)
    engine.dispose()


def lead(session: Session, index: int):
    user = accounts.require_user(session=session, username=LEADS[index][0])
    return actor_for(session, user), LEADS[index][2]


def record_entries(engine) -> None:
    for days, who, outcome, status, note in sorted(rows(ENTRIES), key=lambda e: -int(e[0])):
        with write_session(engine) as session:
            actor, region = lead(session, int(who))
            oid = f"{region}.{outcome}"
            common = {"session": session, "actor": actor, "outcome_id": oid, "note": note}
            common |= {"expected_version": session.get(Outcome, oid).version, "now": at(days)}
            if status == "check-in":
                updates.check_in(**common)
            else:
                updates.update_status(new_status=status, **common)
    with write_session(engine) as session:
        for days, who, oid, body in rows(COMMENTS):
            actor = lead(session, int(who))[0]
            comments.add_comment(
                session=session, actor=actor, outcome_id=oid, body=body, now=at(days)
            )
        for days, who, mid, value in rows(VALUES):
            as_of = TODAY - timedelta(days=int(days))
            record_value(
                session=session, actor=lead(session, int(who))[0], measure_id=mid,
                value=float(value), as_of=as_of, today=TODAY, now=at(days),
            )  # fmt: skip


def serve(db_file: Path, log: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env |= {"TRACKER_SQLITE_PATH": str(db_file), "DATABASE_URL": f"sqlite:///{db_file}",
            "TRACKER_TODAY": TODAY.isoformat(), "TRACKER_DATA_DIR": str(ROOT / "data")}  # fmt: skip
    command = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless=true"]
    command.append(f"--server.port={port}")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                return process, url
        except OSError:
            sleep(0.2)
    process.terminate()
    raise SystemExit(f"streamlit did not start:\n{log.read_text(errors='replace')}")


def settle(page: Page) -> None:
    """Wait for the script run, the page's title and every chart to be drawn."""
    page.wait_for_selector(SCRIPT_DONE, timeout=90_000)
    page.wait_for_selector("h1", timeout=90_000)
    page.wait_for_function(CHARTS_DRAWN, timeout=60_000)
    page.wait_for_timeout(800)  # vega's transitions and fonts
    page.wait_for_selector(SCRIPT_DONE, timeout=90_000)


def shoot(page: Page, url: str, path: Path, *, tall: bool = False) -> None:
    if url.endswith("/my_work"):  # a new tab's deep link to My work says "Page not found"
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="My work").click()
    else:
        page.goto(url)
    settle(page)
    if path.stem == "timeline_rebaselined":  # the report's dates show on outcome rows
        page.get_by_text("Show every outcome").click()
        settle(page)
    problems = page.locator(PROBLEMS)
    if problems.count():
        raise SystemExit(f"{url} shows an error: {problems.first.inner_text()[:500]}")
    if tall:  # the app scrolls inside stMain: grow the window to the page's height
        height = page.evaluate("document.querySelector(\"[data-testid='stMain']\").scrollHeight")
        page.set_viewport_size({"width": page.viewport_size["width"], "height": min(height, 6000)})
        settle(page)
    page.screenshot(path=str(path))
    print("wrote", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def sign_in(page: Page, url: str, username: str, name: str) -> None:
    page.goto(url)
    settle(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Sign in to record progress").click()
    sidebar.get_by_role("textbox", name="Username").fill(username)
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    sidebar.get_by_role("button", name="Sign in").click()
    sidebar.get_by_text(name).first.wait_for()
    settle(page)


READERS = " timeline overdue measures region plan_browser partners since_last_meeting evaluation"
ADMINS = "my_work plan_editor users organisations"
# file | path | width (1400 or 420) | signed in as (lead, admin or no one)
README = """
overview||1400|
timeline|timeline|1400|
overdue|overdue|1400|
region|region?region=st-louis|1400|
measures|measures|1400|
partners|partners|1400|
since_last_meeting|since_last_meeting?meeting=1|1400|
evaluation|evaluation|1400|
timeline_rebaselined|timeline?region=southwest|1400|
overview_phone||420|
overdue_phone|overdue|420|
my_work|my_work|1400|lead
plan_editor|plan_editor?tab=changes|1400|admin
"""
SIGNED_IN = {"lead": LEADS[0][:2], "admin": ADMIN[:2], "": None}


def photograph(browser, url: str, check: Path | None) -> None:
    if check is None:
        jobs = [(OUT / f"{f}.png", p, int(w), SIGNED_IN[who]) for f, p, w, who in rows(README)]
    else:
        jobs = [
            (check / f"{p or 'overview'}_{w}.png", p, w, who)
            for w in (1400, 420)
            for who, pages in ((None, READERS), (ADMIN[:2], ADMINS))
            for p in pages.split(" ")
        ]
    for file, path, width, who in jobs:
        if width == 1400:
            context = browser.new_context(viewport=WIDE)
        else:
            context = browser.new_context(viewport=PHONE, user_agent=PHONE_AGENT)
        page = context.new_page()
        if who is not None:
            sign_in(page, url, *who)
        shoot(page, f"{url}/{path}", file, tall=check is not None)
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", type=Path, help="photograph every page into this folder")
    args = parser.parse_args()
    (args.check or OUT).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db_file = Path(folder) / "demo.db"
        seed(db_file)
        process, url = serve(db_file, Path(folder) / "streamlit.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                photograph(browser, url, args.check)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=15)


if __name__ == "__main__":
    main()
