"""`POST /api/v1/device/mesh`: a gate's mesh key and address in, the event's roster out."""

from __future__ import annotations

from tests.server.client import Gate, Organizer

KEY_A, KEY_B = "a" * 64, "b" * 64


def test_the_roster_lists_the_events_device_keys_addresses_and_revocations(
        server: str, org: Organizer) -> None:
    event_id = org.event()
    other_event = org.event()
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b")["code"]) as b, \
            Gate(server, org.device(other_event, "x")["code"]) as x:
        r = a.http.post("/api/v1/device/mesh", json={"public_key": KEY_A,
                                                      "address": "127.0.0.2:7400"})
        assert r.status_code == 200, r.text
        assert [d["device_id"] for d in r.json()["devices"]] == [a.device_id]
        assert b.http.post("/api/v1/device/mesh", json={"public_key": KEY_B}).status_code == 200
        x.http.post("/api/v1/device/mesh", json={"public_key": "c" * 64})
        # 0.0.0.0: the address the request came from
        roster = b.http.post("/api/v1/device/mesh", json={"address": "0.0.0.0:7401"}).json()
        assert roster["event_id"] == event_id
        by_id = {d["device_id"]: d for d in roster["devices"]}
        assert set(by_id) == {a.device_id, b.device_id}  # never another event's devices
        assert by_id[a.device_id]["public_key"] == KEY_A
        assert by_id[a.device_id]["address"] == "127.0.0.2:7400"
        assert by_id[b.device_id]["address"] == "127.0.0.1:7401"
        assert "device_token" not in str(roster) and "token_hash" not in str(roster)

        # the first key since enrollment stays: a stolen token cannot swap it
        r = a.http.post("/api/v1/device/mesh", json={"public_key": "d" * 64})
        assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"

        org.ok("POST", f"/api/v1/admin/devices/{b.device_id}/revoke")
        listed = a.http.post("/api/v1/device/mesh", json={}).json()["devices"]
        assert {d["device_id"]: d["status"] for d in listed} == {a.device_id: "active",
                                                                  b.device_id: "revoked"}
        assert b.http.post("/api/v1/device/mesh", json={}).status_code == 403


def test_reenrolling_clears_the_key_so_a_new_card_brings_a_new_one(
        server: str, org: Organizer) -> None:
    event_id = org.event()
    with Gate(server, org.device(event_id, "a")["code"]) as a:
        a.http.post("/api/v1/device/mesh", json={"public_key": KEY_A})
        code = org.ok("POST", f"/api/v1/admin/devices/{a.device_id}/enrollment", 201)["code"]
    with Gate(server, code) as again:
        assert again.http.post("/api/v1/device/mesh", json={}).json()["devices"] == []
        r = again.http.post("/api/v1/device/mesh", json={"public_key": KEY_B})
        assert r.json()["devices"][0]["public_key"] == KEY_B


def test_malformed_announcements_are_refused(server: str, org: Organizer) -> None:
    with Gate(server, org.device(org.event(), "a")["code"]) as a:
        for body in ({"public_key": "A" * 64}, {"public_key": "a" * 63},
                     {"address": "no port"}, {"address": "h:" + "9" * 6}, {"other": 1}):
            r = a.http.post("/api/v1/device/mesh", json=body)
            assert r.status_code == 422, body
