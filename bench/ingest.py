"""Benchmark of scan ingest inside the server process (no HTTP): SQLite and PostgreSQL side by side.

Pushes the same batches through `gatescan.server.ingest.ingest` (what `POST
/api/v1/device/scans` calls after validation) on a SQLite file (WAL,
synchronous=FULL) and on PostgreSQL, in one run, and prints scans per second
for each, their ratio and PostgreSQL's durability settings. Devices push in
turn from several threads (as uvicorn's thread pool does); a third of the
batches are sent twice (answered `duplicate`), and each scan carries its
place in its gate's hash chain, as a real gate sends it.

    .venv/bin/python bench/ingest.py --database-url URL   # e.g. $GATESCAN_TEST_PG_URL
    .venv/bin/python bench/ingest.py --database-url URL --profile postgresql
    .venv/bin/python bench/ingest.py --database-url URL --rounds 6  # the median ratio

Only the database named is touched (a fresh schema, dropped afterwards).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import logging
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from machine import summary
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import fresh_schema  # noqa: E402

from gatescan.protocol.policy import Gate, TicketType  # noqa: E402
from gatescan.server import devices, issuer  # noqa: E402
from gatescan.server.ingest import DUPLICATE, STORED, ScanIn, ingest  # noqa: E402
from gatescan.server.settings import load_settings  # noqa: E402
from gatescan.server.store import IssuerStore  # noqa: E402

T0 = 1_790_000_000.0


def batches(device_ids: list[str], ticket_ids: list[int], per_device: int,
            batch: int) -> list[list[ScanIn]]:
    """Each device's scans in batches, chained as a gate chains them; interleaved by device."""
    out: list[list[list[ScanIn]]] = []
    k = 0
    for d, device_id in enumerate(device_ids):
        mine: list[list[ScanIn]] = []
        prev = "00" * 32
        for start in range(0, per_device, batch):
            items = []
            for seq in range(start + 1, min(start + batch, per_device) + 1):
                scan_id = secrets.token_hex(16)
                prev = hashlib.sha256(f"{prev}{scan_id}".encode()).hexdigest()
                items.append(ScanIn(scan_id, ticket_ids[k % len(ticket_ids)], 0,
                                    f"Gate {1 + d % 4}", "entry", "admitted", T0 + k * 0.01,
                                    "camera", None, device_id, seq, prev))
                k += 1
            mine.append(items)
        out.append(mine)
    # Round-robin over devices, like gates pushing at the same time.
    return [mine[i] for i in range(max(len(m) for m in out)) for mine in out if i < len(mine)]


def run(label: str, database_url: str | None, args: argparse.Namespace,
        profile: bool) -> float:
    """Set up an event on this store and time the pushes; returns scans per second."""
    with tempfile.TemporaryDirectory(prefix="gatescan-bench-") as tmp:
        settings = load_settings(Path(tmp) / "data", {}, database_url=database_url)
        with IssuerStore.open(settings) as store:
            policy = issuer.create_event(
                store, "Bench", gates=[Gate(f"Gate {i}") for i in range(1, 5)],
                ticket_types=[TicketType(1, "General"),
                              TicketType(2, "Group", max_entries=4),
                              TicketType(3, "Re-entry", reentry=True)])
            holder = secrets.token_bytes(32)
            tickets = [c.ticket_id for c in issuer.issue_tickets(store, policy.event_id, [
                issuer.TicketRequest(1 + i % 3, holder, 0, 0xFFFFFFFF)
                for i in range(args.tickets)])]
            device_ids = []
            for i in range(args.devices):
                dev = devices.add_device(store, policy.event_id, f"gate {i:03d}",
                                         f"Gate {1 + i % 4}", ttl=600, now=time.time())
                devices.enroll(store, dev.code, now=time.time())
                device_ids.append(dev.device.device_id)
            work = batches(device_ids, tickets, args.scans // args.devices, args.batch)
            sends = [b for i, b in enumerate(work) for _ in range(2 if i % 3 == 2 else 1)]
            counts = {STORED: 0, DUPLICATE: 0}

            def push(items: list[ScanIn]) -> None:
                for r in ingest(store, policy.event_id, items, via="push", now=time.time()):
                    counts[r.status] = counts.get(r.status, 0) + 1

            prof = cProfile.Profile() if profile else None
            start = time.perf_counter()
            if prof:
                prof.enable()
            if args.threads == 1:
                for items in sends:
                    push(items)
            else:
                with ThreadPoolExecutor(args.threads) as pool:
                    list(pool.map(push, sends))
            if prof:
                prof.disable()
            took = time.perf_counter() - start
            with store.snapshot() as conn:
                total = conn.execute(text("SELECT count(*) FROM scans")).scalar_one()
        sent = sum(len(b) for b in work)
        ok = "OK" if total == sent == counts[STORED] else "MISMATCH"
        print(f"  {label:<11} {sent:,} scans in {took:6.2f} s: {sent / took:8,.0f} scans/s   "
              f"{counts[STORED]:,} stored, {counts[DUPLICATE]:,} duplicate; counted {total:,}: "
              f"{ok}")
        if prof:
            pstats.Stats(prof).sort_stats(args.sort).print_stats(30)
        if ok != "OK":
            raise SystemExit(1)
        return sent / took


def pg_durability(url: str) -> str:
    """PostgreSQL's fsync / synchronous_commit / full_page_writes, as the server runs them."""
    engine = create_engine(url)
    with engine.connect() as conn:
        got = [f"{k}={conn.execute(text(f'SHOW {k}')).scalar_one()}"
               for k in ("fsync", "synchronous_commit", "full_page_writes")]
        version = conn.execute(text("SHOW server_version")).scalar_one()
    engine.dispose()
    return f"PostgreSQL {version}, " + ", ".join(got)


def main() -> None:
    """Run the benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True, help="PostgreSQL URL")
    ap.add_argument("--tickets", type=int, default=20_000)
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--scans", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--threads", type=int, default=8, help="concurrent pushes")
    ap.add_argument("--profile", choices=("sqlite", "postgresql"), default=None)
    ap.add_argument("--sort", default="cumulative", help="profile order")
    ap.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs of each store, alternated (SQLite first, then PostgreSQL first, "
                         "...); the ratio of each round and their median are printed")
    args = ap.parse_args()
    logging.getLogger("gatescan").setLevel(logging.ERROR)  # conflicts are expected here
    print("== machine")
    print(f"  {summary()}")
    print(f"  SQLite: file, WAL, synchronous=FULL; {pg_durability(args.database_url)}")
    print(f"== ingest: {args.devices} devices, {args.scans // args.devices} scans each, "
          f"{args.batch} per batch, every third batch sent twice, {args.threads} threads")
    ratios = []
    for r in range(args.rounds):
        order = ("sqlite", "postgresql") if r % 2 == 0 else ("postgresql", "sqlite")
        rates = {}
        for label in order:
            if args.only and label != args.only:
                continue
            if label == "sqlite":
                rates[label] = run("SQLite", None, args, args.profile == label)
            else:
                with fresh_schema(args.database_url) as url:
                    rates[label] = run("PostgreSQL", url, args, args.profile == label)
        if len(rates) == 2:
            ratios.append(rates["postgresql"] / rates["sqlite"])
            print(f"  PostgreSQL / SQLite: {ratios[-1]:.2f}x")
    if len(ratios) > 1:
        print(f"== PostgreSQL / SQLite over {len(ratios)} rounds: median "
              f"{statistics.median(ratios):.2f}x (each: "
              f"{', '.join(f'{x:.2f}' for x in ratios)})")

if __name__ == "__main__":
    main()
