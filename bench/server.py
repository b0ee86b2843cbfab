"""Benchmark of the issuing and sync server, over HTTP against the real `gatescan-server serve`.

Prints the machine, then for each store and worker count: bulk issue rate, the
time to build an 80,000-ticket manifest (first request builds it, later ones are
cached), scan ingest with 100 simulated devices pushing concurrently (counted
afterwards: none lost, none doubled, retried batches answered `duplicate`), and
pull delta latency; with several runs, a summary of them side by side.

    .venv/bin/python bench/server.py                       # SQLite (the default store)
    .venv/bin/python bench/server.py --database-url URL    # SQLite, then PostgreSQL, same run
    .venv/bin/python bench/server.py --database-url URL --workers 1,2,4 --no-sqlite
    .venv/bin/python bench/server.py --tickets 20000 --scans 20000   # a quicker run

Traffic goes only to 127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
from machine import cpu_model, load, memory, wait_until_healthy
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatescan.server import admins  # noqa: E402
from gatescan.server.settings import load_settings  # noqa: E402
from gatescan.server.storage.engine import redacted  # noqa: E402
from gatescan.server.store import IssuerStore  # noqa: E402

BULK = 10_000


@contextmanager
def fresh_schema(url: str | None) -> Iterator[str | None]:
    """On PostgreSQL, a new empty schema for this run (dropped afterwards)."""
    if url is None:
        yield None
        return
    name = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield make_url(url).update_query_dict(
            {"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


def machine() -> None:
    """Print what this ran on."""
    cpu, mem = cpu_model(), memory()
    print("== machine")
    print(f"  {platform.platform()}, {os.cpu_count()} cores ({cpu}), {mem} RAM, load {load()}")
    print(f"  Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"fastapi {version('fastapi')}, uvicorn {version('uvicorn')}, "
          f"SQLAlchemy {version('sqlalchemy')}")
    print("  server: `gatescan-server serve --workers N` in its own processes; clients: "
          "asyncio + httpx in this one")


def store_line(database_url: str | None) -> str:
    """The store and its durability settings."""
    if not database_url:
        return "SQLite file (WAL, synchronous=FULL)"
    engine = create_engine(database_url)
    with engine.connect() as conn:
        got = ", ".join(f"{k}={conn.execute(text(f'SHOW {k}')).scalar_one()}"
                        for k in ("fsync", "synchronous_commit", "full_page_writes"))
        release = conn.execute(text("SHOW server_version")).scalar_one().split()[0]
    engine.dispose()
    return f"PostgreSQL {release} ({got}) at {redacted(database_url)}"


def start_server(data: Path, database_url: str | None,
                 workers: int = 1) -> tuple[str, subprocess.Popen[bytes]]:
    """`gatescan-server serve` on a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [sys.executable, "-m", "gatescan.server", "--data", str(data)]
    if database_url:
        args += ["--database-url", database_url]
    proc = subprocess.Popen([*args, "serve", "--port", str(port), "--workers", str(workers)],
                            cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, proc, 120)
    return base, proc


def ok(r: httpx.Response, status: int = 200) -> Any:
    """The JSON body, or stop with the error."""
    if r.status_code != status:
        raise SystemExit(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}")
    return r.json()


def issue(org: httpx.Client, event_id: int, tickets: int) -> list[str]:
    """Bulk-issue `tickets` in calls of 10,000; prints the rate."""
    holder = secrets.token_bytes(32).hex()
    ids: list[str] = []
    start = time.perf_counter()
    for done in range(0, tickets, BULK):
        n = min(BULK, tickets - done)
        body = {"tickets": [{"type_id": 1 + i % 3, "holder_public_key": holder,
                             "valid_from": 0, "valid_until": 0xFFFFFFFF} for i in range(n)]}
        out = ok(org.post(f"/api/v1/admin/events/{event_id}/tickets/bulk", json=body), 201)
        ids += [t["ticket_id"] for t in out["tickets"]]
    took = time.perf_counter() - start
    print(f"  issued {len(ids)} tickets in {took:.2f} s ({len(ids) / took:,.0f} tickets/s, "
          f"{BULK} per call, each credential Ed25519-signed)")
    return ids


