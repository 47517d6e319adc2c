"""Scale-out: the capacity load against 1, 2 and 3 Streamlit replicas on one PostgreSQL.

    pip install -e '.[bench]'
    python bench/replicas.py                                  # 1, 2, 3 replicas, 40 sessions
    python bench/replicas.py --replicas 1,2 --sessions 30 --seconds 45

Starts a throw-away PostgreSQL 15 server (tests/pg.py: a temporary directory, a free
loopback port, an unprivileged OS user when run as root), seeds the plan and one lead
per region into it (bench/capacity.py's seed), then for each replica count starts that
many Streamlit processes on it (the README's command, different loopback ports, the
same DATABASE_URL) behind a sticky load balancer on loopback (Debian's HAProxy when
installed, `apt-get install haproxy`, else bench/lb.py; --lb picks: one WebSocket, one
replica) and
runs bench/capacity.py's Locust leads through the proxy for --seconds once all have
spawned. Per step it prints the throughput (reruns finished per second), rerun p50/p95,
errors and lost updates (every save a client saw, checked against status_update, so a
save on any replica counts), then checks that a save on each replica shows on the next
run of every replica: a lead signs in on replica i (directly, not through the proxy),
marks one of its overdue outcomes done, and an open Overview session on every replica
reruns and must show one more Done. Last line:

    replicas_2_vs_1=… replicas_3_vs_1=… lost_updates=N visible_everywhere=yes|no

The machine's two cores also run Locust and the proxy (and, here, other people's
tests): throughput can grow at most until they are both busy. Loopback only; at most
4 replicas, 300 sessions and 600 s a step; everything started is stopped at the end.
"""

from __future__ import annotations

import capacity  # first: Locust's gevent monkey-patching

# isort: split
import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pyarrow as pa
from capacity import (
    PASSWORD,
    REGIONS,
    Lead,
    _free_port,
    report,
    run_level,
    seed,
    start_server,
    stop_server,
)
from locust import between
from protocol import ProtocolClient, ProtocolError

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from tests.pg import PostgresServer  # noqa: E402

MAX_REPLICAS = 4


class Replicas:
    """The replicas' processes as one, for run_level's CPU and memory readings."""

    def __init__(self, processes: list[subprocess.Popen]) -> None:
        self.procs = [psutil.Process(p.pid) for p in processes]

    def cpu_times(self) -> tuple[float, float]:
        times = [p.cpu_times() for p in self.procs]
        return sum(t.user for t in times), sum(t.system for t in times)

    def memory_info(self):
        class Rss:
            rss = sum(p.memory_info().rss for p in self.procs)

        return Rss()


HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
HAPROXY_CONFIG = """global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout tunnel 1h
frontend tracker
    bind 127.0.0.1:{port}
    default_backend replicas
backend replicas
    balance roundrobin
    cookie tracker_replica insert indirect nocache httponly
{servers}
"""


def start_lb(folder: Path, urls: list[str], kind: str = "auto") -> tuple[subprocess.Popen, str]:
    """The sticky load balancer: Debian's HAProxy when installed (or asked for), else
    bench/lb.py. Both keep a browser on its replica by the `tracker_replica` cookie and
    a protocol client (no cookies) on the replica its WebSocket connection went to."""
    if kind == "haproxy" or (kind == "auto" and Path(HAPROXY).exists()):
        return start_haproxy(folder, urls)
    return start_python_lb(folder, urls)


