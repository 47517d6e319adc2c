"""Page run times, status-update latency, seed time and memory on synthetic plans.

    python bench/pages.py                          # 248 (the real plan), 10,000, 100,000
    python bench/pages.py --sizes 248 10000 --runs 3
    python bench/pages.py --sizes 10000 --profile  # and the top functions of each page
    python bench/pages.py --sizes 100000 --runs 1 --max-seconds 120 --pages overview timeline

Run by hand; it prints figures, it is not a pass/fail test. For each size a plan in
the real plan's shape (bench/synthetic.py: the real data/ cloned into more regions and
logic models, cut to exactly that many outcomes) is written as a data dir and seeded
into a temporary SQLite file by the app's own `init_db` in a child process, which
reports the seed time (split into reading the YAML, computing the rows and writing
them) and its peak memory (VmHWM). Then ~30 % of the outcomes get 1–3 status updates
and 20 % a measure with 10 values (written in bulk, not timed), and an admin account
is added. Size 248 is the real plan itself (copy 1 of the clone is data/).

A second child process, like a warm server, runs every page under Streamlit's AppTest,
signed in as that admin (so every update control is drawn and the Users page is
reachable): the entry script (dashboard.py, which shows Overview) and each page of
pages/ that the navigation lists. Each page gets its own session (opened on the
dashboard, then switched to the page, not timed); every timed run is a rerun of that
session on its page, as after a click or a save. The floor (bench/floor_page.py: a
sidebar of seven selectboxes, a title, five metrics, one Altair bar chart, a 248-row
table, no database) gets a session too; a page whose file is still a placeholder
(imports, shell.page() and a title) is skipped and says so. After one discarded
warm-up run of each, the timed runs go in rounds: every session once per round, the
order rotated by one each round, so a busy spell of a shared machine falls on all
pages alike; --max-seconds ends the rounds after the one that passes it:

- cold: before each run a status update is saved (a new data stamp, so every cached
  result keyed on it misses, whichever cache holds it) and `st.cache_data` is
  cleared (older entries dropped). The first run after any save, anyone's, is cold:
  this is the headline figure;
- warm: the same page again with its cached results (a rerun with nothing saved).

Figures are medians of --runs runs of `AppTest.run()` in milliseconds, wall clock (it
includes AppTest's own parsing of the page; `script_ms` in --json is the script
alone); the `cpu` column is the CPU time of the same runs, all threads, which a busy
machine inflates much less than the wall clock. Each page's cold median is also
printed as a multiple of the floor's, by wall clock and by CPU (targets: ≤ 3× on the
real plan, ≤ 25× at 100,000). --profile adds, per page, where one cold run's CPU time
goes (by library, by project function, hottest functions); with BENCH_PROFILE_DIR set,
the .prof files are written there too.

Then --updates status updates of random outcomes are committed one by one with
`core.services.update_status` in `core.db.write_session` on the same file (WAL), and
their commit latency (begin to commit) is reported as p50/p95.

The last line is
    worst_page_ms_at_<S>=N update_p95_ms_at_<S>=N growth_exponent=N
for the largest size S measured (100000 by default; the keys name the size actually
measured). worst_page_ms is the slowest page's cold median; growth_exponent is the
least-squares slope of log(worst page ms) against log(outcomes) over all sizes
measured (1.0 = linear; nan with a single size); the table also shows each page's
slope between consecutive sizes. Targets on a 2-core machine: every page ≤ 150 ms at
250 outcomes, ≤ 1,500 ms at 100,000, an update ≤ 50 ms at p95, exponent ≤ 1.
"""

from __future__ import annotations

import argparse
import ast
import gc
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# bench/ and the project on the path first
from pages_report import print_profile, report  # noqa: E402

from core import models  # noqa: E402
from core.people import accounts  # noqa: E402

APP = ROOT / "dashboard.py"
TODAY = "2021-06-01"  # as tests/app: many 2020 outcomes overdue, some due soon
ADMIN = "bench-admin"


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- child: write the synthetic data dir -------------------------------------------


