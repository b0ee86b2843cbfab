"""Simulated power cuts (tests/crashvfs.py) under the server's SQLite store.

The real `IssuerStore` and `ingest` run through SQLAlchemy on a DB-API adapter
over APSW (`Database(creator=...)`); after each cut the store opens normally
(stdlib driver, migrations) and every scan it acknowledged and every refund it
reported done is there, once, and the change log's sequence numbers are unique.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from gatescan.protocol.token import parse_ticket_id
from gatescan.server import issuer
from gatescan.server.ingest import ScanIn, ingest
from gatescan.server.keys import KeyFiles
from gatescan.server.storage.engine import Database
from gatescan.server.store import IssuerStore
from tests.crashvfs import ApswDbapi, PowerCut, PowerCutDisk, PowerCutVFS

CUTS = 200  # docs/reliability.md quotes this (tests/reliability.py)
BATCHES = 3
PER_BATCH = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, list[int]]:
    """A demo server data folder, checkpointed: (folder, event id, ticket ids)."""
    import json

    data = tmp_path_factory.mktemp("server") / "data"
    out = subprocess.run([str(Path(sys.executable).parent / "gatescan-demo"), "--data",
                          str(data), "event", "--tickets", "24", "--json"],
                         capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(out.stdout)
    with closing(sqlite3.connect(data / "issuer.db")) as conn, conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return data, int(report["event_id"]), [parse_ticket_id(t) for t in report["tickets"]]


def _store(data: Path, creator: Any = None) -> IssuerStore:
    return IssuerStore(Database(f"sqlite:///{data / 'issuer.db'}", pool_size=1, creator=creator),
                       KeyFiles(data / "keys"))


def _workload(store: IssuerStore, event_id: int, tickets: list[int],
              acked: list[str], refunded: list[int]) -> None:
    now = time.time()
    for b in range(BATCHES):
        batch = [ScanIn(f"{b:02x}{i:030x}", tickets[b * PER_BATCH + i], 0, "Gate 1", "entry",
                        "admitted", now + i, "camera", "ok", "dev_00000000000a")
                 for i in range(PER_BATCH)]
        results = ingest(store, event_id, batch, via="push", now=now)
        acked += [r.scan_id for r in results if r.scan_id and r.status == "stored"]
        if b == 1:
            issuer.revoke(store, tickets[20], "refund")
            refunded.append(tickets[20])


def _cut(data: Path, event_id: int, tickets: list[int], disk: PowerCutDisk
         ) -> tuple[list[str], list[int]]:
    vfs = PowerCutVFS(disk)
    acked: list[str] = []
    refunded: list[int] = []
    store = None
    try:
        store = _store(data, creator=lambda: ApswDbapi(data / "issuer.db", vfs))
        _workload(store, event_id, tickets, acked, refunded)
    except PowerCut:
        pass
    except Exception:  # SQLAlchemy may wrap what the dead machine raised
        if not disk.crashed:
            raise
    finally:
        if store is not None:
            store.close()
        vfs.unregister()
    disk.reboot()
    return acked, refunded


def _lost(data: Path, acked: list[str], refunded: list[int]) -> int:
    store = _store(data)  # opens with the stdlib driver and runs the migrations
    try:
        with store.db.read() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            assert raw.execute("PRAGMA quick_check").fetchall() == [("ok",)]
            held = {r[0] for r in raw.execute("SELECT scan_id FROM scans")}
            seqs = [r[0] for r in raw.execute("SELECT seq FROM scans")]
            assert len(seqs) == len(set(seqs))
        lost = sum(1 for s in acked if s not in held)
        for t in refunded:
            ticket = store.ticket(t)
            lost += int(ticket is None or ticket.status != "revoked")
        return lost
    finally:
        store.close()


def test_power_cuts_under_the_server_store(server: tuple[Path, int, list[int]],
                                           tmp_path: Path) -> None:
    base, event_id, tickets = server
    dry = tmp_path / "dry"
    shutil.copytree(base, dry)
    acked, refunded = _cut(dry, event_id, tickets, disk := PowerCutDisk())
    assert len(acked) == BATCHES * PER_BATCH and refunded and _lost(dry, acked, refunded) == 0
    total = disk.ops
    rng = random.Random("server-power")
    cuts = lost = 0
    for i in range(CUTS):
        data = tmp_path / f"cut{i}"
        shutil.copytree(base, data)
        disk = PowerCutDisk(crash_at=rng.randint(1, total), torn=rng.random() < 0.5, rng=rng)
        acked, refunded = _cut(data, event_id, tickets, disk)
        cuts += disk.crashed
        lost += _lost(data, acked, refunded)
        shutil.rmtree(data)
    assert cuts == CUTS and lost == 0
