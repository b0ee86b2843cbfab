"""Discovery on the LAN (mDNS/DNS-SD, python-zeroconf), on loopback: real `gatescan mesh`
processes whose roster has no addresses and no static peers find each other by mDNS alone;
an announced gate that is not in the roster, or of another event, gets nothing."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from zeroconf import IPVersion, ServiceInfo, Zeroconf

from gatescan.gate.mesh.discovery import SERVICE, parse_txt, txt_of
from gatescan.gate.sync import mesh_keys
from gatescan.gate.sync.credentials import Credentials
from gatescan.gate.sync.mesh_announce import announce
from gatescan.gate.sync.mesh_roster import MeshSettings
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.verdict import Outcome
from tests.gate.mesh.conftest import MeshProc, wait_for, wait_until_meshed
from tests.gate.sync.conftest import Gate, Venue

device_ids = st.text("0123456789abcdef", min_size=12, max_size=12).map(lambda s: "dev_" + s)


@given(device_ids, st.integers(1, 0xFFFFFFFF))
def test_the_txt_a_gate_announces_parses_back(device_id: str, event_id: int) -> None:
    wire = {k.encode(): v.encode() for k, v in txt_of(device_id, event_id).items()}
    assert parse_txt(wire) == (device_id, event_id)


@given(st.dictionaries(st.binary(max_size=4) | st.sampled_from([b"v", b"d", b"e"]),
                       st.none() | st.binary(max_size=20) | st.sampled_from(
                           [b"1", b"dev_0123456789ab", b"0", b"4294967296", "\u0661".encode(),
                            b"\xff"]), max_size=6) | st.none() | st.integers())
def test_any_txt_record_parses_to_a_valid_pair_or_none(raw: Any) -> None:
    got = parse_txt(raw)
    if got is not None:
        device_id, event_id = got
        assert device_id.startswith("dev_") and len(device_id) == 16
        assert 0 < event_id <= 0xFFFFFFFF


def test_discovery_is_on_unless_mesh_json_says_off(tmp_path: Path) -> None:
    assert MeshSettings.load(tmp_path).discovery is True
    (tmp_path / "mesh.json").write_text(json.dumps({"discovery": False}))
    assert MeshSettings.load(tmp_path).discovery is False


def _would_refuse(gate: Gate, code: str) -> bool:
    context = GateContext(gate.gate, "entry", gate.settings.device_id())
    with gate.ledger() as ledger:
        return ledger.redeem(code, time.time(), context, source="camera",
                             dry_run=True).verdict.outcome is Outcome.ALREADY_USED


def test_gates_find_each_other_by_mdns_alone_and_strangers_get_nothing(
        venue: Venue, make_gate: Any, meshes: list[MeshProc]) -> None:
    gates = [make_gate("a", "Gate 1"), make_gate("b", "Gate 2"), make_gate("c", "Gate 1")]
    for g, name in zip(gates, ("North", "South", "North 2"), strict=True):
        g.enroll(venue.handshake(name, g.gate))
    for g in gates:  # a roster without addresses: nobody announced one to the server
        creds = Credentials.load(g.root)
        assert creds is not None
        roster = announce(g.http, creds, mesh_keys.load_or_create(g.root), None)
        assert all(d.address is None for d in roster.devices.values())
        roster.save(g.root)
    venue.server.stop()

    # Two strangers on the LAN: a device the server never listed, and a roster device's id
    # announced for another event. Each points at a socket of this test.
    traps = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    zc = Zeroconf(interfaces=["127.0.0.9"], ip_version=IPVersion.V4Only)
    try:
        for trap, (name, device_id, event_id) in zip(traps, (
                ("dev_ffffffffffff", "dev_ffffffffffff", venue.event_id),
                ("elsewhere", gates[1].settings.device_id(), venue.event_id + 1)), strict=True):
            trap.bind(("127.0.0.9", 0))
            trap.setblocking(False)
            zc.register_service(ServiceInfo(
                SERVICE, f"{name}.{SERVICE}", addresses=[socket.inet_aton("127.0.0.9")],
                port=trap.getsockname()[1], properties=txt_of(str(device_id), event_id),
                server=f"{name}.local."))

        procs = [MeshProc(g, f"127.0.0.{i + 2}").start() for i, g in enumerate(gates)]
        meshes.extend(procs)
        for p in procs:  # no --peer, no roster address: mDNS is the only way to meet
            wait_until_meshed(p, 3, 3)

        ticket = venue.demo["special"]["early_bird"]
        t = time.time()
        assert gates[0].scan(venue.token(ticket, t), t).outcome is Outcome.ADMITTED
        for other in gates[1:]:
            code = venue.token(ticket, time.time())
            wait_for(f"{other.root.name} to refuse", lambda o=other, k=code: _would_refuse(o, k),
                     timeout=5)

        for p in procs:  # (gate b does not even look at an announcement of its own id)
            strangers = 1 if p.gate is gates[1] else 2
            st_ = wait_for(f"{p.address} to ignore the strangers",
                           lambda p=p, n=strangers: (s := p.status()) and
                           s["discovered"]["ignored"] >= n and s)
            assert st_["discovered"]["used"] >= 2
            sent = st_["sent"]
            wait_for("several anti-entropy rounds", lambda p=p, n=sent:
                     (s := p.status()) and s["sent"] >= n + 20)
        for trap in traps:  # nothing was ever sent to a stranger
            try:
                got = trap.recvfrom(65536)
            except BlockingIOError:
                got = None
            assert got is None, got
    finally:
        zc.close()
        for trap in traps:
            trap.close()