def child_generate(size: int, data_dir: Path, out: Path) -> None:
    import synthetic

    started = time.perf_counter()
    plan = synthetic.scaled_plan(size)
    synthetic.write_plan(plan, data_dir)
    strategies = sum(len(m.strategies) for m in plan.logic_models)
    out.write_text(
        json.dumps(
            {
                "generate_s": time.perf_counter() - started,
                "regions": len(plan.plan.regions),
                "logic_models": len(plan.logic_models),
                "strategies": strategies,
            }
        )
    )


# ---- child: seed the database the way the app does ---------------------------------


def child_seed(data_dir: Path, db_file: Path, out: Path) -> None:
    import synthetic
    from sqlmodel import func, select

    import core.plan.loading as loading
    from core.config import Settings
    from core.models import Outcome
    from core.store.bootstrap import init_db
    from core.store.db import make_engine, write_session

    phases: dict[str, float] = {}

    def timed(name: str, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    # Name the phases of load_plan without changing what it does.
    for name in ("read_plan", "plan_rows", "infer_due_dates"):
        if hasattr(loading, name):
            setattr(loading, name, timed(name, getattr(loading, name)))

    engine = make_engine(f"sqlite:///{db_file}")
    started = time.perf_counter()
    seeded = init_db(engine, Settings(tracker_data_dir=data_dir))
    seed_s = time.perf_counter() - started
    seed_peak = peak_mb()
    assert seeded, "the database was not new"

    started = time.perf_counter()
    history = synthetic.add_history(engine, today=date.fromisoformat(TODAY))
    measures, values = synthetic.add_measures(engine, today=date.fromisoformat(TODAY))
    history_s = time.perf_counter() - started
    with write_session(engine) as session:
        admin = accounts.create_user(
            session=session,
            username=ADMIN,
            role="admin",
            password="bench password, not secret",
            display_name="Bench Admin",
        )
        outcomes = session.exec(select(func.count(Outcome.id))).one()
        admin_id = admin.id
    engine.dispose()
    out.write_text(
        json.dumps(
            {
                "seed_s": seed_s,
                "phases": phases,
                "seed_peak_mb": seed_peak,
                "history_rows": history,
                "history_s": history_s,
                "measures": measures,
                "measure_values": values,
                "outcomes": outcomes,
                "admin_id": admin_id,
                "db_mb": db_file.stat().st_size / 2**20,
            }
        )
    )


# ---- child: run the pages and the updates ------------------------------------------


def navigation_pages() -> list[str]:
    """pages/*.py in the order ui/shell.py's navigation names them (others after)."""
    files = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
    shell = (ROOT / "ui" / "shell.py").read_text(encoding="utf-8")
    listed = [m for m in re.findall(r"pages/(\w+\.py)", shell) if m in files]
    ordered = list(dict.fromkeys(listed)) + [f for f in files if f not in listed]
    return [f"pages/{name}" for name in ordered]


FLOOR = "bench/floor_page.py"


def is_placeholder(page: str) -> bool:
    """A page its owner has not written yet: nothing but imports, shell.page() and a
    title (a docstring aside)."""
    tree = ast.parse((ROOT / page).read_text(encoding="utf-8"))
    body = [
        node
        for node in tree.body
        if not isinstance(node, ast.Import | ast.ImportFrom)
        and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    ]
    return len(body) <= 2


def measured_pages(only: list[str] | None) -> list[str]:
    pages = ["dashboard.py", *navigation_pages()]
    if not only:
        return pages
    return [p for p in pages if any(name in p for name in only)]


def interleaved(sessions: dict, one_run, *, cold: bool, rounds: int, budget_s: float) -> dict:
    """Up to `rounds` rounds, each running every session once, the order rotated by one
    per round, so a busy spell of the machine spreads over all the pages; stops after
    the round that passes `budget_s` (at least one round)."""
    names = list(sessions)
    runs: dict[str, list[dict]] = {name: [] for name in names}
    started = time.perf_counter()
    for done in range(rounds):
        for name in names[done % len(names) :] + names[: done % len(names)]:
            runs[name].append(one_run(sessions[name], cold=cold))
        if time.perf_counter() - started > budget_s:
            print(f"  (time budget: {done + 1} of {rounds} {'cold' if cold else 'warm'} rounds)")
            break
    return runs


def child_measure(args: argparse.Namespace, out: Path) -> None:
    import cProfile
    import pstats

    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
    from streamlit.testing.v1 import AppTest, app_test, local_script_runner

    class WarmPagesManager(PagesManager):
        """As tests/app/conftest.py: run in st.navigation mode, as a warm server does."""

        def __init__(self, *a, **kw) -> None:
            super().__init__(*a, **kw)
            PagesManager.uses_pages_directory = False

    app_test.PagesManager = WarmPagesManager
    # A server compiles each script once (its ScriptCache lives as long as it does);
    # AppTest makes a new cache per run, recompiling dashboard.py and the page (with
    # Streamlit's "magic" AST pass) every time. Share one, as a warm server does.
    shared_cache = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared_cache

    script = {"s": 0.0, "cpu": 0.0, "profiler": None}
    run_script = ScriptRunner._run_script

    def timed_run_script(self, rerun_data):
        profiler = script["profiler"]
        if profiler is not None:
            profiler.enable()
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return run_script(self, rerun_data)
        finally:
            script["s"] += time.perf_counter() - started
            script["cpu"] += time.thread_time() - cpu
            if profiler is not None:
                profiler.disable()

    ScriptRunner._run_script = timed_run_script

    def session(page: str) -> AppTest:
        """A session opened on the dashboard, then switched to `page` (not timed)."""
        at = AppTest.from_file(str(APP), default_timeout=args.timeout)
        at.session_state["user_id"] = args.admin_id
        at.run()
        if page != "dashboard.py":
            at.switch_page(page)
        return at

    def floor_session() -> AppTest:
        at = AppTest.from_file(str(ROOT / FLOOR), default_timeout=args.timeout)
        at.run()
        return at

    saver = Saver(args.admin_id)

    def one_run(at: AppTest, *, cold: bool) -> dict:
        """One rerun of the session's page: wall and CPU ms of AppTest.run() (CPU of
        every thread of this process) and of the script alone, and any errors shown."""
        if cold:
            saver.save()  # a new data stamp: whatever caches a result keyed on it misses
            st.cache_data.clear()  # and the entries of older stamps are not kept
        gc.collect()
        script["s"] = script["cpu"] = 0.0
        started, cpu = time.perf_counter(), time.process_time()
        at.run()
        return {
            "wall": (time.perf_counter() - started) * 1000,
            "cpu": (time.process_time() - cpu) * 1000,
            "script": script["s"] * 1000,
            "script_cpu": script["cpu"] * 1000,
            "problems": [e.message for e in at.exception] + [str(e.value) for e in at.error],
        }

    results: dict[str, dict] = {}
    sessions: dict[str, AppTest] = {}
    for page in [FLOOR, *measured_pages(args.pages)]:
        if page.startswith("pages/") and is_placeholder(page):
            results[page] = {"skipped": "still a placeholder (shell.page() and a title)"}
            print(f"  {args.size:>7} {page:<28} skipped: still a placeholder", flush=True)
            continue
        try:
            at = floor_session() if page == FLOOR else session(page)
        except ValueError as exc:  # not in the navigation
            results[page] = {"skipped": str(exc)}
            continue
        one_run(at, cold=True)  # warm-up, discarded: the page's imports, first cache fill
        sessions[page] = at

    for mode in ("cold", "warm"):
        runs = interleaved(
            sessions, one_run, cold=mode == "cold", rounds=args.runs, budget_s=args.max_seconds
        )
        for page, page_runs in runs.items():
            entry = results.setdefault(page, {})
            entry[mode] = statistics.median(r["wall"] for r in page_runs)
            entry[f"{mode}_runs"] = [r["wall"] for r in page_runs]
            for key in ("cpu", "script", "script_cpu"):
                entry[f"{mode}_{key}_ms"] = statistics.median(r[key] for r in page_runs)
            if problems := sorted({p for r in page_runs for p in r["problems"]}):
                entry["problems"] = problems[:3]
    for page in sessions:
        entry = results[page]
        ratio = entry["cold"] / results[FLOOR]["cold"]
        print(
            f"  {args.size:>7} {page:<28} cold {entry['cold']:9.1f} ms  ({ratio:5.1f}× floor)  "
            f"warm {entry['warm']:9.1f} ms  (CPU {entry['cold_cpu_ms']:.0f} / "
            f"{entry['warm_cpu_ms']:.0f} ms; script {entry['cold_script_ms']:.0f} ms; "
            f"cold runs {[round(x) for x in entry['cold_runs']]})",
            flush=True,
        )
    for page, at in sessions.items():
        if args.profile and page != FLOOR:
            # CPU time of the script thread, so a busy machine does not skew the shares
            profiler = cProfile.Profile(time.thread_time)
            saver.save()
            st.cache_data.clear()
            script["profiler"] = profiler
            try:
                at.run()
            finally:
                script["profiler"] = None
            print_profile(page, args.size, pstats.Stats(profiler))
            if dump := os.environ.get("BENCH_PROFILE_DIR"):  # for pstats / snakeviz
                profiler.dump_stats(Path(dump) / f"{Path(page).stem}-{args.size}.prof")

    saver.close()
    updates = measure_updates(args.updates, args.admin_id)
    out.write_text(json.dumps({"pages": results, "updates_ms": updates, "app_peak_mb": peak_mb()}))


class Saver:
    """Saves a status update, as a lead would, to make the next page run cold."""

    def __init__(self, admin_id: int) -> None:
        from sqlmodel import Session, select

        from core.models import Outcome
        from core.people.permissions import actor_for
        from core.store.db import make_engine

        self.engine = make_engine()
        with Session(self.engine) as session:
            self.actor = actor_for(session, session.get(models.User, admin_id))
            self.ids = session.exec(
                select(Outcome.id).where(Outcome.retired.is_(False)).order_by(Outcome.id)
            ).all()
        self.count = 0

    def save(self) -> None:
        from sqlmodel import Session

        from core.models import Outcome, Status
        from core.progress.updates import update_status
        from core.store.db import write_session

        outcome_id = self.ids[self.count * 7919 % len(self.ids)]
        self.count += 1
        with Session(self.engine) as session:
            outcome = session.get(Outcome, outcome_id)
            version, status = outcome.version, outcome.status
        new = Status.IN_PROGRESS if status != Status.IN_PROGRESS.value else Status.DONE
        with write_session(self.engine) as session:
            update_status(
                session=session,
                actor=self.actor,
                outcome_id=outcome_id,
                expected_version=version,
                new_status=new.value,
                note="bench: make the next run cold",
            )

    def close(self) -> None:
        self.engine.dispose()


def measure_updates(count: int, admin_id: int) -> list[float]:
    from sqlmodel import Session, select

    from core.models import Outcome, Status
    from core.people.permissions import actor_for
    from core.progress.updates import update_status
    from core.store.db import make_engine, write_session

    engine = make_engine()
    with Session(engine) as session:
        actor = actor_for(session, session.get(models.User, admin_id))
        ids = session.exec(select(Outcome.id).where(Outcome.retired.is_(False))).all()
    rng = random.Random(7)
    choices = [Status.IN_PROGRESS, Status.DONE, Status.BLOCKED, Status.NOT_STARTED]
    latencies = []
    for i in range(count):
        outcome_id = rng.choice(ids)
        with Session(engine) as session:  # what the form was rendered with: not timed
            outcome = session.get(Outcome, outcome_id)
            version, status = outcome.version, outcome.status
        new = rng.choice([s for s in choices if s.value != status])
        started = time.perf_counter()
        with write_session(engine) as session:
            update_status(
                session=session,
                actor=actor,
                outcome_id=outcome_id,
                expected_version=version,
                new_status=new.value,
                note=f"bench update {i}",
            )
        latencies.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return latencies


# ---- parent: one size at a time, then the table ------------------------------------


def run_child(step: str, out: Path, *extra: str, env: dict | None = None) -> dict:
    """Run one step in a fresh interpreter; its stderr (Streamlit's chatter about
    running without a server) goes to a log shown only if the step fails."""
    cmd = [sys.executable, str(Path(__file__).resolve()), step, "--out", str(out), *extra]
    log = out.with_suffix(".log")
    with log.open("w") as err:
        done = subprocess.run(cmd, env=env, cwd=ROOT, stderr=err, check=False)
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        raise SystemExit(f"{step} failed (exit {done.returncode}):\n" + "\n".join(tail))
    return json.loads(out.read_text())


def measure_size(size: int, args: argparse.Namespace, work: Path) -> dict:
    data_dir, db_file = work / f"plan-{size}", work / f"tracker-{size}.db"
    gen_json, seed_json = work / f"gen-{size}.json", work / f"seed-{size}.json"
    reuse = args.reuse and gen_json.is_file() and seed_json.is_file() and db_file.is_file()
    print(f"size {size:,}: {'reusing' if reuse else 'generating, seeding'}…", flush=True)
    if not reuse:
        for old in work.glob(f"tracker-{size}.db*"):
            old.unlink()
        run_child("_generate", gen_json, str(size), str(data_dir))
    shape = json.loads(gen_json.read_text())
    env = {
        **os.environ,
        "TRACKER_SQLITE_PATH": str(db_file),
        "DATABASE_URL": f"sqlite:///{db_file}",
        "TRACKER_DATA_DIR": str(data_dir),
        "TRACKER_TODAY": TODAY,
    }
    env.pop("TRACKER_PRIVATE", None)
    if not reuse:
        run_child("_seed", seed_json, str(data_dir), str(db_file), env=env)
    seed = json.loads(seed_json.read_text())
    print(
        f"  {seed['outcomes']:,} outcomes in {shape['regions']:,} regions, "
        f"{shape['logic_models']:,} logic models; seeded in {seed['seed_s']:.1f} s "
        f"(peak {seed['seed_peak_mb']:.0f} MB), {seed['history_rows']:,} status updates, "
        f"{seed.get('measures', 0):,} measures with {seed.get('measure_values', 0):,} values added",
        flush=True,
    )
    extra = [
        str(size),
        str(seed["admin_id"]),
        f"--runs={args.runs}",
        f"--updates={args.updates}",
        f"--timeout={args.timeout}",
        f"--max-seconds={args.max_seconds}",
        *(["--profile"] if args.profile else []),
        *(["--pages", *args.pages] if args.pages else []),
    ]
    pages = run_child("_measure", work / f"pages-{size}.json", *extra, env=env)
    return {"size": size, **shape, **seed, **pages}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].startswith("_"):
        return child(argv)
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[248, 10_000, 100_000],
        help="outcomes per plan (248: the real plan)",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page and mode")
    parser.add_argument("--updates", type=int, default=200, help="status updates to time")
    parser.add_argument("--timeout", type=float, default=900, help="AppTest timeout, s")
    parser.add_argument("--profile", action="store_true", help="cProfile one cold run per page")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=1800,
        help="per size and mode: stop the interleaved rounds after the one passing this",
    )
    parser.add_argument("--pages", nargs="+", help="only pages whose path contains one of these")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--keep", type=Path, help="keep data dirs and databases in this folder")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --keep: reuse a size's plan, database and seed figures found there "
        "(each run appends its --updates to the history)",
    )
    args = parser.parse_args(argv)
    if any(s < 1 for s in args.sizes) or args.runs < 1:
        parser.error("sizes and runs must be positive")
    if args.reuse and not args.keep:
        parser.error("--reuse needs --keep DIR")
    sizes = sorted(set(args.sizes))

    results = []
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            results.append(measure_size(size, args, work))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    print(report(results))
    return 0


def child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("step")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("rest", nargs="*")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument("--pages", nargs="*")
    args = parser.parse_intermixed_args(argv)
    if args.step == "_generate":
        child_generate(int(args.rest[0]), Path(args.rest[1]), args.out)
    elif args.step == "_seed":
        child_seed(Path(args.rest[0]), Path(args.rest[1]), args.out)
    elif args.step == "_measure":
        args.size, args.admin_id = int(args.rest[0]), int(args.rest[1])
        child_measure(args, args.out)
    else:
        raise SystemExit(f"unknown step {args.step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
