"""The tables bench/pages.py prints: seeding, page run times, ratios to the floor page,
and the cProfile summary of one cold run."""

from __future__ import annotations

import math
import re
import statistics
import sys
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2021-06-01"
TARGETS = {"small": (250, 150.0), "large": (100_000, 1_500.0), "update_p95_ms": 50.0}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log(y) against log(x)."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(pts) < 2:
        return float("nan")
    mx = statistics.fmean(p[0] for p in pts)
    my = statistics.fmean(p[1] for p in pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else float("nan")


BUCKETS = [  # (what a file path or function name contains, where its time goes)
    ("sqlite3", "sqlite3 (queries)"),
    ("/sqlalchemy/", "sqlalchemy"),
    ("/sqlmodel/", "sqlalchemy"),
    ("/altair/", "altair (building, to_dict)"),
    ("/jsonschema/", "altair: jsonschema validation"),
    ("/referencing/", "altair: jsonschema validation"),
    ("/rpds", "altair: jsonschema validation"),
    ("/narwhals/", "altair: data to JSON"),
    ("/pyarrow/", "pyarrow (tables to Arrow)"),
    ("/pandas/", "pandas"),
    ("/numpy/", "numpy"),
    ("/streamlit/", "streamlit (elements, AppTest)"),
    ("/google/protobuf", "streamlit (elements, AppTest)"),
    ("/pydantic", "pydantic"),
    ("/json/", "json (stdlib)"),
]


def bucket(file: str, function: str) -> str:
    text = f"{file} {function}"
    for needle, name in BUCKETS:
        if needle in text:
            return name
    if str(ROOT) in file:
        return "project code (own time)"
    return "other (stdlib, builtins)"


def print_profile(page: str, size: int, stats) -> None:
    """Where one cold run's time goes: by library, the page's own code by cumulative
    time, then the hottest functions anywhere."""
    total = max(row[3] for row in stats.stats.values())  # the script run itself
    shares: dict[str, float] = {}
    for (file, _line, fn), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        shares[bucket(file, fn)] = shares.get(bucket(file, fn), 0.0) + tt
    print(f"\n--- profile {page} at {size:,} outcomes (cold run, {total * 1000:.0f} ms CPU)")
    print("  own time by library:")
    for name, tt in sorted(shares.items(), key=lambda kv: kv[1], reverse=True)[:8]:
        print(f"    {tt * 1000:8.1f} ms {tt / total:6.1%}  {name}")
    rows = [
        (key, row)
        for key, row in stats.stats.items()
        if str(ROOT) in key[0] and "/bench/" not in key[0]
    ]
    rows.sort(key=lambda kv: kv[1][3], reverse=True)
    print("  project code, by cumulative time:")
    for (file, line, fn), (_cc, _nc, _tt, ct, _callers) in rows[:14]:
        where = f"{Path(file).relative_to(ROOT)}:{line} {fn}"
        print(f"    {ct * 1000:8.1f} ms {ct / total:6.1%}  {where}")
    hot = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)
    print("  anywhere, by own time:")
    for (file, line, fn), (_cc, nc, tt, _ct, _callers) in hot[:8]:
        short = re.sub(r".*site-packages/", "", file)
        print(f"    {tt * 1000:8.1f} ms {tt / total:6.1%}  {nc:>8} calls  {short}:{line} {fn}")
    sys.stdout.flush()


def fmt_ms(value: float | None, limit: float | None = None) -> str:
    if value is None:
        return "-"
    mark = "!" if limit is not None and value > limit else " "
    return f"{value:,.0f}{mark}" if value >= 10 else f"{value:.1f}{mark}"


def page_limit(size: int) -> float | None:
    small, large = TARGETS["small"], TARGETS["large"]
    return small[1] if size <= small[0] else large[1] if size >= large[0] else None


FLOOR = "bench/floor_page.py"
RATIO_TARGETS = {248: 3.0, 100_000: 25.0}


def ratio_table(results: list[dict]) -> list[str]:
    """Each page's cold median as a multiple of the floor page's, measured in the same
    process with the runs interleaved (bench/floor_page.py): by wall clock, and by CPU
    time (which other work on a shared machine inflates much less)."""
    sizes = [r["size"] for r in results if "cold" in r["pages"].get(FLOOR, {})]
    if not sizes:
        return []
    lines = ["\nRatio to the floor (cold median ÷ floor cold median, same process, interleaved)"]
    lines.append(f"{'page':<30}" + "".join(f"{f'{s:,} wall':>13}{'cpu':>8}" for s in sizes))
    by_size = {r["size"]: r["pages"] for r in results}
    pages = list(dict.fromkeys(p for r in results for p in r["pages"]))
    for page in pages:
        cells = []
        for s in sizes:
            entry, floor = by_size[s].get(page, {}), by_size[s][FLOOR]
            if "cold" not in entry:
                cells.append(f"{'skipped':>13}{'':>8}")
                continue
            limit = RATIO_TARGETS.get(s)
            wall = entry["cold"] / floor["cold"]
            cpu = entry["cold_cpu_ms"] / floor["cold_cpu_ms"]
            marks = ["!" if limit and page != FLOOR and x > limit else " " for x in (wall, cpu)]
            cells.append(f"{wall:>11.1f}×{marks[0]}{cpu:>6.1f}×{marks[1]}")
        lines.append(f"{page:<30}" + "".join(cells))
    floors = ", ".join(
        f"{s:,}: {by_size[s][FLOOR]['cold']:.1f} ms ({by_size[s][FLOOR]['cold_cpu_ms']:.1f} CPU)"
        for s in sizes
    )
    runs = ", ".join(f"{s:,}: {len(by_size[s][FLOOR]['cold_runs'])}" for s in sizes)
    lines.append(f"  floor cold median {floors}; cold rounds per size {runs}")
    lines.append("  ! = over target (≤ 3× on the real plan, 248 outcomes; ≤ 25× at 100,000)")
    return lines


