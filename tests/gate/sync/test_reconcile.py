"""Two gates against the real server: offline double admission, reconcile, conflict, refusal."""

from __future__ import annotations

import time
from typing import Any

from gatescan.gate.sync.status import ClockState
from gatescan.protocol.clock import EventZone, format_hm
from gatescan.protocol.verdict import Outcome
from tests.gate.ledger.util import query
from tests.gate.sync.conftest import Venue


def _hhmm(t: float, venue: Venue) -> str:
    return format_hm(t, EventZone(venue.demo["tz"], venue.demo["tz_offset_minutes"]))


def test_offline_double_admission_is_reconciled_and_refused_with_the_other_gate(
        venue: Venue, make_gate: Any) -> None:
    g1, g2 = make_gate("g1", "Gate 1"), make_gate("g2", "Gate 2")
    e1 = g1.enroll(venue.handshake("North", "Gate 1"))
    e2 = g2.enroll(venue.handshake("South", "Gate 2"))
    assert (e1.gate, e2.gate) == ("Gate 1", "Gate 2") and e1.tickets == e2.tickets == 40
    ticket = venue.demo["special"]["early_bird"]

    venue.server.stop()  # the venue network dies
    t1 = time.time()
    t2 = t1 + 150
    v1 = g1.scan(venue.token(ticket, t1), t1)
    v2 = g2.scan(venue.token(ticket, t2), t2)
    assert v1.outcome is Outcome.ADMITTED and v2.outcome is Outcome.ADMITTED  # neither can know
    down = g1.engine.sync_once()
    assert not down.online and down.offline_since is not None and down.pending_uploads == 1
    assert down.error is not None and "offline" in down.error

    venue.server.start()  # ...and comes back
    up1, up2 = g1.engine.sync_once(), g2.engine.sync_once()
    up1 = g1.engine.sync_once()  # gate 1 pulls what gate 2 pushed after it
    for st in (up1, up2):
        assert st.online and st.error is None and st.offline_since is None
        assert st.pending_uploads == 0 and st.clock_state is ClockState.SYNCED
    assert up2.conflicts == 1  # the second admission came back flagged

    with venue.admin() as admin:
        found = admin.get(f"/api/v1/admin/events/{venue.event_id}/conflicts").json()
    [conflict] = found["conflicts"]
    assert conflict["ticket_id"] == ticket and conflict["entries"] == 2
    by_gate = {s["gate"]: s for s in conflict["scans"]}
    assert set(by_gate) == {"Gate 1", "Gate 2"}
    assert by_gate["Gate 1"]["device_time"] == t1 and by_gate["Gate 2"]["device_time"] == t2
    assert {s["device_id"] for s in conflict["scans"]} == {e1.device_id, e2.device_id}

    t3 = t2 + 300
    r1 = g1.scan(venue.token(ticket, t3), t3)
    r2 = g2.scan(venue.token(ticket, t3 + 5), t3 + 5)
    assert r1.outcome is Outcome.ALREADY_USED and r2.outcome is Outcome.ALREADY_USED
    assert (r1.previous_gate, r1.previous_time) == ("Gate 2", t2)
    assert (r2.previous_gate, r2.previous_time) == ("Gate 1", t1)
    assert f"Already used at Gate 2 at {_hhmm(t2, venue)}" in r1.reason
    assert f"Already used at Gate 1 at {_hhmm(t1, venue)}" in r2.reason


def test_remote_scans_keep_their_own_time_gate_and_device(venue: Venue, make_gate: Any) -> None:
    g1, g2 = make_gate("g1", "Gate 1"), make_gate("g2", "Gate 2")
    g1.enroll(venue.handshake("North", "Gate 1"))
    e2 = g2.enroll(venue.handshake("South", "Gate 2"))
    ticket = venue.demo["special"]["vip"]
    at = time.time() - 3600  # an hour ago, long before the sync
    g2.gate = "Gate 2"
    g2.scan(venue.token(ticket, at), at)
    g2.engine.sync_once()
    g1.engine.sync_once()
    with g1.ledger() as ledger:
        rows = query(ledger.conn, "SELECT * FROM scans WHERE source = 'remote'")
        assert ledger.verify_chain().ok
    [row] = rows
    assert (row["gate"], row["device_time"], row["device_id"], row["uploaded"]) == (
        "Gate 2", at, e2.device_id, 1)
    assert row["recorded_at"] > at + 3000  # written at sync time, judged by scan time
    # Pulling again changes nothing, and the remote scan is never pushed back.
    g1.engine.sync_once()
    with g1.ledger() as ledger:
        assert ledger.conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 1
        assert ledger.upload_counts().pending == 0
    assert len(venue.scans()) == 1
