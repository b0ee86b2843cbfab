"""The devices page against the real server: add a gate device, a real gate enrolls with the
handshake the page shows, the list shows it online with its scans, repeat reads, conflicts
and clock; assign a gate, a new QR, revoke; staff may, a viewer may only look.
"""

from __future__ import annotations

import html
import re
import time
from typing import Any

import httpx
import pytest

from gatescan.gate.sync.errors import SyncError
from gatescan.protocol.verdict import Outcome
from gatescan.server.console.devices import qr_svg
from gatescan.server.console.roles import Role
from gatescan.server.store import IssuerStore
from tests.gate.sync.conftest import Venue, demo_template, gates, make_gate, venue
from tests.server.console_helpers import account, csrf_of, sign_in

__all__ = ["demo_template", "gates", "make_gate", "venue"]  # fixtures used here
HANDSHAKE = re.compile(r"<summary>[^<]*</summary><code>([^<]+)</code>")


def accounts(venue: Venue) -> None:
    with IssuerStore.open(venue.settings) as store:
        account(store, "door@example.org", Role.STAFF, venue.event_id)
        account(store, "look@example.org", Role.VIEWER, venue.event_id)


def add(client: httpx.Client, event_id: int, name: str, gate: str = "") -> httpx.Response:
    path = f"/console/events/{event_id}/devices"
    return client.post(path, data={"csrf": csrf_of(client, path), "name": name, "gate": gate})


def handshake_of(page: str) -> str:
    found = HANDSHAKE.search(page)
    assert found is not None, page
    return html.unescape(found.group(1))


def row_of(page: str, name: str) -> str:
    """The table row of the device named `name` (text only)."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        if f"<strong>{name}</strong>" in row:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
    raise AssertionError(f"no row for {name}")


def test_add_enroll_from_the_page_then_the_list_tells_what_the_gates_did(
        venue: Venue, make_gate: Any) -> None:
    accounts(venue)
    event_id = venue.event_id
    with sign_in(venue.server.url, "door@example.org") as staff:
        page = add(staff, event_id, "North lane 1", "Gate 1")
        assert page.status_code == 200, page.text
        assert "<svg" in page.text and "Enrollment QR code" in page.text
        assert "loopback" in page.text  # the test server is on 127.0.0.1: the page says so
        north = make_gate("north", "Gate 1")
        enrolled = north.enroll(handshake_of(page.text))
        assert enrolled.gate == "Gate 1" and enrolled.tickets == 40
        south = make_gate("south", "Gate 2")
        south.enroll(handshake_of(add(staff, event_id, "South", "Gate 2").text))

        ticket, other = venue.demo["special"]["early_bird"], venue.demo["tickets"][3]
        now = time.time()
        venue.server.stop()  # both admit the same ticket while offline: a conflict
        assert north.scan(venue.token(ticket, now), now).outcome is Outcome.ADMITTED
        assert north.scan(venue.token(ticket, now + 3), now + 3).outcome is Outcome.REPEAT_READ
        assert south.scan(venue.token(ticket, now + 60), now + 60).outcome is Outcome.ADMITTED
        assert south.scan(venue.token(other, now + 61), now + 61).outcome is Outcome.ADMITTED
        venue.server.start()
        assert north.engine.sync_once().error is None
        assert south.engine.sync_once().error is None

        listing = staff.get(f"/console/events/{event_id}/devices").text
    n, s = row_of(listing, "North lane 1"), row_of(listing, "South")
    assert "online" in n and "Gate: Gate 1" in n and enrolled.device_id in n
    # scans, repeat reads, conflicts in column order
    # scans, repeat reads, unsent, conflicts, clock
    assert "app 0.1.0" in n and re.search(r"ago 2 1 0 1 latest upload [+-]\d+ s", n), n
    assert re.search(r"ago 2 0 0 1 latest upload", s), s


def test_assign_a_gate_new_qr_and_revoke(venue: Venue, make_gate: Any) -> None:
    accounts(venue)
    event_id = venue.event_id
    with sign_in(venue.server.url, "door@example.org") as staff:
        first = add(staff, event_id, "Spare")
        gate = make_gate("spare", "Gate 1")
        old = handshake_of(first.text)
        path = f"/console/events/{event_id}/devices"
        device_id = re.search(r"(dev_[0-9a-f]{12})", staff.get(path).text).group(1)  # type: ignore[union-attr]
        token = csrf_of(staff, path)
        r = staff.post(f"{path}/{device_id}/gate", data={"csrf": token, "gate": "gate 2"})
        assert r.status_code == 303 and "Gate: Gate 2" in staff.get(path).text
        bad = staff.post(f"{path}/{device_id}/gate", data={"csrf": token, "gate": "Roof"})
        assert bad.status_code == 422 and "has no gate" in bad.text
        fresh = staff.post(f"{path}/{device_id}/code", data={"csrf": token})
        assert fresh.status_code == 200 and handshake_of(fresh.text) != old
        with pytest.raises(SyncError):
            gate.enroll(old)  # the earlier code stopped working
        assert gate.enroll(handshake_of(fresh.text)).gate == "Gate 2"
        r = staff.post(f"{path}/{device_id}/revoke", data={"csrf": token})
        assert r.status_code == 303 and "?done=revoked" in r.headers["location"]
        assert "revoked" in row_of(staff.get(path).text, "Spare")
        assert gate.engine.sync_once().error is not None  # the server refuses its token
        again = staff.post(f"{path}/{device_id}/revoke", data={"csrf": token})
        assert "?done=already" in again.headers["location"]
        ghost = staff.post(f"/console/events/{event_id}/devices/dev_000000000000/revoke",
                           data={"csrf": token})
        assert ghost.status_code == 404
    with IssuerStore.open(venue.settings) as store:
        from gatescan.server.console import audit
        entries = [e for e in audit.recent(store, events=None) if e.action.startswith("device")]
    assert [e.action for e in entries][::-1] == ["device_add", "device_gate", "device_code",
                                                 "device_revoke"]
    code = re.search(r'"code":"([^"]+)"', handshake_of(fresh.text)).group(1)  # type: ignore[union-attr]
    assert all(code not in str(e.details) for e in entries)


def test_a_viewer_sees_the_list_without_forms_and_cannot_post(venue: Venue) -> None:
    accounts(venue)
    event_id = venue.event_id
    with sign_in(venue.server.url, "door@example.org") as staff:
        add(staff, event_id, "<b>Lane</b> 3")
    with sign_in(venue.server.url, "look@example.org") as viewer:
        page = viewer.get(f"/console/events/{event_id}/devices")
        assert page.status_code == 200 and "&lt;b&gt;Lane&lt;/b&gt; 3" in page.text
        assert "<form method=\"post\" action=\"/console/events" not in page.text
        token = csrf_of(viewer, f"/console/events/{event_id}")
        r = viewer.post(f"/console/events/{event_id}/devices",
                        data={"csrf": token, "name": "Sneaky", "gate": ""})
        assert r.status_code == 403
    with sign_in(venue.server.url, "door@example.org") as staff:
        taken = add(staff, event_id, "<b>Lane</b> 3")
        assert taken.status_code == 422 and "already has a device named" in taken.text


def test_the_qr_is_dark_on_white_svg() -> None:
    svg = qr_svg('{"type":"gatescan-enroll","v":1}')
    assert svg.startswith("<svg") and 'stroke="#000"' in svg and "#fff" in svg
