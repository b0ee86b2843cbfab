"""Two gates admit one ticket while their meshes cannot talk: flagged on both at once on rejoin.

Real `gatescan mesh` processes on 127.0.0.x, the server stopped. Gate B's mesh is
down (a partition) while both gates admit the same single-entry ticket; when it
comes back, anti-entropy brings each gate the other's admission, each keeps both
scans and flags the conflict itself, and when the server returns and both gates
sync it holds exactly one conflict (and the gates none twice).
"""

from __future__ import annotations

import signal
import sqlite3
import time
from typing import Any

from gatescan.gate.ledger import reports
from gatescan.protocol.token import parse_ticket_id
from gatescan.protocol.verdict import Outcome
from tests.gate.mesh.conftest import MeshProc, mesh_of, wait_for
from tests.gate.sync.conftest import Gate, Venue


def _conflicts(gate: Gate) -> list[reports.Conflict]:
    with gate.ledger() as ledger:
        return reports.conflicts(ledger)


def _scans_of(gate: Gate, ticket: str) -> list[tuple[str, str]]:
    with gate.ledger() as ledger:
        return [(str(r[0]), str(r[1])) for r in ledger.conn.execute(
            "SELECT source, gate FROM scans WHERE ticket_id = ? ORDER BY seq",
            (parse_ticket_id(ticket),))]


def _server_conflicts(venue: Venue) -> list[tuple[int, int]]:
    conn = sqlite3.connect(f"file:{venue.settings.database_path}?mode=ro", uri=True)
    try:
        return [(int(r[0]), int(r[1])) for r in conn.execute(
            "SELECT ticket_id, entries FROM conflicts")]
    finally:
        conn.close()


def test_both_gates_flag_a_double_admission_across_a_partition_and_the_server_once(
        venue: Venue, make_gate: Any, meshes: list[MeshProc]) -> None:
    a, b = make_gate("a", "Gate 1"), make_gate("b", "Gate 2")
    for g, name in ((a, "North"), (b, "East")):
        g.enroll(venue.handshake(name, g.gate))
    _, mb = mesh_of(meshes, [a, b])
    venue.server.stop()
    mb.stop(signal.SIGKILL)  # the two gates cannot hear each other

    ticket = venue.demo["special"]["early_bird"]
    t_a = time.time()
    assert a.scan(venue.token(ticket, t_a), t_a).outcome is Outcome.ADMITTED
    t_b = t_a + 0.4
    assert b.scan(venue.token(ticket, t_b), t_b).outcome is Outcome.ADMITTED
    assert _conflicts(a) == [] and _conflicts(b) == []

    mb.start()  # the partition heals
    found_a = wait_for("a to flag the conflict", lambda: _conflicts(a), timeout=10)
    found_b = wait_for("b to flag the conflict", lambda: _conflicts(b), timeout=10)
    for found, other_gate, here, there in ((found_a, "Gate 2", t_a, t_b),
                                           (found_b, "Gate 1", t_b, t_a)):
        assert len(found) == 1
        conflict = found[0]
        assert conflict.ticket == ticket and conflict.time == here
        assert [(o.gate, o.time) for o in conflict.others] == [(other_gate, there)]
    # Each gate keeps both scans: its own and the peer's.
    assert _scans_of(a, ticket) == [("camera", "Gate 1"), ("remote", "Gate 2")]
    assert _scans_of(b, ticket) == [("camera", "Gate 2"), ("remote", "Gate 1")]
    st = wait_for("b's status to count it", lambda: (s := mb.status()) and s["conflicts"] and s)
    assert st["conflicts"] == 1

    venue.server.start()
    for _ in range(2):  # both push; then both pull the server's own conflict notice
        for g in (a, b):
            g.engine.sync_once()
    assert _server_conflicts(venue) == [(parse_ticket_id(ticket), 2)]
    for g in (a, b):
        assert len(_conflicts(g)) == 1  # the server's notice changed nothing: not doubled
        with g.ledger() as ledger:
            assert ledger.conn.execute("SELECT count(*) FROM upload_results "
                                       "WHERE status = 'conflict'").fetchone()[0] == 1
            assert ledger.verify_chain().ok
    assert len([s for s in venue.scans() if s["outcome"] == "admitted"]) == 2