def report(results: list[dict]) -> str:
    lines = []
    sizes = [r["size"] for r in results]
    lines.append("\nPlan and seeding")
    lines.append(
        f"{'outcomes':>9} {'regions':>8} {'models':>7} {'strats':>7} {'seed s':>8} "
        f"{'(read':>7} {'rows':>6} {'infer':>6} {'write)':>7} {'seed MB':>8} {'history':>8} "
        f"{'db MB':>7} {'app MB':>7} {'upd p50':>8} {'upd p95':>8}"
    )
    for r in results:
        ph = r["phases"]
        rows_s = ph.get("plan_rows", 0.0)
        write_s = r["seed_s"] - ph.get("read_plan", 0.0) - rows_s
        upd = r["updates_ms"]
        p95 = percentile(upd, 95) if upd else None
        lines.append(
            f"{r['outcomes']:>9,} "
            f"{r['regions']:>8,} {r['logic_models']:>7,} "
            f"{r['strategies']:>7,} {r['seed_s']:>8.1f} {ph.get('read_plan', 0):>7.1f} "
            f"{rows_s:>6.1f} {ph.get('infer_due_dates', 0):>6.1f} {write_s:>7.1f} "
            f"{r['seed_peak_mb']:>8.0f} {r['history_rows']:>8,} {r['db_mb']:>7.1f} "
            f"{r['app_peak_mb']:>7.0f} {fmt_ms(percentile(upd, 50) if upd else None):>8} "
            f"{fmt_ms(p95, TARGETS['update_p95_ms']):>8}"
        )
    lines.append(
        "  seed s = init_db on a new file (read = YAML + validation, rows = computing rows "
        "incl. infer = due-date inference, write = the rest); seed MB / app MB = peak RSS "
        "of the seeding / page-serving process; upd = status-update commit latency, ms."
    )

    pages = list(dict.fromkeys(p for r in results for p in r["pages"]))
    lines.append(
        "\nPage run time, ms (median of AppTest.run(); cold = first run after a save, caches "
        "cleared; cpu = CPU time of the cold runs, all threads; warm = cache kept)"
    )
    head = f"{'page':<30}" + "".join(f"{f'{s:,} cold':>13}{'cpu':>8}{'warm':>8}" for s in sizes)
    if len(sizes) > 1:
        head += "  slope " + " ".join(f"{a:,}→{b:,}" for a, b in pairwise(sizes))
    lines.append(head)
    worst: dict[int, tuple[float, str]] = {}
    for page in pages:
        cells, colds = [], []
        for r in results:
            entry = r["pages"].get(page, {})
            if "cold" not in entry:
                cells.append(f"{'skipped':>13}{'':>16}")
                continue
            limit = page_limit(r["size"])
            cells.append(
                f"{fmt_ms(entry['cold'], limit):>13}{fmt_ms(entry.get('cold_cpu_ms')):>8}"
                f"{fmt_ms(entry['warm']):>8}"
            )
            colds.append((r["size"], entry["cold"]))
            if entry["cold"] > worst.get(r["size"], (-1.0, ""))[0]:
                worst[r["size"]] = (entry["cold"], page)
        line = f"{page:<30}" + "".join(cells)
        if len(colds) > 1:
            line += "  " + " ".join(
                f"{slope([a, b]):>{len(f'{a[0]:,}→{b[0]:,}')}.2f}" for a, b in pairwise(colds)
            )
        lines.append(line)
        for r in results:
            if problems := r["pages"].get(page, {}).get("problems"):
                lines.append(f"    ! at {r['size']:,}: {problems}")
    lines.append(
        "  ! = over target (≤ 150 ms at 250 outcomes, ≤ 1,500 ms at 100,000); signed in as "
        f"admin; TRACKER_TODAY={TODAY}."
    )
    worst_line = "  worst page: " + ", ".join(
        f"{s:,}: {worst[s][1]} {worst[s][0]:,.0f} ms" for s in sizes if s in worst
    )
    lines.append(worst_line)

    lines.extend(ratio_table(results))

    largest = results[-1]
    size = largest["size"]
    exponent = slope([(s, worst[s][0]) for s in sizes if s in worst])
    upd = largest["updates_ms"]
    p95 = percentile(upd, 95) if upd else float("nan")
    lines.append(
        f"  growth_exponent = least-squares slope of log(worst page ms) vs log(outcomes) "
        f"over {', '.join(f'{s:,}' for s in sizes)}"
        + ("" if size == 100_000 else f" (largest size measured: {size:,}, not 100,000)")
    )
    worst_cpu = {
        r["size"]: max(e["cold_cpu_ms"] for e in r["pages"].values() if "cold_cpu_ms" in e)
        for r in results
        if any("cold_cpu_ms" in e for e in r["pages"].values())
    }
    lines.append(
        "  by CPU time (less sensitive to a busy machine): worst page "
        + ", ".join(f"{s:,}: {ms:,.0f} ms" for s, ms in worst_cpu.items())
        + f"; growth exponent {slope(list(worst_cpu.items())):.2f}"
    )
    lines.append(
        f"worst_page_ms_at_{size}={worst.get(size, (float('nan'),))[0]:.0f} "
        f"update_p95_ms_at_{size}={p95:.1f} growth_exponent={exponent:.2f}"
    )
    return "\n".join(lines)
