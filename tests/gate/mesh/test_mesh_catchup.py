"""Anti-entropy with real processes: a gate that was down catches up; kill -9 loses nothing."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

from gatescan.gate.verify.view import GateContext
from gatescan.protocol.verdict import Outcome
from tests.gate.mesh.conftest import MeshProc, mesh_of, wait_for, wait_until_meshed
from tests.gate.sync.conftest import Gate, Venue


def _own_scans(gate: Gate) -> set[str]:
    with gate.ledger() as ledger:
        return {r[0] for r in ledger.conn.execute(
            "SELECT scan_id FROM scans WHERE source != 'remote' AND ticket_id IS NOT NULL")}


def _scans_from(gate: Gate, device_id: str) -> list[str]:
    with gate.ledger() as ledger:
        return [r[0] for r in ledger.conn.execute(
            "SELECT scan_id FROM scans WHERE source = 'remote' AND device_id = ?",
            (device_id,))]


def _scan_all(venue: Venue, gate: Gate, tickets: list[str]) -> None:
    context = GateContext(gate.gate, "entry", gate.settings.device_id())
    with gate.ledger() as ledger:
        for t in tickets:
            now = time.time()
            ledger.redeem(venue.token(t, now), now, context, source="camera")


def test_a_gate_down_while_others_scan_catches_up_even_killed_mid_catch_up(
        venue: Venue, make_gate: Any, meshes: list[MeshProc]) -> None:
    a, b = make_gate("a", "Gate 1"), make_gate("b", "Gate 2")
    for g, name in ((a, "North"), (b, "South")):
        g.enroll(venue.handshake(name, g.gate))
    # Small answers, so catching up takes many rounds and a kill lands in the middle.
    (a.root / "mesh.json").write_text(json.dumps({"batch": 1}))
    ma, mb = mesh_of(meshes, [a, b])
    venue.server.stop()

    mb.stop(signal.SIGKILL)  # gate B's mesh is gone (crash, cable pulled)
    tickets = list(venue.demo["tickets"])
    _scan_all(venue, a, tickets)
    wanted = _own_scans(a)
    assert len(wanted) == len(tickets)
    a_id = a.settings.device_id()
    assert _scans_from(b, a_id) == []

    mb.start()
    wait_for("b to have begun", lambda: len(_scans_from(b, a_id)) > 0, 10)
    mb.stop(signal.SIGKILL)  # killed mid-exchange
    part = _scans_from(b, a_id)
    mb.start()
    wait_for("b to hold all of a's scans", lambda: set(_scans_from(b, a_id)) == wanted, 20)
    got = _scans_from(b, a_id)
    assert len(got) == len(set(got)) == len(wanted) and set(part) <= set(got)  # none doubled
    with b.ledger() as ledger:
        assert ledger.verify_chain().ok

    # The sender killed -9 and restarted: its counter resumes past what it used, so its
    # next message is not taken for a replay.
    ma.stop(signal.SIGKILL)
    ma.start()
    wait_until_meshed(ma, 2, 2)
    context = GateContext(a.gate, "exit", a.settings.device_id())
    with a.ledger() as ledger:
        now = time.time()
        ledger.redeem(venue.token(venue.demo["special"]["reentry"], now), now, context,
                      source="camera")
    wait_for("b to have a's latest", lambda: set(_scans_from(b, a_id)) == _own_scans(a), 5)
    st = mb.status()
    assert st is not None and st["refused"].get("replayed", 0) == 0
    assert st["peers"][0]["lag"] == 0
    ticket = venue.demo["special"]["early_bird"]
    now = time.time()
    assert b.scan(venue.token(ticket, now), now).outcome is Outcome.ALREADY_USED
