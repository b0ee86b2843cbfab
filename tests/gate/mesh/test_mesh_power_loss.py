"""Simulated power cuts (tests/crashvfs.py) while the mesh writes peers' scans.

The mesh commits peers' scans with `synchronous=NORMAL` (gatescan.gate.mesh.store):
a cut may lose the last of them, never the gate's own scans, never a counter
reservation, and never leave a `have` mark ahead of the scans it counts (or
anti-entropy would never fetch the lost ones again). The gate's own admission,
committed after the peers' scans, makes them durable too (one WAL, in order).
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.mesh.store import (
    COUNTER_SETTING,
    HAVE_PREFIX,
    Incoming,
    MeshStore,
    SenderProgress,
)
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.mesh import PeerScan
from gatescan.protocol.token import format_ticket_id
from tests.crashvfs import ApswConnection, PowerCut, PowerCutDisk, PowerCutVFS
from tests.factories import T0, Issuer

CUTS = 200
HERE = GateContext("Gate 1", "entry", "dev_000000000001")
PEER, PEER_KEY = "dev_000000000002", "k2"
TICKETS = [(0x7000 + i, 1, 0, None) for i in range(20)]


@dataclass
class Reported:
    own: list[str] = field(default_factory=list)      # own scans reported as recorded
    peer_applied: int = 0                              # peer scans whose apply returned
    reserved: int | None = None                        # a counter mark reported as reserved
    before_own: int = 0                                # peer scans applied before the last own


def _peer_scan(i: int) -> PeerScan:
    return PeerScan(f"{0xC0 + i:032x}", format_ticket_id(0x7000 + 10 + i), 0, "Gate 2",
                    "entry", "admitted", T0 + i, i + 1, i)


def _work(led: Ledger, mesh: Ledger, issuer: Issuer, out: Reported) -> None:
    """`led` is the scanner's connection, `mesh` the node's own (as in production)."""
    store = MeshStore(mesh)
    event_id = led.loaded_event_id()
    assert event_id is not None
    progress = SenderProgress()
    for i in range(3):
        scan = _peer_scan(i)
        progress.note(scan.prev, scan.seq)
        store.apply(event_id, [Incoming(PEER, PEER_KEY, scan, progress, i + 1)])
        out.peer_applied = i + 1
    out.reserved = store.reserve_counter(50)
    r = led.redeem(issuer.issue(0x7000).token(T0), T0, HERE)
    out.own.append(str(r.scan_id))
    out.before_own = out.peer_applied
    scan = _peer_scan(3)
    progress.note(scan.prev, scan.seq)
    store.apply(event_id, [Incoming(PEER, PEER_KEY, scan, progress, 4)])
    out.peer_applied = 4


def _run(path: Path, issuer: Issuer, disk: PowerCutDisk) -> Reported:
    vfs = PowerCutVFS(disk)
    out = Reported()
    opened: list[Ledger] = []
    try:
        for _ in range(2):
            opened.append(Ledger(path, connect=lambda p, t: ApswConnection(p, vfs, t)))  # type: ignore[arg-type,return-value]
        _work(opened[0], opened[1], issuer, out)
    except PowerCut:
        pass
    finally:
        for led in opened:
            led.close()
        vfs.unregister()
    disk.reboot()
    return out


def _check(path: Path, out: Reported) -> None:
    with Ledger(path) as led:
        assert led.verify_chain().ok
        rows = {str(r[0]) for r in led.conn.execute("SELECT scan_id FROM scans")}
        peers = sum(1 for i in range(4) if _peer_scan(i).scan_id in rows)
        assert all(s in rows for s in out.own), "an own scan reported as recorded is gone"
        if out.own:
            assert peers >= out.before_own, "a peer scan before a durable own scan is gone"
        if out.reserved is not None:
            assert int(led.setting(COUNTER_SETTING) or 0) >= out.reserved
        have = led.sync_state(HAVE_PREFIX + PEER_KEY)
        assert int(have or 0) == peers, "the have mark and the peer scans it counts disagree"


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, issuer: Issuer) -> Path:
    base = tmp_path_factory.mktemp("mesh-template")
    manifest = issuer.write_manifest(base / "m.gsm", TICKETS)
    with Ledger(base / "ledger.db") as led:
        led.import_manifest(manifest)
    return base / "ledger.db"


def test_power_cuts_under_the_mesh_lose_no_own_scan_and_no_reservation(
        template: Path, issuer: Issuer, tmp_path: Path) -> None:
    dry = PowerCutDisk()
    shutil.copyfile(template, tmp_path / "dry.db")
    done = _run(tmp_path / "dry.db", issuer, dry)
    assert done.peer_applied == 4 and done.own and done.reserved
    _check(tmp_path / "dry.db", done)
    rng = random.Random("mesh-power")
    cuts = 0
    for i in range(CUTS):
        path = tmp_path / f"cut{i}" / "ledger.db"
        path.parent.mkdir()
        shutil.copyfile(template, path)
        disk = PowerCutDisk(crash_at=rng.randint(1, dry.ops), torn=rng.random() < 0.5, rng=rng)
        _check(path, _run(path, issuer, disk))
        cuts += disk.crashed
        shutil.rmtree(path.parent)
    assert cuts == CUTS


def test_the_reservation_is_synced_even_though_peer_scans_are_not(
        template: Path, issuer: Issuer, tmp_path: Path) -> None:
    """The control for the reservation: cut right after it returns; the mark survives."""
    path = tmp_path / "ledger.db"
    shutil.copyfile(template, path)
    disk = PowerCutDisk()
    vfs = PowerCutVFS(disk)
    try:
        led = Ledger(path, connect=lambda p, t: ApswConnection(p, vfs, t))  # type: ignore[arg-type,return-value]
        store = MeshStore(led)
        event_id = led.loaded_event_id()
        assert event_id is not None
        scan = _peer_scan(0)
        progress = SenderProgress()
        progress.note(scan.prev, scan.seq)
        store.apply(event_id, [Incoming(PEER, PEER_KEY, scan, progress, 1)])
        mark = store.reserve_counter(10)
        disk.crashed = True  # the power goes now
        led.close()
    finally:
        vfs.unregister()
    disk.reboot()
    with Ledger(path) as after:
        assert int(after.setting(COUNTER_SETTING) or 0) == mark
