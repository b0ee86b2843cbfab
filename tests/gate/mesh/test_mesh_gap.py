"""A dropped push is resent as soon as the receiver sees past it, not a heads period later.

Two real `MeshNode`s in this process, each on its own ledger and loopback address,
with anti-entropy's period set to a minute so only the gap repair can help: A
pushes two admissions, B receives only the second. B must ask at once, naming
what it has seen (`seen` in its heads), and A must resend the missing one at once
although it was pushed only milliseconds ago (so still "in flight" for an
ordinary heads message).
"""

from __future__ import annotations

import secrets
import select
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.mesh.node import RESEND_HOLD_S, MeshNode
from gatescan.gate.mesh.store import MeshStore
from gatescan.gate.sync.mesh_roster import MeshSettings, Roster, RosterDevice
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.mesh import Heads, parse
from tests.factories import T0, Issuer
from tests.gate.mesh.conftest import free_udp_port

pytestmark = pytest.mark.timeout(60)

WAIT_S = 0.3  # far below heads_every (60 s) and IN_FLIGHT_S (0.5 s)


def _receive(node: MeshNode) -> tuple[bytes, tuple[str, int]]:
    readable, _, _ = select.select([node.sock], [], [], WAIT_S)
    assert readable, "nothing arrived"
    data, source = node.sock.recvfrom(65536)
    return data, source


@dataclass
class Pair:
    a: MeshNode
    b: MeshNode
    a_scanner: Ledger  # gate A's scanner connection (the node has its own)
    issuer: Issuer


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    issuer = Issuer()
    manifest = issuer.write_manifest(tmp_path / "m.gsm", [(0x5000 + i, 1, 0, None)
                                                          for i in range(4)])
    ids = ["dev_" + secrets.token_hex(6) for _ in range(2)]
    keys = [SigningKey.generate() for _ in range(2)]
    hosts = ["127.0.0.2", "127.0.0.3"]
    ports = [free_udp_port(h) for h in hosts]
    ledgers, nodes = [], []
    for i in range(2):
        (tmp_path / str(i)).mkdir()
        with Ledger(tmp_path / str(i) / "ledger.db") as setup:
            setup.import_manifest(manifest)
        scanner = Ledger(tmp_path / str(i) / "ledger.db")
        ledgers.append(scanner)
    event_id = ledgers[0].loaded_event_id()
    assert event_id is not None
    roster = Roster(event_id, {
        ids[i]: RosterDevice(ids[i], keys[i].verify_key.encode(), f"Gate {i + 1}",
                             status="active", address=f"{hosts[i]}:{ports[i]}")
        for i in range(2)})
    for i in range(2):
        settings = MeshSettings(listen=f"{hosts[i]}:{ports[i]}", heads_every=60.0,
                                discovery=False)
        nodes.append(MeshNode(MeshStore(Ledger(tmp_path / str(i) / "ledger.db")),
                              device_id=ids[i], key=keys[i], roster=roster, settings=settings))
    try:
        yield Pair(nodes[0], nodes[1], ledgers[0], issuer)
    finally:
        for node in nodes:
            node.close()
            node.store.ledger.close()
        for led in ledgers:
            led.close()


def test_a_lost_push_is_resent_at_once_when_the_next_one_shows_the_gap(
        pair: Pair) -> None:
    a, b, a_scanner, issuer = pair.a, pair.b, pair.a_scanner, pair.issuer
    here = GateContext("Gate 1", "entry", a.me)
    for i in range(2):
        assert a_scanner.redeem(issuer.issue(0x5000 + i).token(T0), T0 + i, here).verdict.admit
    assert a.push_new() == 2
    first, _ = _receive(b)
    second, source = _receive(b)
    assert parse(first).body.seq < parse(second).body.seq  # type: ignore[union-attr]

    # The first push is "lost": B sees only the second, past a gap.
    assert b.handle(second, source) is None
    b.flush()
    ask, b_addr = _receive(a)  # B asked at once ...
    heads = parse(ask).body
    assert isinstance(heads, Heads)
    assert heads.have == {a.me: 0} and heads.seen == {a.me: parse(second).body.seq}  # type: ignore[union-attr]

    assert a.handle(ask, b_addr) is None  # ... and A resends the gap at once
    resent, source = _receive(b)
    assert resent == first or parse(resent).body == parse(first).body
    assert b.handle(resent, source) is None
    assert b.flush() == 1
    assert b.progress[b.gatekeeper.roster.devices[a.me].sender_key].have == \
        parse(second).body.seq  # type: ignore[union-attr]


def test_a_peer_asking_again_before_the_resend_landed_gets_it_once_not_on_every_ask(
        pair: Pair) -> None:
    """Resending the same batch on every ask is what collapsed a 30-minute bench run: the
    receiver's buffer overflowed, it lost more, and asked again."""
    a, b, a_scanner, issuer = pair.a, pair.b, pair.a_scanner, pair.issuer
    here = GateContext("Gate 1", "entry", a.me)
    for i in range(3):
        assert a_scanner.redeem(issuer.issue(0x5000 + i).token(T0), T0 + i, here).verdict.admit
    assert a.push_new() == 3
    pushed = [_receive(b) for _ in range(3)]
    assert b.handle(*pushed[2]) is None  # the first two were "lost"
    b.flush()
    peer = b.peers[a.me]

    def ask_again() -> None:
        peer.last_ask = 0.0  # past the asker's own pacing
        b._ask(peer)
        assert a.handle(*_receive(a)) is None

    assert a.handle(*_receive(a)) is None  # B's first ask: A resends up to what B saw
    resent = [_receive(b) for _ in range(3)]
    for _ in range(3):  # B asks again (its have has not moved): nothing more is sent
        ask_again()
    readable, _, _ = select.select([b.sock], [], [], 0.1)
    assert not readable, "the same resend was sent again"
    time.sleep(RESEND_HOLD_S)  # presumed lost now: the next ask gets it again
    ask_again()
    again = [_receive(b) for _ in range(3)]
    assert [parse(d).body for d, _ in again] == [parse(d).body for d, _ in resent]
