"""Real gate processes on 127.0.0.x with the server stopped: one admission, refused elsewhere."""

from __future__ import annotations

import time
from typing import Any

from gatescan.gate.verify.view import GateContext
from gatescan.protocol.verdict import Outcome
from tests.gate.mesh.conftest import MeshProc, mesh_of, wait_for
from tests.gate.sync.conftest import Gate, Venue


def _would_refuse(gate: Gate, code: str, at: float) -> Any:
    context = GateContext(gate.gate, "entry", gate.settings.device_id())
    with gate.ledger() as ledger:
        verdict = ledger.redeem(code, at, context, source="camera", dry_run=True).verdict
    return verdict if verdict.outcome is Outcome.ALREADY_USED else None


def test_an_admission_at_one_gate_is_refused_at_the_others_with_the_server_down(
        venue: Venue, make_gate: Any, meshes: list[MeshProc]) -> None:
    a, b, c = make_gate("a", "Gate 1"), make_gate("b", "Gate 2"), make_gate("c", "Gate 1")
    for g, name in ((a, "North"), (b, "South"), (c, "North 2")):
        g.enroll(venue.handshake(name, g.gate))
    mesh_of(meshes, [a, b, c])
    venue.server.stop()  # the uplink is gone; the venue LAN is not

    ticket = venue.demo["special"]["early_bird"]
    t = time.time()
    assert a.scan(venue.token(ticket, t), t).outcome is Outcome.ADMITTED
    for other in (b, c):
        code = venue.token(ticket, time.time())
        verdict = wait_for(f"{other.root.name} to refuse", lambda o=other, k=code:
                           _would_refuse(o, k, time.time()), timeout=5)
        assert verdict.previous_gate == "Gate 1" and verdict.previous_time == t
    later = time.time()
    refused = b.scan(venue.token(ticket, later), later)
    assert refused.outcome is Outcome.ALREADY_USED and "Already used at Gate 1" in refused.reason
    with a.ledger() as ledger:  # nothing came back to A, nothing of A's was touched
        assert ledger.status().scans == 1
