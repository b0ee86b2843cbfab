"""The mesh over a lossy LAN: 3 real gate processes, the server down, every datagram between
them through a seeded fault proxy (20 % lost, the rest delayed up to 200 ms, so reordered).

An admission at one gate is refused at the other two within a bound (anti-entropy repairs
what the proxy drops), no ticket is admitted twice, and every gate ends with every scan
exactly once in a hash chain that checks.
"""

from __future__ import annotations

import time
from typing import Any

from gatescan.gate.sync import mesh_keys
from gatescan.gate.sync.credentials import Credentials
from gatescan.gate.sync.mesh_announce import announce
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.token import format_ticket_id
from gatescan.protocol.verdict import Outcome
from tests.gate.mesh.conftest import MeshProc, wait_for, wait_until_meshed
from tests.gate.mesh.faults import FaultProxy
from tests.gate.sync.conftest import Gate, Venue

LOSS, MAX_DELAY = 0.20, 0.200
BOUND_S = 5.0  # generous for a loaded 2-core machine; typically well under a second


def _would_refuse(gate: Gate, code: str) -> bool:
    context = GateContext(gate.gate, "entry", gate.settings.device_id())
    with gate.ledger() as ledger:
        verdict = ledger.redeem(code, time.time(), context, source="camera",
                                dry_run=True).verdict
    return verdict.outcome is Outcome.ALREADY_USED


def _scan_ids(gate: Gate) -> list[str]:
    with gate.ledger() as ledger:
        return [str(r[0]) for r in ledger.conn.execute(
            "SELECT scan_id FROM scans WHERE ticket_id IS NOT NULL")]


def _single_entry_tickets(gate: Gate, n: int) -> list[str]:
    with gate.ledger() as ledger:  # type 1 (early bird): one entry
        return [format_ticket_id(int(r[0])) for r in ledger.conn.execute(
            "SELECT ticket_id FROM tickets WHERE type_id = 1 AND revoked = 0 "
            "ORDER BY ticket_id LIMIT ?", (n,))]


def test_admissions_are_refused_elsewhere_through_loss_and_delay_and_never_doubled(
        venue: Venue, make_gate: Any, meshes: list[MeshProc]) -> None:
    gates = [make_gate("a", "Gate 1"), make_gate("b", "Gate 2"), make_gate("c", "Gate 1")]
    for g, name in zip(gates, ("North", "South", "North 2"), strict=True):
        g.enroll(venue.handshake(name, g.gate))
    for g in gates:  # the roster each mesh starts from (no addresses: only the proxy's)
        creds = Credentials.load(g.root)
        assert creds is not None
        announce(g.http, creds, mesh_keys.load_or_create(g.root), None).save(g.root)
    venue.server.stop()

    procs = [MeshProc(g, f"127.0.0.{i + 2}") for i, g in enumerate(gates)]
    with FaultProxy([(p.host, p.port) for p in procs], loss=LOSS, max_delay=MAX_DELAY,
                    seed=14) as proxy:
        for i, p in enumerate(procs):
            p.extra = ("--no-discovery",  # mDNS would tell the real addresses
                       *(a for peer in proxy.peers_of(i) for a in ("--peer", peer)))
            meshes.append(p.start())
        for p in procs:
            wait_until_meshed(p, 3, 3)
            st = p.status()  # every peer is reached through the proxy, never directly
            assert st is not None and {x["address"].rsplit(".", 1)[0] for x in st["peers"]} \
                == {"127.0.1"}, st["peers"]

        tickets = _single_entry_tickets(gates[0], 9)
        assert len(tickets) == 9
        waited: list[float] = []
        for n, ticket in enumerate(tickets):
            origin = gates[n % 3]
            t = time.time()
            assert origin.scan(venue.token(ticket, t), t).outcome is Outcome.ADMITTED
            started = time.monotonic()
            for other in gates:
                if other is not origin:
                    code = venue.token(ticket, time.time())
                    wait_for(f"{other.root.name} to refuse {ticket}",
                             lambda o=other, k=code: _would_refuse(o, k), timeout=BOUND_S)
            waited.append(time.monotonic() - started)
            for other in gates:  # and it really refuses: no double admission
                if other is not origin:
                    now = time.time()
                    assert other.scan(venue.token(ticket, now), now).outcome is \
                        Outcome.ALREADY_USED

        # Every gate ends with all 27 scans (9 admissions, 18 refusals), each exactly once.
        everything = {s for g in gates for s in _scan_ids(g)}
        assert len(everything) == 27
        for g in gates:
            wait_for(f"{g.root.name} to hold every scan",
                     lambda g=g: sorted(_scan_ids(g)) == sorted(everything), timeout=BOUND_S)
            with g.ledger() as ledger:
                assert ledger.verify_chain().ok
                admitted = [int(r[0]) for r in ledger.conn.execute(
                    "SELECT count(*) FROM scans WHERE outcome = 'admitted' "
                    "GROUP BY ticket_id")]
                assert admitted == [1] * 9
        c = proxy.counts
        assert c.dropped > 0 and c.forwarded > 0 and max(c.delays) > MAX_DELAY / 2, c
        assert c.dropped / c.received < 0.3, c
    print(f"refused everywhere after: max {max(waited) * 1000:.0f} ms, "
          f"median {sorted(waited)[4] * 1000:.0f} ms; proxy: {c.received} datagrams, "
          f"{c.dropped} dropped")
