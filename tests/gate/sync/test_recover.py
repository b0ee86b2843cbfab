"""`gatescan recover`: a damaged ledger rebuilt from the server plus the gate's own export.

The real server on loopback, the real console script, a real damaged file.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from tests.gate.sync.conftest import Venue
from tests.gate.sync.test_cli_sync import gatescan, status


def _damage(db: Path) -> None:
    conn = sqlite3.connect(db)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'scans'").fetchone()[0]
    conn.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * 4096)
        f.write(b"\x0d\x00\x00\xff\xff" + b"\xee" * 300)


def test_recover_from_the_server_and_the_gates_export(venue: Venue, tmp_path: Path) -> None:
    data = tmp_path / "gate"
    assert gatescan(data, "enroll", venue.handshake("Damaged SD card", "Gate 1")).returncode == 0
    now = time.time()
    tickets = venue.demo["tickets"]
    for i, ticket in enumerate(tickets[:3]):  # synced to the server
        assert gatescan(data, "check", venue.token(ticket, now), "--at", str(now + i)
                        ).returncode in (0, 1)
    assert gatescan(data, "sync", "--once").returncode == 0
    venue.server.stop()
    offline = []
    for i, ticket in enumerate(tickets[3:5]):  # only on the gate (and in its export)
        out = gatescan(data, "check", venue.token(ticket, now), "--at", str(now + 10 + i),
                       "--json")
        offline.append(json.loads(out.stdout))
    export = tmp_path / "usb" / "scans.jsonl"
    export.parent.mkdir()
    assert gatescan(data, "export-scans", str(export)).returncode == 0
    db = data / "ledger.db"
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _damage(db)
    broken = gatescan(data, "status")
    assert broken.returncode == 2 and "gatescan recover" in broken.stderr, broken.stderr
    assert "Traceback" not in broken.stderr

    venue.server.start()
    out = gatescan(data, "recover", "--from-export", str(export))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 scans restored" in out.stdout and "Moved the old ledger" in out.stderr
    assert len(list(data.glob("ledger.db.damaged-*"))) >= 1  # kept for the organizer
    after = status(data)
    assert after["event"]["event_id"] == venue.event_id and after["pending_uploads"] == 0
    assert after["tickets"] > 0
    # Every scan stored on the server exactly once, the restored ones with their own ids.
    held = venue.scans()
    assert len(held) == 5 == len({s["scan_id"] for s in held})
    assert {o["scan_id"] for o in offline} <= {s["scan_id"] for s in held}
    # The restored log still refuses a ticket this gate admitted while offline.
    later = now + 600  # past the repeat-read window
    again = gatescan(data, "check", venue.token(tickets[3], later), "--at", str(later),
                     "--json")
    assert offline[0]["outcome"] == "admitted"
    assert json.loads(again.stdout)["outcome"] == "already_used"
    # A healthy ledger is left alone unless asked.
    refused = gatescan(data, "recover")
    assert refused.returncode == 2 and "nothing to recover" in refused.stderr
    # A ticket it admitted and uploaded before the damage (not in the export, which holds
    # only unsent scans) is refused too: the rebuilt ledger got its own scans from the feed.
    uploaded = gatescan(data, "check", venue.token(tickets[0], later + 1), "--at",
                        str(later + 1), "--json")
    assert json.loads(uploaded.stdout)["outcome"] == "already_used", uploaded.stdout
    assert len(venue.scans()) == 5  # and nothing came back to the server twice


def test_a_bad_export_file_changes_nothing(venue: Venue, tmp_path: Path) -> None:
    data = tmp_path / "gate"
    assert gatescan(data, "enroll", venue.handshake("Careful", "Gate 1")).returncode == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"scan_id": "x"}\n')
    before = (data / "ledger.db").stat().st_ino
    out = gatescan(data, "recover", "--force", "--from-export", str(bad))
    assert out.returncode == 2 and "line 1" in out.stderr and "nothing was changed" in out.stderr
    assert (data / "ledger.db").stat().st_ino == before
