"""What a gate's mesh refuses, sent as real datagrams to a real `gatescan mesh` process.

Device D is enrolled (its key is in the roster) but runs no mesh: the test speaks
for it with its key, as an attacker holding a captured datagram or a stolen
device would.
"""

from __future__ import annotations

import secrets
import socket
import time
from typing import Any

from nacl.signing import SigningKey

from gatescan.gate.sync.mesh_keys import load_key
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.mesh import PeerScan, encode
from gatescan.protocol.verdict import Outcome
from tests.gate.mesh.conftest import MeshProc, mesh_of, wait_for
from tests.gate.sync.conftest import Gate, Venue


def _outcome(gate: Gate, code: str) -> Outcome:
    context = GateContext(gate.gate, "entry", gate.settings.device_id())
    with gate.ledger() as ledger:
        return ledger.redeem(code, time.time(), context, source="camera",
                             dry_run=True).verdict.outcome


def _scan(ticket: str, seq: int = 1) -> PeerScan:
    return PeerScan(secrets.token_hex(16), ticket, 0, "Gate 1", "entry", "admitted",
                    time.time() - 1, seq, seq - 1)


def _refused(p: MeshProc, reason: str) -> int:
    st = p.status()
    return 0 if st is None else int(st["refused"].get(reason, 0))


def test_forged_unknown_other_event_stale_replayed_and_revoked_messages_are_refused(
        venue: Venue, make_gate: Any, meshes: list[MeshProc]) -> None:
    a, b, d = make_gate("a", "Gate 1"), make_gate("b", "Gate 2"), make_gate("d", "Gate 1")
    for g, name in ((a, "North"), (b, "South"), (d, "Spare")):
        g.enroll(venue.handshake(name, g.gate))
    _, mb = mesh_of(meshes, [a, b], enrolled=3)
    d_key, d_id = load_key(d.root), d.settings.device_id()
    assert d_key is not None
    x, y = venue.demo["special"]["multi_day"], venue.demo["special"]["reentry"]
    ev = venue.event_id
    to = ("127.0.0.3", mb.port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.9", 0))

    def send(data: bytes) -> None:
        sock.sendto(data, to)

    now = time.time()
    send(b"GSM1" + b"\0" * 64 + b"{not json")
    send(encode("scan", ev, d_id, 1, now, _scan(x), SigningKey.generate()))   # forged
    send(encode("scan", ev, "dev_" + secrets.token_hex(6), 1, now, _scan(x),
                SigningKey.generate()))                                         # unknown
    send(encode("scan", ev + 1, d_id, 2, now, _scan(x), d_key))                # other event
    send(encode("scan", ev, d_id, 3, now - 3600, _scan(x), d_key))             # stale
    for reason in ("malformed", "bad_signature", "unknown_device", "wrong_event", "stale"):
        wait_for(f"a {reason} refusal", lambda r=reason: _refused(mb, r) == 1, timeout=5)
    assert _outcome(b, venue.token(x, time.time())) is Outcome.ADMITTED  # nothing got in

    good = encode("scan", ev, d_id, 10, time.time(), _scan(x), d_key)
    send(good)  # the control: the same path with a real key works...
    wait_for("b to refuse x", lambda: _outcome(b, venue.token(x, time.time()))
             is Outcome.ALREADY_USED, timeout=5)
    send(good)  # ...once
    wait_for("a replay refusal", lambda: _refused(mb, "replayed") == 1, timeout=5)

    venue.cli("device", "revoke", d_id)
    wait_for("b to learn of the revocation", lambda: (st := mb.status()) and st["gates"] == 2)
    send(encode("scan", ev, d_id, 11, time.time(), _scan(y, 2), d_key))
    wait_for("a revoked refusal", lambda: _refused(mb, "revoked") == 1, timeout=5)
    assert _outcome(b, venue.token(y, time.time())) is Outcome.ADMITTED
    sock.close()
