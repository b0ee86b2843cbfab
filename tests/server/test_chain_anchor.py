"""Gate scan-chain checkpoints: stored with each scan, kept per device, mismatches flagged."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.client import make_http_client
from gatescan.gate.sync.engine import SyncEngine
from gatescan.gate.sync.enroll import GateEnroller
from gatescan.gate.verify.view import GateContext
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore
from tests.server.client import Gate, Organizer, phone_code, scan


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _chained(ticket: str, seq: int, at: float, tag: str = "a", **extra: Any) -> dict[str, Any]:
    return scan(ticket, at, seq=seq, hash=_h(f"{tag}{seq}"), **extra)


def _device(org: Organizer, device_id: str) -> dict[str, Any]:
    out: dict[str, Any] = org.ok("GET", f"/api/v1/admin/devices/{device_id}")
    return out


def test_checkpoint_is_the_highest_pushed_seq(server: str, org: Organizer,
                                              store: IssuerStore) -> None:
    event_id = org.event()
    (t1, _, _), = org.issue(event_id, 1)
    with Gate(server, org.device(event_id, "a")["code"]) as gate:
        assert _device(org, gate.device_id)["chain"] is None
        first = [_chained(t1, seq, 1000.0 + seq, outcome="already_used") for seq in (1, 2, 4)]
        assert [r["status"] for r in gate.push(*first)] == ["stored"] * 3
        chain = _device(org, gate.device_id)["chain"]
        assert (chain["seq"], chain["hash"]) == (4, _h("a4"))
        # Late or repeated pushes below the checkpoint do not move it back.
        gate.push(first[0], _chained(t1, 3, 1003.0, outcome="already_used"))
        listed = org.ok("GET", f"/api/v1/admin/events/{event_id}/devices")["devices"]
        [d] = listed
        assert d["chain"]["seq"] == 4 and d["chain_mismatch"] is None
        assert d["chain_mismatches"] == 0
    with store.db.read() as conn:
        rows = conn.execute(s.scans.select().order_by(s.scans.c.chain_seq)).all()
    assert [(r.chain_seq, r.chain_hash) for r in rows] == [(n, _h(f"a{n}")) for n in (1, 2, 3, 4)]


def test_a_different_hash_for_a_stored_seq_is_flagged_not_accepted(server: str,
                                                                    org: Organizer) -> None:
    event_id = org.event()
    (t1, _, _), = org.issue(event_id, 1)
    with Gate(server, org.device(event_id, "a")["code"]) as gate, \
            Gate(server, org.device(event_id, "b", "Gate 2")["code"]) as other:
        pushed = [_chained(t1, seq, 1000.0 + seq, outcome="already_used") for seq in (1, 2, 3)]
        gate.push(*pushed)
        other.push(_chained(t1, 2, 1100.0, tag="other"))  # other gates have their own chains
        # The log was cut back to seq 1 and written again: seq 2 comes with another hash.
        rewritten = _chained(t1, 2, 1200.0, tag="forged")
        assert gate.push(rewritten)[0]["status"] == "stored"  # kept: nothing is dropped
        d = _device(org, gate.device_id)
        m = d["chain_mismatch"]
        assert m is not None and d["chain_mismatches"] == 1
        assert (m["seq"], m["scan_id"], m["pushed_hash"]) == (2, rewritten["scan_id"],
                                                                _h("forged2"))
        assert (m["stored_seq"], m["stored_hash"], m["stored_scan_id"]) == (
            2, _h("a2"), pushed[1]["scan_id"])
        assert d["chain"]["seq"] == 3 and d["chain"]["hash"] == _h("a3")
        assert _device(org, other.device_id)["chain_mismatch"] is None
        gate.push(rewritten)  # a retried batch is not a second mismatch
        assert _device(org, gate.device_id)["chain_mismatches"] == 1
        # An already-stored scan sent again at another place in the chain is one too.
        moved = {**pushed[2], "seq": 7, "hash": _h("moved")}
        assert gate.push(moved)[0]["status"] == "duplicate"
        d = _device(org, gate.device_id)
        assert d["chain_mismatches"] == 2 and d["chain_mismatch"]["seq"] == 2  # first kept
        assert d["chain"]["seq"] == 3
        # Two scans claiming one place within a single batch.
        gate.push(_chained(t1, 9, 1300.0, tag="x"), _chained(t1, 9, 1301.0, tag="y"))
        assert _device(org, gate.device_id)["chain_mismatches"] == 3


def test_reenrolled_gate_starts_a_new_chain_and_keeps_the_flag(server: str,
                                                               org: Organizer) -> None:
    event_id = org.event()
    (t1, _, _), = org.issue(event_id, 1)
    added = org.device(event_id, "a")
    device_id = added["device"]["device_id"]
    with Gate(server, added["code"]) as gate:
        gate.push(*[_chained(t1, seq, 1000.0 + seq) for seq in (1, 2)])
        gate.push(_chained(t1, 1, 1010.0, tag="b"))
    assert _device(org, device_id)["chain_mismatches"] == 1
    code = org.ok("POST", f"/api/v1/admin/devices/{device_id}/enrollment", 201)["code"]
    with Gate(server, code) as gate:  # a new SD card: the log starts again at seq 1
        assert _device(org, device_id)["chain"] is None
        gate.push(_chained(t1, 1, 2000.0, tag="c"))
        d = _device(org, device_id)
        assert d["chain"]["hash"] == _h("c1") and d["chain_mismatches"] == 1
        assert d["chain_mismatch"]["pushed_hash"] == _h("b1")


def test_chain_fields_are_validated_as_a_pair(server: str, org: Organizer) -> None:
    event_id = org.event()
    (t1, _, _), = org.issue(event_id, 1)
    with Gate(server, org.device(event_id, "a")["code"]) as gate:
        results = gate.push(scan(t1, 1.0, seq=1), scan(t1, 2.0, hash=_h("x")),
                            scan(t1, 3.0, seq=0, hash=_h("x")),
                            scan(t1, 4.0, seq=1, hash="AB" * 32),
                            scan(t1, 5.0, seq=None, hash=None), scan(t1, 6.0))
        assert [r["status"] for r in results] == ["rejected"] * 4 + ["stored"] * 2
        assert "seq and hash" in results[0]["error"]


def test_imported_scans_of_a_device_are_checked_too(server: str, org: Organizer) -> None:
    event_id = org.event()
    (t1, _, _), = org.issue(event_id, 1)
    added = org.device(event_id, "usb gate")
    device_id = added["device"]["device_id"]
    with Gate(server, added["code"]) as gate:
        gate.push(_chained(t1, 1, 100.0), _chained(t1, 2, 101.0))
    lines = [json.dumps(_chained(t1, 3, 102.0)), json.dumps(_chained(t1, 2, 103.0, tag="z"))]
    out = org.ok("POST", f"/api/v1/admin/events/{event_id}/scans/import",
                 params={"device_id": device_id}, content="\n".join(lines).encode(),
                 headers={"content-type": "application/x-ndjson"})
    assert out["stored"] == 2
    d = _device(org, device_id)
    assert d["chain"]["seq"] == 3 and d["chain_mismatch"]["seq"] == 2


def test_a_real_gate_log_is_anchored_and_a_cut_log_is_caught(server: str, org: Organizer,
                                                             tmp_path: Path) -> None:
    """The gate's own ledger and sync engine: checkpoint = chain head; cut and rewrite = flag."""
    event_id = org.event()
    issued = org.issue(event_id, 4)
    added = org.device(event_id, "north")
    settings = ScannerSettings(tmp_path / "gate")
    with make_http_client() as http:
        engine = SyncEngine(settings, http)
        enrolled = GateEnroller(settings, http, engine=engine).enroll(added["handshake"])
        now = time.time()
        context = GateContext("Gate 1", "entry", enrolled.device_id)
        with Ledger(settings.ledger_path) as ledger:
            for _, phone, credential in issued[:3]:
                ledger.redeem(phone_code(credential, phone, now), now, context, source="camera")
            head = ledger.verify_chain()
        assert engine.sync_once().pending_uploads == 0
        chain = _device(org, enrolled.device_id)["chain"]
        assert (chain["seq"], chain["hash"]) == (head.scans, head.head)

        # Someone with the device cuts the last scan off the log (the trigger dropped, then
        # put back so the ledger's own schema check at open sees nothing)...
        raw = sqlite3.connect(settings.ledger_path)
        trigger = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'scans_no_delete'"
                              ).fetchone()[0]
        raw.execute("DROP TRIGGER scans_no_delete")
        raw.execute("DELETE FROM scans WHERE seq = ?", (head.scans,))
        raw.execute(trigger)
        raw.commit()
        raw.close()
        with Ledger(settings.ledger_path) as ledger:
            assert ledger.verify_chain().ok  # the file alone shows nothing
            _, phone, credential = issued[3]
            ledger.redeem(phone_code(credential, phone, now + 1), now + 1, context,
                          source="camera")
        engine.sync_once()
    d = _device(org, enrolled.device_id)
    assert d["chain_mismatch"] is not None and d["chain_mismatch"]["seq"] == head.scans
    assert d["chain_mismatch"]["stored_hash"] == head.head
