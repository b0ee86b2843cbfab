"""`gatescan-server serve --workers 2` on PostgreSQL: the real server processes, 100 gates.

The server runs as it does in production (its own process, two uvicorn
workers sharing one listening socket on 127.0.0.1). Which worker answers a
connection is read from /proc (the worker process holding the server end of
that TCP connection), so a test can send a request through a chosen worker.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gatescan.server import admins
from gatescan.server.settings import load_settings
from gatescan.server.store import IssuerStore
from tests.server.backends import pg_base_url, pg_schema
from tests.server.client import Gate, Organizer, general_event, scan

ROOT = Path(__file__).resolve().parents[2]
DEVICES = 100
PER_BATCH = 5
TICKETS = 500  # fewer than scans: each ticket is admitted twice, by two devices
START_S = 90
WAIT_S = 120
T = 1_790_000_000.0

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads the serving worker from /proc")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _descendants(pid: int) -> list[int]:
    """Child processes of `pid`, recursively (uvicorn's workers and their helpers)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        found += [int(k) for k in kids]
        todo += [int(k) for k in kids]
    return found


def _server_inode(server_port: int, client_port: int) -> int | None:
    """The socket inode of the server end of the loopback connection from `client_port`."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.split(":")[1], 16) == server_port and \
                int(remote.split(":")[1], 16) == client_port and inode:
            return inode
    return None


def serving_worker(server: subprocess.Popen[bytes], port: int,
                   conn: http.client.HTTPConnection) -> int | None:
    """The pid of the worker holding the server end of `conn` (kept alive), if found."""
    assert conn.sock is not None
    inode = _server_inode(port, conn.sock.getsockname()[1])
    if inode is None:
        return None
    wanted = f"socket:[{inode}]"
    for pid in _descendants(server.pid):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == wanted:
                    return pid
            except OSError:
                continue
    return None


@contextmanager
def served(tmp_path: Path, url: str, workers: int) -> Iterator[tuple[str, int,
                                                                      subprocess.Popen[bytes]]]:
    """`gatescan-server serve --workers N` on a free loopback port: (base URL, port, process)."""
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatescan.server", "--data", str(tmp_path / "data"),
         "--database-url", url, "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, port, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def through(server: subprocess.Popen[bytes], port: int,
            worker: int | None) -> tuple[http.client.HTTPConnection, int]:
    """A kept-alive connection answered by `worker` (any worker if None): (connection, pid)."""
    for _ in range(200):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/api/v1/health")
        assert conn.getresponse().read()
        pid = serving_worker(server, port, conn)
        if pid is not None and worker in (None, pid):
            return conn, pid
        conn.close()
    raise AssertionError(f"no connection reached worker {worker}")


def pull_through(server: subprocess.Popen[bytes], port: int, token: str, worker: int,
                 limit: int) -> tuple[list[dict[str, Any]], str]:
    """The whole feed from cursor 0, every page on a connection answered by `worker`."""
    changes: list[dict[str, Any]] = []
    cursor = "0"
    for _ in range(1000):
        conn, pid = through(server, port, worker)
        try:
            conn.request("GET", f"/api/v1/device/changes?cursor={cursor}&limit={limit}",
                         headers={"Authorization": f"Bearer {token}"})
            r = conn.getresponse()
            body = json.loads(r.read())
            assert r.status == 200, body
            assert serving_worker(server, port, conn) == pid == worker
        finally:
            conn.close()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["more"]:
            return changes, cursor
    raise AssertionError("the feed did not end")


def test_two_workers_store_every_scan_once_and_serve_one_feed(tmp_path: Path) -> None:
    with pg_schema(pg_base_url()) as url:
        settings = load_settings(tmp_path / "data", {}, database_url=url)
        with IssuerStore.open(settings) as store:
            _, admin = admins.create_admin_token(store, "tests", now=time.time())
        with served(tmp_path, url, workers=2) as (base, port, proc), \
                Organizer(base, admin) as org:
            workers = set()
            for _ in range(200):  # both workers are up and answering
                conn, pid = through(proc, port, None)
                conn.close()
                workers.add(pid)
                if len(workers) == 2:
                    break
            assert len(workers) == 2, workers
            event_id = org.event(general_event("Workers Night"))
            tickets = [t for t, _, _ in org.issue(event_id, TICKETS)]
            codes = [org.device(event_id, f"gate {i:03d}")["code"] for i in range(DEVICES)]
            gates = [Gate(base, code) for code in codes]
            try:
                # Each device: batch A, A again (a retry), then B with an item twice.
                plans = []
                for d in range(DEVICES):
                    at = T + d
                    a = [scan(tickets[(2 * d * PER_BATCH + i) % TICKETS], at + i)
                         for i in range(PER_BATCH)]
                    b = [scan(tickets[((2 * d + 1) * PER_BATCH + i) % TICKETS], at + 10 + i)
                         for i in range(PER_BATCH)]
                    plans.append((a, b))

                def device(d: int) -> list[str]:
                    gate, (a, b) = gates[d], plans[d]
                    first = [r["status"] for r in gate.push(*a)]
                    again = [r["status"] for r in gate.push(*a)]
                    last = [r["status"] for r in gate.push(*b, b[0])]
                    return first + again + last

                with ThreadPoolExecutor(50) as pool:
                    statuses = [f.result(timeout=WAIT_S) for f in
                                [pool.submit(device, d) for d in range(DEVICES)]]
                expected = (["stored"] * PER_BATCH + ["duplicate"] * PER_BATCH
                            + ["stored"] * PER_BATCH + ["duplicate"])
                assert all(s == expected for s in statuses)

                sent = {(g.device_id, sc["scan_id"]) for g, (a, b) in zip(gates, plans,
                                                                            strict=True)
                        for sc in a + b}
                assert len(sent) == DEVICES * 2 * PER_BATCH
                with IssuerStore.open(settings) as store, store.snapshot() as conn:
                    rows = conn.execute(text("SELECT device_id, scan_id, seq FROM scans "
                                             "WHERE event_id = :e"), {"e": event_id}).all()
                assert {(r.device_id, r.scan_id) for r in rows} == sent  # none lost
                assert len(rows) == len(sent)  # none twice
                assert len({r.seq for r in rows}) == len(rows)
                report = org.ok("GET", f"/api/v1/admin/events/{event_id}/report")
                assert report["total"] == len(sent)
                assert report["conflicts"] == TICKETS  # each ticket admitted by two devices

                # A few devices pull the whole feed through each worker: the same feed.
                one, two = sorted(workers)
                for gate in gates[:: DEVICES // 5]:
                    token = gate.enrollment["device_token"]
                    via_one, end_one = pull_through(proc, port, token, one, limit=400)
                    via_two, end_two = pull_through(proc, port, token, two, limit=700)
                    assert via_one == via_two and end_one == end_two
                    seen = [(c["device_id"], c["scan_id"]) for c in via_one
                            if c["kind"] == "scan"]
                    others = {k for k in sent if k[0] != gate.device_id}
                    assert len(seen) == len(set(seen)) and set(seen) == others
                    assert [c["seq"] for c in via_one] == sorted(c["seq"] for c in via_one)
                    conflicted = {c["ticket_id"] for c in via_one if c["kind"] == "conflict"}
                    assert conflicted == set(tickets)
            finally:
                for g in gates:
                    g.http.close()
