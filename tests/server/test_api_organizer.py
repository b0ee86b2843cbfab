"""Organizer routes over HTTP on a live server: events, keys, tickets, manifests, devices."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from nacl.signing import SigningKey

from gatescan.gate.ledger.ledger import Ledger
from gatescan.protocol.manifest import ManifestReader
from gatescan.protocol.token import parse_token
from tests.server.client import FAR, Gate, Organizer, general_event, phone_code


def _manifest_ids(body: bytes) -> tuple[set[int], set[int], int]:
    reader = ManifestReader(io.BytesIO(body))
    tickets: set[int] = set()
    revoked: set[int] = set()
    for batch in reader.batches():
        tickets.update(t[0] for t in batch.tickets)
        revoked.update(r[0] for r in batch.revocations)
    return tickets, revoked, reader.header.sequence


def test_event_policy_keys_and_rotation(org: Organizer) -> None:
    event_id = org.event(general_event(rotation_period=15, tz_offset_minutes=120))
    ev = org.ok("GET", f"/api/v1/admin/events/{event_id}")
    assert ev["policy"]["rotation_period"] == 15 and len(ev["keys"]) == 1
    assert [g["name"] for g in ev["policy"]["gates"]] == ["Gate 1", "Gate 2", "VIP Gate"]
    rotated = org.ok("POST", f"/api/v1/admin/events/{event_id}/keys", 201)
    assert [k["state"] for k in rotated["keys"]] == ["retired", "active"]
    assert all(set(k) == {"kid", "public_key", "state", "created_at"} for k in rotated["keys"])
    listed = org.ok("GET", "/api/v1/admin/events")["events"]
    assert [e["event_id"] for e in listed] == [event_id]
    body = general_event("Renamed")
    body["ticket_types"].append({"id": 9, "name": "Late", "slot": {"start": 10, "end": 20}})
    updated = org.ok("PUT", f"/api/v1/admin/events/{event_id}", json=body)
    assert updated["name"] == "Renamed" and len(updated["policy"]["ticket_types"]) == 4


def test_bad_policies_and_types_in_use_are_refused(org: Organizer) -> None:
    bad = general_event()
    bad["ticket_types"].append({"id": 1, "name": "Duplicate id"})
    r = org.http.post("/api/v1/admin/events", json=bad)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_policy"
    bad = general_event()
    bad["ticket_types"][0]["slot"] = {"start": 20, "end": 10}
    assert org.http.post("/api/v1/admin/events", json=bad).status_code == 422
    event_id = org.event()
    org.issue(event_id, 1, type_id=2)
    fewer = general_event()
    fewer["ticket_types"] = fewer["ticket_types"][:1]
    r = org.http.put(f"/api/v1/admin/events/{event_id}", json=fewer)
    assert r.status_code == 409 and r.json()["error"]["code"] == "type_in_use"


def test_gates_and_zones_are_checked_when_an_event_is_created_or_changed(
        org: Organizer) -> None:
    """Defect: a ticket type with a zone no gate serves was accepted."""
    unserved = general_event()
    unserved["ticket_types"].append({"id": 4, "name": "Backstage", "zones": ["backstage"]})
    r = org.http.post("/api/v1/admin/events", json=unserved)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_plan"
    assert "Backstage" in r.json()["error"]["message"]
    assert "backstage" in r.json()["error"]["message"]
    no_such_gate = general_event()
    no_such_gate["ticket_types"].append({"id": 4, "name": "Side door", "gates": ["Gate 9"]})
    r = org.http.post("/api/v1/admin/events", json=no_such_gate)
    assert r.status_code == 422 and "Gate 9" in r.json()["error"]["message"]
    assert org.ok("GET", "/api/v1/admin/events")["events"] == []  # nothing was created
    event_id = org.event()
    r = org.http.put(f"/api/v1/admin/events/{event_id}", json=unserved)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_plan"
    windows = general_event(repeat_read_seconds=45)
    windows["gates"][0]["repeat_read_seconds"] = 10
    ev = org.ok("PUT", f"/api/v1/admin/events/{event_id}", json=windows)
    assert ev["policy"]["repeat_read_seconds"] == 45
    assert ev["policy"]["gates"][0]["repeat_read_seconds"] == 10
    assert org.ok("POST", "/api/v1/admin/events", 201, json=general_event())["policy"][
        "repeat_read_seconds"] == 60


def test_issue_one_credential_verifies_with_event_key(org: Organizer) -> None:
    event_id = org.event()
    phone = SigningKey.generate()
    out = org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets", 201, json={
        "type_id": 1, "holder_public_key": bytes(phone.verify_key).hex(), "valid_from": 0,
        "valid_until": FAR, "seat": "Row 3"})
    token = parse_token(phone_code(out["credential"], phone, 1_790_000_000))
    key = bytes.fromhex(org.ok("GET", f"/api/v1/admin/events/{event_id}")["keys"][0]
                        ["public_key"])
    assert token.issuer_signature_ok(key) and token.holder_signature_ok()
    assert token.credential.ticket_id == int(out["ticket_id"], 16)
    state = org.ok("GET", f"/api/v1/admin/events/{event_id}/tickets/{out['ticket_id']}")
    assert (state["status"], state["seat"], state["serial"]) == ("valid", "Row 3", 0)
    r = org.http.get(f"/api/v1/admin/events/{event_id}/tickets/0000000000000001")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_ticket"


def test_bulk_issue_ten_thousand_in_one_call(org: Organizer) -> None:
    event_id = org.event()
    holder = bytes(SigningKey.generate().verify_key).hex()
    body = {"tickets": [{"type_id": 1 + i % 3, "holder_public_key": holder, "valid_from": 0,
                         "valid_until": FAR} for i in range(10_000)]}
    out = org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/bulk", 201, json=body)
    ids = {t["ticket_id"] for t in out["tickets"]}
    assert len(ids) == 10_000
    tickets, _, _ = _manifest_ids(org.http.get(
        f"/api/v1/admin/events/{event_id}/manifest").content)
    assert {f"{t:016x}" for t in tickets} == ids
    body["tickets"].append(body["tickets"][0])
    r = org.http.post(f"/api/v1/admin/events/{event_id}/tickets/bulk", json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    page = org.ok("GET", f"/api/v1/admin/events/{event_id}/tickets", params={"limit": 5000})
    rest = org.ok("GET", f"/api/v1/admin/events/{event_id}/tickets",
                  params={"limit": 5000, "after": page["next_after"]})
    assert len(page["tickets"]) + len(rest["tickets"]) == 10_000


def test_bulk_is_all_or_nothing(org: Organizer) -> None:
    event_id = org.event()
    holder = bytes(SigningKey.generate().verify_key).hex()
    body = {"tickets": [{"type_id": 1, "holder_public_key": holder, "valid_from": 0,
                         "valid_until": FAR}, {"type_id": 77, "holder_public_key": holder,
                                               "valid_from": 0, "valid_until": FAR}]}
    r = org.http.post(f"/api/v1/admin/events/{event_id}/tickets/bulk", json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_type"
    assert org.ok("GET", f"/api/v1/admin/events/{event_id}/tickets")["tickets"] == []


def test_revoke_transfer_and_manifest_sequence(org: Organizer) -> None:
    event_id = org.event()
    (a, _, _), (b, _, _) = org.issue(event_id, 2)
    first = org.http.get(f"/api/v1/admin/events/{event_id}/manifest")
    again = org.http.get(f"/api/v1/admin/events/{event_id}/manifest")
    assert first.content == again.content  # cached until something changes
    revoked = org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/{a}/revoke",
                     json={"reason": "refund"})
    assert (revoked["status"], revoked["already_revoked"]) == ("revoked", False)
    twice = org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/{a}/revoke", json={})
    assert twice["already_revoked"] is True
    new_phone = SigningKey.generate()
    moved = org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/{b}/transfer",
                   json={"holder_public_key": bytes(new_phone.verify_key).hex()})
    assert moved["serial"] == 1
    r = org.http.post(f"/api/v1/admin/events/{event_id}/tickets/{a}/transfer",
                      json={"holder_public_key": bytes(new_phone.verify_key).hex()})
    assert r.status_code == 409 and r.json()["error"]["code"] == "revoked"
    tickets, revoked_ids, sequence = _manifest_ids(
        org.http.get(f"/api/v1/admin/events/{event_id}/manifest").content)
    _, _, first_sequence = _manifest_ids(first.content)
    assert sequence > first_sequence and revoked_ids == {int(a, 16)}
    assert len(tickets) == 2


def test_devices_add_list_rename_move_revoke(org: Organizer) -> None:
    event_id = org.event()
    added = org.device(event_id, "North door", "gate 1")
    device = added["device"]
    assert device["gate"] == "Gate 1" and device["status"] == "pending"
    assert added["handshake"].startswith('{"type":"gatescan-enroll","v":1,')
    assert added["code"] in added["handshake"]
    r = org.http.post(f"/api/v1/admin/events/{event_id}/devices",
                      json={"name": "North door", "gate": "Gate 2"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "name_taken"
    r = org.http.post(f"/api/v1/admin/events/{event_id}/devices",
                      json={"name": "Side", "gate": "Gate 9"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_gate"
    path = f"/api/v1/admin/devices/{device['device_id']}"
    moved = org.ok("PATCH", path, json={"name": "North 1", "gate": "VIP Gate"})
    assert (moved["name"], moved["gate"]) == ("North 1", "VIP Gate")
    listed = org.ok("GET", f"/api/v1/admin/events/{event_id}/devices")["devices"]
    assert [d["name"] for d in listed] == ["North 1"]
    assert "code" not in listed[0] and "token_hash" not in listed[0]
    gone = org.ok("POST", f"{path}/revoke")
    assert (gone["status"], gone["already_revoked"]) == ("revoked", False)
    r = org.http.post(f"{path}/enrollment")
    assert r.status_code == 403 and r.json()["error"]["code"] == "device_revoked"


def test_admin_routes_need_an_admin_token(server: str, org: Organizer) -> None:
    event_id = org.event()
    code = org.device(event_id, "d")["code"]
    token = httpx.post(f"{server}/api/v1/device/enroll", json={"code": code}).json()[
        "device_token"]
    path = f"{server}/api/v1/admin/events/{event_id}/report"
    for headers, status, err in (
            ({}, 401, "unauthenticated"),
            ({"Authorization": "Bearer gsa_wrong"}, 401, "unauthenticated"),
            ({"Authorization": "Basic abc"}, 401, "unauthenticated"),
            ({"Authorization": f"Bearer {token}"}, 403, "forbidden")):
        r = httpx.get(path, headers=headers)
        assert r.status_code == status and r.json()["error"]["code"] == err
        assert "server_time" in r.json() and "x-gatescan-server-time" in r.headers


def test_event_time_zone_is_validated_and_reaches_the_manifest(org: Organizer) -> None:
    r = org.http.post("/api/v1/admin/events", json=general_event(tz="Mars/Olympus_Mons"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_policy"
    event_id = org.event(general_event(tz="Europe/Berlin"))
    policy = org.ok("GET", f"/api/v1/admin/events/{event_id}")["policy"]
    # Gates older than the zone name get the zone's offset now (CET or CEST).
    assert policy["tz"] == "Europe/Berlin" and policy["tz_offset_minutes"] in (60, 120)
    assert policy["attendee_data"] is False
    body = org.http.get(f"/api/v1/admin/events/{event_id}/manifest").content
    assert ManifestReader(io.BytesIO(body)).header.policy.tz == "Europe/Berlin"
    r = org.http.put(f"/api/v1/admin/events/{event_id}", json=general_event(tz="Nowhere/Land"))
    assert r.status_code == 422
    moved = org.ok("PUT", f"/api/v1/admin/events/{event_id}",
                   json=general_event(tz="Asia/Shanghai"))
    assert moved["policy"]["tz"] == "Asia/Shanghai"
    assert moved["policy"]["tz_offset_minutes"] == 480


def _bulk(org: Organizer, event_id: int) -> list[str]:
    people = [("Anna Müller", "ORD-1"), (None, "ORD-1"), (None, None)]
    body = {"tickets": [{"type_id": 1, "holder_public_key": bytes(
        SigningKey.generate().verify_key).hex(), "valid_from": 0, "valid_until": FAR,
        "holder_name": name, "order_code": order} for name, order in people]}
    out = org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/bulk", 201, json=body)
    return [t["ticket_id"] for t in out["tickets"]]


def _attendees(org: Organizer, event_id: int) -> list[tuple[str | None, str | None, int]]:
    body = org.http.get(f"/api/v1/admin/events/{event_id}/manifest").content
    return [a for b in ManifestReader(io.BytesIO(body)).batches() for a in b.attendees]


def test_attendee_names_reach_the_manifest_only_for_an_event_that_opts_in(
        org: Organizer) -> None:
    minimal = org.event()
    _bulk(org, minimal)
    assert _attendees(org, minimal) == []  # stored on the server, not sent to gates
    opted = org.event(general_event(attendee_data=True))
    ids = _bulk(org, opted)
    assert sorted(_attendees(org, opted), key=lambda a: a[2]) == sorted(
        [("Anna Müller", "ORD-1", int(ids[0], 16)), (None, "ORD-1", int(ids[1], 16))],
        key=lambda a: a[2])
    r = org.http.post(f"/api/v1/admin/events/{opted}/tickets/bulk", json={"tickets": [{
        "type_id": 1, "holder_public_key": "00" * 32, "valid_from": 0, "valid_until": FAR,
        "holder_name": "x" * 201}]})
    assert r.status_code == 422


def test_a_ticket_issued_after_the_manifest_reaches_the_gate_with_its_name(
        server: str, org: Organizer, tmp_path: Path) -> None:
    opted = org.event(general_event(attendee_data=True))
    with Gate(server, org.device(opted, "north")["code"]) as gate, \
            Ledger(tmp_path / "gate.db") as ledger:
        ledger.import_manifest(io.BytesIO(gate.manifest()))
        ids = _bulk(org, opted)
        ledger.apply_changes(opted, gate.pull(), gate.cursor)
        (found,) = ledger.find_tickets("müller")
        assert (f"{found.ticket_id:016x}", found.order_code) == (ids[0], "ORD-1")
    minimal = org.event()
    with Gate(server, org.device(minimal, "south")["code"]) as gate, \
            Ledger(tmp_path / "gate2.db") as ledger:
        ledger.import_manifest(io.BytesIO(gate.manifest()))
        _bulk(org, minimal)
        changes = gate.pull()
        assert changes and not any("holder_name" in c or "order_code" in c for c in changes)
        ledger.apply_changes(minimal, changes, gate.cursor)
        assert ledger.find_tickets("müller") == []