def manifest(org: httpx.Client, event_id: int, tickets: int) -> None:
    """Time the first (building) and a cached manifest request."""
    print(f"== manifest of {tickets:,} tickets")
    start = time.perf_counter()
    first = org.get(f"/api/v1/admin/events/{event_id}/manifest")
    built = time.perf_counter() - start
    start = time.perf_counter()
    again = org.get(f"/api/v1/admin/events/{event_id}/manifest")
    cached = time.perf_counter() - start
    assert first.content == again.content and first.status_code == 200
    print(f"  build + sign + send: {built * 1000:.0f} ms ({len(first.content) / 1e6:.1f} MB); "
          f"cached: {cached * 1000:.0f} ms")


def enroll(base: str, org: httpx.Client, event_id: int, n: int) -> list[str]:
    """Add and enroll `n` devices; their tokens."""
    tokens = []
    for i in range(n):
        added = ok(org.post(f"/api/v1/admin/events/{event_id}/devices",
                            json={"name": f"gate {i:03d}", "gate": f"Gate {1 + i % 4}"}), 201)
        code = added["code"]
        tokens.append(ok(httpx.post(f"{base}/api/v1/device/enroll", json={"code": code}))
                      ["device_token"])
    return tokens


def payloads(ticket_ids: list[str], devices: int, per_device: int, batch: int,
             t0: float) -> list[list[bytes]]:
    """Pre-encoded push bodies per device (so the clients spend little CPU while timed)."""
    out = []
    k = 0
    for d in range(devices):
        bodies = []
        for start in range(0, per_device, batch):
            scans = []
            for _ in range(min(batch, per_device - start)):
                scans.append({"scan_id": secrets.token_hex(16),
                              "ticket_id": ticket_ids[k % len(ticket_ids)], "serial": 0,
                              "gate": f"Gate {1 + d % 4}", "direction": "entry",
                              "outcome": "admitted", "device_time": t0 + k * 0.01,
                              "source": "camera"})
                k += 1
            bodies.append(json.dumps({"scans": scans}).encode())
        out.append(bodies)
    return out


async def push_all(base: str, tokens: list[str], bodies: list[list[bytes]],
                   retry_every: int) -> tuple[float, int, int, int]:
    """Every device pushes its batches concurrently; every `retry_every`-th batch is sent twice."""
    stored = duplicate = rejected = 0
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:

        async def device(token: str, mine: list[bytes]) -> None:
            nonlocal stored, duplicate, rejected
            headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
            for i, body in enumerate(mine):
                for _ in range(2 if i % retry_every == retry_every - 1 else 1):
                    r = await client.post("/api/v1/device/scans", content=body, headers=headers)
                    for res in ok(r)["results"]:
                        stored += res["status"] == "stored"
                        duplicate += res["status"] == "duplicate"
                        rejected += res["status"] == "rejected"

        start = time.perf_counter()
        await asyncio.gather(*(device(t, b) for t, b in zip(tokens, bodies, strict=True)))
        return time.perf_counter() - start, stored, duplicate, rejected


def ingest(base: str, org: httpx.Client, event_id: int, ticket_ids: list[str],
           tokens: list[str], scans: int, batch: int) -> float:
    """The concurrent push run and the count after it."""
    per_device = scans // len(tokens)
    bodies = payloads(ticket_ids, len(tokens), per_device, batch, 1_790_000_000.0)
    sent = per_device * len(tokens)
    retry_every = 3
    print(f"== ingest: {len(tokens)} devices push {per_device} scans each, {batch} per batch, "
          f"every batch number {retry_every}, {2 * retry_every}, … sent twice")
    took, stored, duplicate, rejected = asyncio.run(push_all(base, tokens, bodies, retry_every))
    report = ok(org.get(f"/api/v1/admin/events/{event_id}/report"))
    print(f"  {sent:,} scans in {took:.2f} s: {sent / took:,.0f} scans/s "
          f"({(stored + duplicate) / took:,.0f} items/s with the retries)")
    print(f"  results: {stored:,} stored, {duplicate:,} duplicate (retries), {rejected} rejected")
    verdict = "OK" if report["total"] == sent == stored else "MISMATCH"
    print(f"  counted afterwards: {report['total']:,} scans stored for {sent:,} sent: {verdict} "
          f"(none lost, none doubled); {report['conflicts']:,} conflicts flagged")
    if verdict != "OK":
        raise SystemExit(1)
    return sent / took


