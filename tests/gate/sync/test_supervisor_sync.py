"""Supervisor actions through the real sync engine and server: an undo frees the ticket
at every gate, an override is an entry, and both reach the organizer's report and export."""

from __future__ import annotations

import io
import json
import time
from typing import Any

from gatescan.gate.sync.export import write_scans
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.verdict import Outcome
from tests.gate.sync.conftest import Venue


def test_undo_and_override_sync_to_the_server_and_the_other_gate(venue: Venue,
                                                                  make_gate: Any) -> None:
    g1, g2 = make_gate("g1", "Gate 1"), make_gate("g2", "Gate 2")
    g1.enroll(venue.handshake("North", "Gate 1"))
    g2.enroll(venue.handshake("South", "Gate 2"))
    ticket, other = venue.demo["special"]["early_bird"], venue.demo["special"]["vip"]
    here = GateContext("Gate 1", "entry", g1.settings.device_id())
    t1 = time.time()
    assert g1.scan(venue.token(ticket, t1), t1).outcome is Outcome.ADMITTED
    with g1.ledger() as ledger:
        ledger.undo_admission("did not go through", t1 + 30, here)
        # The export file carries the new kinds as they are pushed.
        out = io.StringIO()
        write_scans(ledger, out, None)
    exported = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["outcome"] for e in exported] == ["admitted", "admission_undone"]
    assert exported[1]["reason"] == "did not go through"
    assert g1.engine.sync_once().pending_uploads == 0
    g2.engine.sync_once()
    # Gate 2 learned of the undo: the ticket enters there as a first entry, no conflict.
    t2 = t1 + 60
    assert g2.scan(venue.token(ticket, t2), t2).outcome is Outcome.ADMITTED
    assert g2.engine.sync_once().conflicts == 0

    # An override at gate 1 of a ticket gate 2 admitted is an entry: a conflict.
    t3 = t2 + 10
    assert g2.scan(venue.token(other, t3), t3).outcome is Outcome.ADMITTED
    g2.engine.sync_once()
    g1.engine.sync_once()
    refused_at = t3 + 20
    with g1.ledger() as ledger:
        refused = ledger.redeem(venue.token(other, refused_at), refused_at, here,
                                source="camera")
        assert refused.verdict.outcome is Outcome.ALREADY_USED and refused.scan_id
        ledger.admit_anyway(refused.scan_id, "lost wristband, checked ID", refused_at + 5,
                            here)
    assert g1.engine.sync_once().conflicts == 1
    with venue.admin() as admin:
        report = admin.get(f"/api/v1/admin/events/{venue.event_id}/report").json()
        conflicts = admin.get(f"/api/v1/admin/events/{venue.event_id}/conflicts").json()
        csv_text = admin.get(f"/api/v1/admin/events/{venue.event_id}/scans.csv").text
    assert [c["ticket_id"] for c in conflicts["conflicts"]] == [other]
    assert report["by_outcome"]["admission_undone"] == 1
    assert report["by_outcome"]["override_admitted"] == 1
    assert report["admitted"] == 3  # ticket once (one undone), other twice
    assert "lost wristband, checked ID" in csv_text and "did not go through" in csv_text
