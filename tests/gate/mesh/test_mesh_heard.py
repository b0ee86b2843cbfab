"""Who saw whom, end to end: real `gatescan mesh` processes tell the real server which peers
they heard at roster renewal; `gatescan-server device list` (text and JSON), the API and the
console's devices page show it (with the peer's name and how long before the report)."""

from __future__ import annotations

import html
import re
from typing import Any

from click.testing import CliRunner

from gatescan.server.cli import main as server_cli
from gatescan.server.console.roles import Role
from gatescan.server.store import IssuerStore
from tests.gate.mesh.conftest import MeshProc, mesh_of, wait_for
from tests.gate.sync.conftest import Venue
from tests.server.console_helpers import account, sign_in


def _heard(venue: Venue) -> dict[str, set[str]]:
    listed = venue.cli("device", "list")["devices"]
    return {d["device_id"]: {p["device_id"] for p in (d["mesh_heard"] or {}).get("peers", ())}
            for d in listed}


def test_each_gate_reports_the_peers_it_heard_and_the_server_shows_them(
        venue: Venue, make_gate: Any, meshes: list[MeshProc]) -> None:
    a, b, c = make_gate("a", "Gate 1"), make_gate("b", "Gate 2"), make_gate("c", "Gate 1")
    for g, name in ((a, "North lane 1"), (b, "East lane 1"), (c, "North lane 2")):
        g.enroll(venue.handshake(name, g.gate))
    ids = {g.settings.device_id(): g for g in (a, b, c)}
    mesh_of(meshes, [a, b, c])
    everyone = {d: set(ids) - {d} for d in ids}
    wait_for("every gate to report both others", lambda: _heard(venue) == everyone)

    for d in venue.cli("device", "list")["devices"]:
        heard = d["mesh_heard"]
        for p in heard["peers"]:  # heard within the last few seconds before the report
            assert 0 <= heard["reported_at"] - p["at"] < 10 and p["lag"] >= 0

    text = CliRunner().invoke(server_cli, ["--data", str(venue.data), "device", "list"],
                              catch_exceptions=False).output
    north = text.split(str(a.settings.device_id()), 1)[1].split("dev_", 1)[0]
    assert re.search(r"heard: (East lane 1|North lane 2) \(\d+ s before its report\), "
                     r"(East lane 1|North lane 2) \(\d+ s before its report\)", north), text

    with IssuerStore.open(venue.settings) as store:
        account(store, "look@example.org", Role.VIEWER, venue.event_id)
    with sign_in(venue.server.url, "look@example.org") as client:
        page = html.unescape(client.get(f"/console/events/{venue.event_id}/devices").text)
        assert re.search(r"Heard: (East lane 1|North lane 2) \(\d+ s before its last report\)",
                         page), page
        client.cookies.set("gatescan_lang", "zh_CN")
        page = html.unescape(client.get(f"/console/events/{venue.event_id}/devices").text)
        assert re.search(r"听到： (East lane 1|North lane 2) \(在其最近一次报告前 \d+ 秒\)", page)