def pull_latency(base: str, token: str, org: httpx.Client, event_id: int) -> dict[str, float]:
    """Pull delta latency: up to date, and full pages of 1,000 and 5,000 changes (p50, ms)."""
    medians: dict[str, float] = {}
    print("== pull delta latency (one device, other devices' scans and new tickets)")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as gate:
        head = ok(gate.get("/api/v1/device/changes", params={"cursor": "0", "limit": 1}))
        cursor = head["cursor"]
        while True:
            page = ok(gate.get("/api/v1/device/changes", params={"cursor": cursor,
                                                                   "limit": 5000}))
            cursor = page["cursor"]
            if not page["more"]:
                break
        for label, params in (("up to date (empty delta)", {"cursor": cursor, "limit": 1000}),
                              ("page of 1,000 from the start", {"cursor": "0", "limit": 1000}),
                              ("page of 5,000 from the start", {"cursor": "0", "limit": 5000})):
            times = []
            for _ in range(30):
                start = time.perf_counter()
                ok(gate.get("/api/v1/device/changes", params=params))
                times.append(time.perf_counter() - start)
            times.sort()
            medians[label] = statistics.median(times) * 1000
            print(f"  {label:<30} p50 {statistics.median(times) * 1000:6.1f} ms   "
                  f"p95 {times[int(len(times) * 0.95) - 1] * 1000:6.1f} ms")
        # A fresh sale reaches a gate that is up to date within one pull.
        ok(org.post(f"/api/v1/admin/events/{event_id}/tickets/bulk", json={"tickets": [
            {"type_id": 1, "holder_public_key": "00" * 32, "valid_from": 0,
             "valid_until": 10}] * 10}), 201)
        start = time.perf_counter()
        page = ok(gate.get("/api/v1/device/changes", params={"cursor": cursor, "limit": 1000}))
        print(f"  {'10 new tickets after a sale':<30} {len(page['changes'])} changes in "
              f"{(time.perf_counter() - start) * 1000:.1f} ms")
    return medians


def run(database_url: str | None, workers: int, args: argparse.Namespace) -> \
        tuple[float, dict[str, float]]:
    """One store and worker count, from an empty database: (scans/s, pull p50s)."""
    print(f"==== {store_line(database_url)}, {workers} worker{'s' if workers > 1 else ''}")
    with tempfile.TemporaryDirectory(prefix="gatescan-bench-") as tmp, \
            fresh_schema(database_url) as url:
        data = Path(tmp) / "data"
        settings = load_settings(data, {}, database_url=url)
        with IssuerStore.open(settings) as store:
            _, admin = admins.create_admin_token(store, "bench", now=time.time())
        base, proc = start_server(data, url, workers)
        try:
            with httpx.Client(base_url=base, timeout=300,
                              headers={"Authorization": f"Bearer {admin}"}) as org:
                event = ok(org.post("/api/v1/admin/events", json={
                    "name": "Bench Stadium",
                    "gates": [{"name": f"Gate {i}"} for i in range(1, 5)],
                    "ticket_types": [{"id": 1, "name": "General"},
                                     {"id": 2, "name": "Group", "max_entries": 4},
                                     {"id": 3, "name": "Re-entry", "reentry": True}]}), 201)
                event_id = event["event_id"]
                print("== issue")
                ids = issue(org, event_id, args.tickets)
                manifest(org, event_id, args.tickets)
                tokens = enroll(base, org, event_id, args.devices)
                rate = ingest(base, org, event_id, ids, tokens, args.scans, args.batch)
                pulls = pull_latency(base, tokens[0], org, event_id)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return rate, pulls


def main() -> None:
    """Run the benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL [default: SQLite only]")
    ap.add_argument("--workers", default="1", help="worker counts on PostgreSQL, e.g. 1,2,4")
    ap.add_argument("--no-sqlite", action="store_true", help="with --database-url: skip SQLite")
    ap.add_argument("--tickets", type=int, default=80_000)
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--scans", type=int, default=100_000, help="unique scans in total")
    ap.add_argument("--batch", type=int, default=250, help="scans per push")
    args = ap.parse_args()
    machine()
    runs: list[tuple[str | None, int]] = []
    if args.database_url is None or not args.no_sqlite:
        runs.append((None, 1))
    if args.database_url:
        runs += [(args.database_url, int(n)) for n in args.workers.split(",")]
    results = [(url, workers, *run(url, workers, args)) for url, workers in runs]
    if len(results) > 1:
        base = results[0][2]
        print("== summary (same run; ratios against the first line)")
        for url, workers, rate, pulls in results:
            store = "PostgreSQL" if url else "SQLite"
            p50s = "  ".join(f"{v:6.1f}" for v in pulls.values())
            print(f"  {store:<10} {workers} worker(s): {rate:7,.0f} scans/s ({rate / base:4.2f}x)"
                  f"   pull p50 ms (empty, 1,000, 5,000): {p50s}")


if __name__ == "__main__":
    main()