def start_haproxy(folder: Path, urls: list[str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    servers = "\n".join(
        f"    server r{i} {url.removeprefix('http://')} cookie {i}" for i, url in enumerate(urls)
    )
    config = folder / f"haproxy-{len(urls)}.cfg"
    config.write_text(HAPROXY_CONFIG.format(port=port, servers=servers))
    log = (folder / "lb.log").open("w")
    process = subprocess.Popen([HAPROXY, "-db", "-f", str(config)], stdout=log, stderr=log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            print(f"  load balancer: HAProxy on port {port}", flush=True)
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    stop_server(process)
    raise SystemExit(f"HAProxy did not start; see {folder / 'lb.log'}")


def start_python_lb(folder: Path, urls: list[str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    backends = [arg for url in urls for arg in ("--backend", url.removeprefix("http://"))]
    log = (folder / "lb.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(BENCH / "lb.py"), "--port", str(port), *backends],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    ready = process.stdout.readline() if process.stdout else ""
    if "ready" not in ready:
        stop_server(process)
        raise SystemExit(f"the load balancer did not start: {ready}")
    return process, f"http://127.0.0.1:{port}"


def done_count(run) -> int:
    """The Overview's Done figure."""
    texts = [n.text for n in run.find("metric", label="Done")]
    if len(texts) != 1:
        raise ProtocolError(f"{len(texts)} Done metrics on the page")
    return int(texts[0].replace(",", ""))


def mark_one_done(url: str, region_id: str) -> bool:
    """A lead signs in on this replica and marks one of its overdue outcomes done."""
    c = ProtocolClient(url)
    try:
        c.open()
        c.goto("Overdue & due soon")
        c.set_widget(c.widget(kind="text_input", label="Username").id, f"lead-{region_id}")
        c.set_widget(c.widget(kind="text_input", label="Password").id, PASSWORD)
        c.click(c.button("Sign in").id)
        assert c.last is not None
        tables = (n for n in c.last.find("dataframe") if n.key.startswith("overdue_table_"))
        table = next(tables, None)  # None: nothing of this region is overdue any more
        if table is None:
            return False
        if pa.ipc.open_stream(table.proto.arrow_data.data).read_all().num_rows == 0:
            return False
        c.set_widget(table.id, {"selection": {"rows": [0], "columns": []}})
        c.rerun()
        run = c.click(c.widget(key="done_overdue_one").id)
        return "Marked done." in run.texts("toast")
    finally:
        c.close()


def visible_everywhere(urls: list[str]) -> tuple[bool, str]:
    """Whether a save on each replica shows on the next run of every replica."""
    readers = [ProtocolClient(url) for url in urls]
    try:
        counts = [done_count(r.open()) for r in readers]
        notes = []
        for i, url in enumerate(urls):
            # The first region, from this replica's turn on, with an overdue outcome left.
            turn = [REGIONS[(i + k) % len(REGIONS)][0] for k in range(len(REGIONS))]
            if not any(mark_one_done(url, region_id) for region_id in turn):
                return False, f"replica {i + 1}: the save did not go through"
            seen = [done_count(r.rerun()) for r in readers]
            notes.append(f"save on {i + 1}: Done {counts} -> {seen}")
            if any(after != before + 1 for before, after in zip(counts, seen, strict=True)):
                return False, "; ".join(notes)
            counts = seen
        return True, "; ".join(notes)
    finally:
        for r in readers:
            r.close()


def step(folder: Path, db_url: str, replicas: int, args: argparse.Namespace) -> dict:
    processes, urls = [], []
    lb = None
    try:
        for i in range(replicas):
            process, url = start_server(folder, db_url, name=f"replica-{replicas}-{i + 1}")
            processes.append(process)
            urls.append(url)
            warm = ProtocolClient(url)
            warm.open()  # each process's first run imports pandas and altair
            warm.close()
        lb, lb_url = start_lb(folder, urls, args.lb)
        group = Replicas(processes)
        rss = group.memory_info().rss
        seen = capacity.history(db_url)
        result = run_level(lb_url, args.sessions, args.seconds, group, rss)  # type: ignore[arg-type]
        line, _final, _p95 = report(result, db_url, seen)
        lost = int(line.split("lost_updates=")[1].split()[0])
        errors = int(line.split("errors=")[1].split()[0])
        visible, how = visible_everywhere(urls)
        print(
            f"replicas={replicas} reruns_per_s={result['reruns_per_s']:.2f} {line}",
            flush=True,
        )
        print(f"  visible on every replica's next run: {'yes' if visible else 'NO'} ({how})")
        return {"rps": result["reruns_per_s"], "lost": lost, "errors": errors, "visible": visible}
    finally:
        if lb is not None:
            stop_server(lb)
        for process in processes:
            stop_server(process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", default="1,2,3")
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=5)
    parser.add_argument(
        "--lb",
        choices=("auto", "haproxy", "python"),
        default="auto",
        help="the load balancer: HAProxy if installed (auto), or bench/lb.py (python)",
    )
    parser.add_argument(
        "--sign-in", choices=("password", "cookie"), default="password",
        help="as bench/capacity.py: leads type their password, or come back signed in",
    )  # fmt: skip
    args = parser.parse_args(argv)
    counts = sorted({int(n) for n in args.replicas.split(",")})
    if counts[0] < 1 or counts[-1] > MAX_REPLICAS or not 1 <= args.sessions <= 300:
        parser.error(f"replicas 1..{MAX_REPLICAS}, sessions 1..300")
    if args.seconds > 600:
        parser.error("at most 600 s a step")
    Lead.wait_time = between(max(0.0, args.think - 1), args.think + 1)
    pg = PostgresServer.start()
    try:
        db_url = pg.create_database("tracker_replicas")
        # Virtual users are numbered across the steps (each step spawns new ones).
        cookies = args.sessions * len(counts) + 1 if args.sign_in == "cookie" else 0
        REGIONS[:] = seed(db_url, cookies=cookies)
        logs = Path(tempfile.mkdtemp(prefix="replicas-"))  # kept: the replicas' logs
        print(f"PostgreSQL on port {pg.port}; {args.sessions} sessions", end=" ")
        print(f"{args.seconds:.0f} s a step; sign-in: {args.sign_in}; replica logs in {logs}",
              flush=True)  # fmt: skip
        results = {n: step(logs, db_url, n, args) for n in counts}
    finally:
        pg.stop()
    base = results[counts[0]]["rps"] if counts[0] == 1 else float("nan")
    ratios = " ".join(f"replicas_{n}_vs_1={results[n]['rps'] / base:.2f}" for n in counts[1:])
    lost = sum(r["lost"] for r in results.values())
    visible = all(r["visible"] for r in results.values())
    print(f"{ratios} lost_updates={lost} visible_everywhere={'yes' if visible else 'no'}")
    return 0 if lost == 0 and visible else 1


if __name__ == "__main__":
    raise SystemExit(main())
