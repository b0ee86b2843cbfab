"""A whole event day against the real `gatescan-server serve` process, on SQLite and PostgreSQL.

Organizer: admin token, event, tickets, two devices. Gates: enroll, pull the
manifest, decide scans with the real verifier, push, pull each other's scans.
Both gates go offline and admit one ticket: a conflict. Then a revoked ticket
and a revoked device.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatescan.gate.verify.view import Movement, TicketRecord
from gatescan.server.settings import ServerSettings
from tests.server.client import Gate, Organizer, general_event, phone_code, scan
from tests.server.helpers import ManifestView, cli

T = 1_790_000_000.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _global_args(settings: ServerSettings) -> list[str]:
    args = ["--data", str(settings.data_dir)]
    return args + (["--database-url", settings.database_url] if settings.database_url else [])


@pytest.fixture
def real_server(settings: ServerSettings) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python -m gatescan.server serve` on a free loopback port."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatescan.server", *_global_args(settings), "serve", "--port",
         str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "GATESCAN_SERVER_URL": ""})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"server did not start: {proc.communicate()[1][-2000:]}")
        time.sleep(0.1)
    try:
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _view(gate: Gate, tmp: Path) -> ManifestView:
    path = tmp / f"{gate.device_id}.gsm"
    path.write_bytes(gate.manifest())
    return ManifestView.load(path)


def _apply(view: ManifestView, changes: list[dict[str, Any]]) -> None:
    """What the gate's sync client does with a page of changes (enough for this test)."""
    for c in changes:
        tid = int(c["ticket_id"], 16) if "ticket_id" in c else None
        if c["kind"] in ("ticket", "transfer") and tid is not None:
            view.tickets[tid] = TicketRecord(tid, c["type_id"], c["serial"], seat=c["seat"])
        elif c["kind"] == "revocation" and tid is not None:
            old = view.tickets[tid]
            view.tickets[tid] = TicketRecord(tid, old.type_id, old.serial, True, c["reason"])
        elif c["kind"] == "scan" and tid is not None and c["outcome"] == "admitted":
            view.moves.setdefault(tid, []).append(
                Movement(c["device_time"], c["gate"], c["direction"], c["device_id"]))


def _decide(view: ManifestView, gate: Gate, name: str, code: str,
            at: float) -> tuple[str, dict[str, Any]]:
    verdict = view.scan(code, at, name)
    assert verdict.ticket is not None
    item = scan(f"{verdict.ticket.ticket_id:016x}", at, name, outcome=verdict.outcome.value)
    result = gate.push(item)[0]
    assert result["status"] == "stored"
    return verdict.outcome.value, result


def test_full_event_day(settings: ServerSettings, real_server: tuple[str, Any],
                        tmp_path: Path) -> None:
    base, proc = real_server
    made = cli(settings.data_dir, *(_global_args(settings)[2:]), "admin-token", "--json")
    assert made.exit_code == 0, made.output
    admin = json.loads(made.stdout)["token"]
    with Organizer(base, admin) as org:
        event_id = org.event(general_event("Event Day"))
        tickets = org.issue(event_id, 6)
        (_, px, cx), (y, py, cy), (z, pz, cz) = tickets[:3]
        added = cli(settings.data_dir, *(_global_args(settings)[2:]), "device", "add",
                    "North", "--gate", "Gate 1", "--event", str(event_id), "--url", base,
                    "--json")
        assert added.exit_code == 0, added.output
        code_a = json.loads(added.stdout)["code"]
        code_b = org.device(event_id, "South", "Gate 2")["code"]
        with Gate(base, code_a) as a, Gate(base, code_b) as b:
            va, vb = _view(a, tmp_path), _view(b, tmp_path)
            assert len(va.tickets) == 6
            # Online: A admits X, B learns it and refuses X as already used.
            assert _decide(va, a, "Gate 1", phone_code(cx, px, T), T)[0] == "admitted"
            _apply(vb, b.pull())
            outcome, _ = _decide(vb, b, "Gate 2", phone_code(cx, px, T + 60), T + 60)
            assert outcome == "already_used"
            # Offline: both admit Y; on reconnect the second push is a conflict.
            assert _decide(va, a, "Gate 1", phone_code(cy, py, T + 100), T + 100)[0] == \
                "admitted"
            outcome, result = _decide(vb, b, "Gate 2", phone_code(cy, py, T + 130), T + 130)
            assert outcome == "admitted" and result["conflict"] is True
            conflicts = org.ok("GET", f"/api/v1/admin/events/{event_id}/conflicts")
            assert [c["ticket_id"] for c in conflicts["conflicts"]] == [y]
            assert {s["device_time"] for s in conflicts["conflicts"][0]["scans"]} == \
                {T + 100, T + 130}
            # A refund reaches the gates.
            org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/{z}/revoke",
                   json={"reason": "refund"})
            _apply(vb, b.pull())
            assert vb.scan(phone_code(cz, pz, T + 200), T + 200, "Gate 2").outcome.value == \
                "revoked"
            report = org.ok("GET", f"/api/v1/admin/events/{event_id}/report")
            assert report["by_outcome"] == {"admitted": 3, "already_used": 1}
            assert report["conflicts"] == 1
            # A lost device is revoked: it is refused and told so.
            org.ok("POST", f"/api/v1/admin/devices/{b.device_id}/revoke")
            r = b.http.get("/api/v1/device/changes", params={"cursor": b.cursor})
            assert r.status_code == 403 and r.json()["error"]["code"] == "device_revoked"
            assert a.http.get("/api/v1/device/changes",
                              params={"cursor": a.cursor}).status_code == 200
        csv_rows = org.http.get(f"/api/v1/admin/events/{event_id}/scans.csv").text.splitlines()
        assert len(csv_rows) == 5
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert proc.returncode in (0, -signal.SIGTERM), err[-2000:]
    assert "Traceback" not in err
    assert admin not in err and code_a not in err
