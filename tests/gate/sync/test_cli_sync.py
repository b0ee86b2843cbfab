"""`gatescan enroll`, `sync`, `export-scans` and `status --json`, run as an operator would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gatescan.gate.sync.credentials import Credentials
from gatescan.protocol.clock import EventZone, format_iso
from tests.gate.sync.conftest import Venue
from tests.gate.sync.live import free_port

BIN = Path(sys.executable).parent


def gatescan(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "gatescan"), "--data", str(data), *args],
                          capture_output=True, text=True, env=dict(os.environ), timeout=60)


def status(data: Path) -> dict[str, Any]:
    out = gatescan(data, "status", "--json")
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert isinstance(obj, dict)
    return obj


def test_enroll_check_sync_status(venue: Venue, tmp_path: Path) -> None:
    data = tmp_path / "gate"
    before = status(data)
    assert before["enrolled"] is False and before["online"] is False
    assert before["pending_uploads"] == 0 and before["last_sync"] is None

    out = gatescan(data, "enroll", venue.handshake("CLI gate", "Gate 2"))
    assert out.returncode == 0, out.stderr
    assert "Enrolled as dev_" in out.stdout and "40 tickets" in out.stdout
    creds = Credentials.load(data)
    assert creds is not None and creds.token not in out.stdout + out.stderr

    ticket = venue.demo["special"]["early_bird"]
    check = gatescan(data, "check", venue.token(ticket, time.time()), "--json")
    assert check.returncode == 0, check.stderr
    verdict = json.loads(check.stdout)
    assert verdict["gate"] == "Gate 2" and verdict["outcome"] == "admitted"  # enrolled gate
    mid = status(data)
    assert mid["pending_uploads"] == 1 and mid["online"] is True and mid["enrolled"] is True
    assert mid["clock_state"] == "synced" and mid["gate"] == "Gate 2"
    assert mid["event"]["event_id"] == venue.event_id and "tickets" in mid  # old keys kept

    once = gatescan(data, "sync", "--once", "--json")
    assert once.returncode == 0, once.stderr
    assert json.loads(once.stdout)["pending_uploads"] == 0
    after = status(data)
    assert after["pending_uploads"] == 0 and after["last_sync"] >= mid["last_sync"]
    assert [s["gate"] for s in venue.scans()] == ["Gate 2"]


def test_cli_refusals_are_one_clear_line(venue: Venue, tmp_path: Path) -> None:
    data = tmp_path / "gate"
    not_enrolled = gatescan(data, "sync", "--once")
    assert not_enrolled.returncode == 2 and "not enrolled" in not_enrolled.stderr
    garbage = gatescan(data, "enroll", "hello")
    assert garbage.returncode == 2 and "not a GateScan enrollment code" in garbage.stderr
    dead = venue.handshake("Far", "Gate 1", url=f"http://127.0.0.1:{free_port()}")
    unreachable = gatescan(data, "enroll", dead)
    assert unreachable.returncode == 2 and "Cannot reach the server" in unreachable.stderr
    assert "Traceback" not in garbage.stderr + unreachable.stderr


def test_sync_once_offline_exits_2_and_keeps_the_scan(venue: Venue, tmp_path: Path) -> None:
    data = tmp_path / "gate"
    assert gatescan(data, "enroll", venue.handshake("Flaky Wi-Fi", "Gate 1")).returncode == 0
    ticket = venue.demo["special"]["reentry"]
    assert gatescan(data, "check", venue.token(ticket, time.time())).returncode == 0
    venue.server.stop()
    out = gatescan(data, "sync", "--once")
    assert out.returncode == 2 and "OFFLINE" in out.stdout and "1 pending" in out.stdout
    st = status(data)
    assert st["online"] is False and st["offline_since"] is not None
    assert st["pending_uploads"] == 1 and st["sync_error"].startswith("offline")


def test_export_import_twice_then_sync_stores_each_scan_once(venue: Venue, tmp_path: Path
                                                             ) -> None:
    data = tmp_path / "gate"
    assert gatescan(data, "enroll", venue.handshake("USB only", "Gate 1")).returncode == 0
    venue.server.stop()
    now = time.time()
    for i, ticket in enumerate(venue.demo["tickets"][:3]):
        out = gatescan(data, "check", venue.token(ticket, now + i), "--at", str(now + i))
        assert out.returncode in (0, 1), out.stderr
    forged = list(venue.token(venue.demo["tickets"][0], now + 5))
    forged[40] = "7" if forged[40] != "7" else "8"
    out = gatescan(data, "check", "".join(forged), "--at", str(now + 5), "--json")
    verdict = json.loads(out.stdout)
    assert out.returncode == 1 and verdict["outcome"] == "bad_signature"
    assert verdict["ticket_id"] is None and verdict["ticket_type"] is None  # nothing from it
    export = tmp_path / "usb" / "scans.jsonl"
    export.parent.mkdir()
    out = gatescan(data, "export-scans", str(export))
    assert out.returncode == 0, out.stderr
    assert "3 unsent scans" in out.stderr and f"/events/{venue.event_id}/scans/import" in \
        out.stderr
    lines = [json.loads(line) for line in export.read_text().splitlines()]
    assert len(lines) == 3 and {line["device_id"] for line in lines} == {  # not the forged one
        Credentials.load(data).device_id}  # type: ignore[union-attr]
    assert [line["device_time"] for line in lines] == [now + i for i in range(3)]
    zone = EventZone(venue.demo["tz"], venue.demo["tz_offset_minutes"])
    assert [line["local_time"] for line in lines] == [format_iso(now + i, zone) for i in range(3)]

    venue.server.start()
    with venue.admin() as admin:
        url = f"/api/v1/admin/events/{venue.event_id}/scans/import"
        headers = {"content-type": "application/x-ndjson"}
        first = admin.post(url, content=export.read_bytes(), headers=headers).json()
        again = admin.post(url, content=export.read_bytes(), headers=headers).json()
    assert (first["stored"], first["duplicate"], first["rejected"]) == (3, 0, 0)
    assert (again["stored"], again["duplicate"]) == (0, 3)
    # The gate comes online later: its push finds every scan already there.
    out = gatescan(data, "sync", "--once")
    assert out.returncode == 0, out.stdout + out.stderr
    held = venue.scans()
    assert len(held) == 3 and {s["scan_id"] for s in held} == {line["scan_id"] for line in lines}
    assert status(data)["pending_uploads"] == 0


def test_check_before_the_first_sync_refuses_on_an_unset_clock(venue: Venue, tmp_path: Path
                                                               ) -> None:
    from gatescan.gate.ledger.ledger import Ledger

    data = tmp_path / "gate"
    assert gatescan(data, "enroll", venue.handshake("Pi without RTC", "Gate 1")).returncode == 0
    with Ledger(data / "ledger.db") as ledger:
        # As after a reboot with the clock a day behind what the gate has already seen:
        ledger.update_sync_state({"clock": None}, time_seen=time.time() + 86400)
    ticket = venue.demo["special"]["early_bird"]
    out = gatescan(data, "check", venue.token(ticket, time.time()), "--json")
    verdict = json.loads(out.stdout)
    assert out.returncode == 1 and verdict["outcome"] == "clock_unset"
    assert verdict["level"] == "check" and "clock" in verdict["reason"]
    assert status(data)["clock_state"] == "unset"
    assert gatescan(data, "sync", "--once").returncode == 0  # the server's time fixes it
    assert status(data)["clock_state"] == "synced"
    again = gatescan(data, "check", venue.token(ticket, time.time()), "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["outcome"] == "admitted"


def test_sync_runs_on_and_pushes_a_scan_right_after_it(venue: Venue, tmp_path: Path) -> None:
    data = tmp_path / "gate"
    assert gatescan(data, "enroll", venue.handshake("Always on", "Gate 1")).returncode == 0
    enrolled_sync = status(data)["last_sync"]
    proc = subprocess.Popen([str(BIN / "gatescan"), "--data", str(data), "sync", "--interval",
                             "600"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while status(data)["last_sync"] == enrolled_sync:  # its first round is done
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        ticket = venue.demo["special"]["group"]
        assert gatescan(data, "check", venue.token(ticket, time.time())).returncode == 0
        scanned = time.monotonic()
        while not venue.scans():  # far sooner than the 10-minute interval
            assert time.monotonic() - scanned < 10, "the scan was not pushed"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "online" in out and "Traceback" not in err
