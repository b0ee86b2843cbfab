"""Benchmark of the console's live view, over HTTP against the real `gatescan-server serve`.

An event with 80,000 tickets, 100 enrolled devices on 4 gates and 100,000 scans pushed by
them (device times over the last two hours: 80 % admitted entries, 8 % already used, 6 %
repeat reads, 6 % exits; tickets reused, so there are conflicts). Then, interleaved in one
run, the live view's data (`/console/events/ID/live.json`, a signed-in console session)
and, as the baseline, the API's counts (`/api/v1/admin/events/ID/report`), each request
timed on the client: median and 95th percentile. Finally the live page's first-visit
weight (HTML, stylesheet, script: every byte the browser fetches).

    .venv/bin/python bench/console_live.py                      # SQLite
    .venv/bin/python bench/console_live.py --database-url URL   # PostgreSQL
    .venv/bin/python bench/console_live.py --tickets 20000 --scans 20000   # quicker

Traffic goes only to 127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from server import enroll, fresh_schema, issue, machine, ok, push_all, start_server, store_line
from sqlalchemy import event as sa_event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatescan.server import admins, live  # noqa: E402
from gatescan.server.console import accounts, roles  # noqa: E402
from gatescan.server.settings import load_settings  # noqa: E402
from gatescan.server.store import IssuerStore  # noqa: E402

PASSWORD = "bench password, long enough"
EVENT = {"name": "Bench Arena", "gates": [{"name": f"Gate {i}"} for i in range(1, 5)],
         "ticket_types": [{"id": 1, "name": "General"}, {"id": 2, "name": "VIP"},
                          {"id": 3, "name": "Group of 3", "max_entries": 3}]}


def bodies(ticket_ids: list[str], devices: int, scans: int, now: float) -> list[list[bytes]]:
    """Push bodies per device (1,000 scans each): times over the last two hours, in order."""
    rng = random.Random(7)
    per = scans // devices
    out = []
    for d in range(devices):
        times = sorted(now - 7200 * rng.random() for _ in range(per))
        items = []
        for t in times:
            r = rng.random()
            outcome, direction = (("admitted", "entry") if r < 0.80 else
                                  ("already_used", "entry") if r < 0.88 else
                                  ("repeat_read", "entry") if r < 0.94 else
                                  ("exit_recorded", "exit"))
            items.append({"scan_id": secrets.token_hex(16), "ticket_id": rng.choice(ticket_ids),
                          "serial": 0, "gate": f"Gate {1 + d % 4}", "direction": direction,
                          "outcome": outcome, "device_time": t, "source": "camera"})
        out.append([json.dumps({"scans": items[i:i + 1000]}).encode()
                    for i in range(0, len(items), 1000)])
    return out


def timed(client: httpx.Client, path: str) -> float:
    start = time.perf_counter()
    r = client.get(path)
    took = time.perf_counter() - start
    if r.status_code != 200:
        raise SystemExit(f"GET {path}: {r.status_code} {r.text[:200]}")
    return took


def summary(name: str, times: list[float]) -> tuple[float, float]:
    ms = sorted(t * 1000 for t in times)
    p50, p95 = statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]
    print(f"  {name:<44} median {p50:7.1f} ms   p95 {p95:7.1f} ms   ({len(ms)} requests)")
    return p50, p95


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--tickets", type=int, default=80_000)
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--scans", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=60)
    ap.add_argument("--profile", action="store_true",
                    help="then profile one live view in this process, on the same store")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="gatescan-bench-") as tmp, \
            fresh_schema(args.database_url) as url:
        data = Path(tmp) / "data"
        settings = load_settings(data, {}, database_url=url)
        with IssuerStore.open(settings) as store:
            token = admins.create_admin_token(store, "bench", now=time.time())[1]
            account = accounts.create_account(store, "bench@example.org", PASSWORD,
                                              now=time.time())
            roles.grant(store, account, roles.Role.VIEWER, roles.ALL_EVENTS)
        machine()
        print(f"  store: {store_line(url)}")
        base, proc = start_server(data, url)
        try:
            org = httpx.Client(base_url=base, timeout=300,
                               headers={"Authorization": f"Bearer {token}"})
            event_id = ok(org.post("/api/v1/admin/events", json=EVENT), 201)["event_id"]
            print(f"== set-up: {args.tickets:,} tickets, {args.devices} devices, "
                  f"{args.scans:,} scans")
            ticket_ids = issue(org, event_id, args.tickets)
            tokens = enroll(base, org, event_id, args.devices)
            took, stored, _, rejected = asyncio.run(push_all(
                base, tokens, bodies(ticket_ids, args.devices, args.scans, time.time()),
                retry_every=10**9))
            report = ok(org.get(f"/api/v1/admin/events/{event_id}/report"))
            print(f"  pushed {stored:,} scans in {took:.1f} s ({rejected} rejected); "
                  f"{report['conflicts']:,} conflicts, {report['time_flagged']} time-flagged")

            console = httpx.Client(base_url=base, timeout=60)
            r = console.post("/console/login", data={"email": "bench@example.org",
                                                     "password": PASSWORD})
            if r.status_code != 303:
                raise SystemExit(f"sign-in: {r.status_code}")
            live_path = f"/console/events/{event_id}/live.json"
            report_path = f"/api/v1/admin/events/{event_id}/report"
            view = console.get(live_path).json()
            print(f"  live view: inside {view['inside']:,}, entries {view['entries']:,}, "
                  f"lanes {[(x['gate'], x['state'], x['throughput']) for x in view['lanes']]}")
            print(f"== live view data, {args.requests} requests each, interleaved")
            live_t: list[float] = []
            base_t: list[float] = []
            for _ in range(args.requests):
                live_t.append(timed(console, live_path))
                base_t.append(timed(org, report_path))
            _, live95 = summary("GET live.json (console session)", live_t)
            _, base95 = summary("GET /report (admin token; baseline)", base_t)
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"  ratio p95 live / report: {live95 / base95:.2f}; "
                  f"target p95 < 300 ms: {'OK' if live95 < 300 else 'MISSED'} "
                  f"(load average {load} on {os.cpu_count()} cores)")

            if args.profile:
                profile_live(settings, event_id)
            print("== live page, first visit")
            total = 0
            for path in (f"/console/events/{event_id}/live", "/console/static/console.css",
                         "/console/static/live.js"):
                body = console.get(path, headers={"Accept-Encoding": "identity"}).content
                total += len(body)
                print(f"  {path:<44} {len(body) / 1024:7.1f} KiB")
            print(f"  total {total / 1024:.1f} KiB (uncompressed); target < 300 KB: "
                  f"{'OK' if total < 300_000 else 'MISSED'}")
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)


def profile_live(settings: Any, event_id: int) -> None:
    """cProfile of one `live_view` call on the benchmark's store (what the route runs)."""
    with IssuerStore.open(settings) as store:
        event = store.event(event_id)
        assert event is not None
        live.live_view(store, event_id, event.policy, now=time.time())  # warm the cache
        took: list[tuple[float, str]] = []

        def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            conn.info["bench_t0"] = time.perf_counter()

        def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            took.append((time.perf_counter() - conn.info["bench_t0"], statement))

        engine = store.db.engine
        sa_event.listen(engine, "before_cursor_execute", before)
        sa_event.listen(engine, "after_cursor_execute", after)
        prof = cProfile.Profile()
        prof.enable()
        live.live_view(store, event_id, event.policy, now=time.time())
        prof.disable()
        sa_event.remove(engine, "before_cursor_execute", before)
        sa_event.remove(engine, "after_cursor_execute", after)
    print("== profile of one live view (in-process)")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(8)
    print("  slowest statements (execute only, rows fetched after):")
    for seconds, statement in sorted(took, reverse=True)[:6]:
        print(f"  {seconds * 1000:8.1f} ms  {' '.join(statement.split())[:150]}")


if __name__ == "__main__":
    main()
