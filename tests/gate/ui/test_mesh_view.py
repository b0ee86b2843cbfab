"""The mesh on screen: the status strip chip and the manager's peer list, from a real node's file.

The status file is written by a real `MeshNode` (on 127.0.0.1, the gate's own
ledger) that has heard one of its two roster peers through a real signed datagram.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nacl.signing import SigningKey
from pytestqt.qtbot import QtBot

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.reports import Conflict, GateReport, OtherAdmission
from gatescan.gate.mesh.node import STATUS_FILE, MeshNode
from gatescan.gate.mesh.store import MeshStore
from gatescan.gate.sync.mesh_roster import MeshSettings, Roster, RosterDevice
from gatescan.protocol.mesh import Heads, encode
from tests.gate.mesh.conftest import free_udp_port
from tests.gate.ui.conftest import AppMaker

pytestmark = pytest.mark.timeout(60)


def _dev() -> str:
    return "dev_" + secrets.token_hex(6)


@pytest.fixture
def node_wrote(data_dir: Path) -> Iterator[Path]:
    """`data_dir` with a mesh status a real node wrote: 2 of 3 gates reachable."""
    me, heard, silent = _dev(), _dev(), _dev()
    keys = {heard: SigningKey.generate(), silent: SigningKey.generate()}
    with Ledger(data_dir / "ledger.db") as ledger:
        store = MeshStore(ledger)
        event_id = store.event_id()
        assert event_id is not None
        roster = Roster(event_id, {
            d: RosterDevice(d, k.verify_key.encode(), gate, status="active")
            for (d, k), gate in zip(keys.items(), ("Gate 3", "Gate 7"), strict=True)})
        settings = MeshSettings(listen=f"127.0.0.1:{free_udp_port('127.0.0.1')}")
        node = MeshNode(store, device_id=me, key=SigningKey.generate(), roster=roster,
                        settings=settings, data_dir=data_dir)
        try:
            datagram = encode("heads", event_id, heard, 1, time.time(), Heads(4, {}),
                              keys[heard])
            assert node.handle(datagram, ("127.0.0.3", 7400)) is None
            node.write_status()
        finally:
            node.close()
    yield data_dir


def test_the_strip_and_the_manager_show_the_mesh_a_node_wrote(
        qtbot: QtBot, make_app: AppMaker, node_wrote: Path) -> None:
    app = make_app(node_wrote)
    strip, manager = app.window.gate.strip, app.window.manager
    assert strip.mesh.isVisibleTo(strip)
    assert strip.mesh.plain() == "Mesh: 2 of 3 gates" and strip.mesh.state == "warn"
    assert manager.mesh_label.text() == "Mesh: 2 of 3 gates"
    table = manager.peer_table
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(1, 4)]
            for r in range(table.rowCount())}
    assert rows["Gate 3"][0] == "127.0.0.3:7400" and rows["Gate 3"][1].endswith(" s ago")
    assert rows["Gate 3"][2] == "4 scans"  # it said its head is 4; this gate holds none
    assert rows["Gate 7"] == ["—", "never", "0 scans"]

    # The node died: its file is no longer rewritten.
    path = node_wrote / STATUS_FILE
    raw = json.loads(path.read_text())
    raw["updated_at"] -= 60
    path.write_text(json.dumps(raw))
    app.refresh_mesh()
    assert strip.mesh.plain() == "Mesh off" and strip.mesh.state == "bad"


def test_no_mesh_chip_when_the_mesh_never_ran(make_app: AppMaker, data_dir: Path) -> None:
    app = make_app(data_dir)
    assert not app.window.gate.strip.mesh.isVisibleTo(app.window.gate.strip)
    assert not app.window.manager.mesh_box.isVisibleTo(app.window.manager)


def test_a_conflict_says_where_and_how_long_before_or_after_ours(make_app: AppMaker,
                                                                 data_dir: Path) -> None:
    view = make_app(data_dir).window.manager
    t = 1_750_000_000.0
    conflict = Conflict("a" * 32, "T-1", "Early bird", t, "Gate 1", "admitted", t + 1,
                        (OtherAdmission(t - 0.4, "Gate 3", _dev()),
                         OtherAdmission(t + 2.25, "Gate 2", _dev())))
    view.set_stats(GateReport("Event", conflicts=[conflict]))
    also = view.conflict_table.item(0, 3).text()
    assert "Gate 3 at " in also and also.split("; ")[0].endswith(", 0.4 s before")
    assert also.split("; ")[1].endswith(", 2.2 s after") or \
        also.split("; ")[1].endswith(", 2.3 s after")


def test_the_mesh_chip_in_chinese(make_app: AppMaker, node_wrote: Path) -> None:
    app = make_app(node_wrote, language="zh_CN")
    assert app.window.gate.strip.mesh.plain() == "互联：2/3 个闸口"
