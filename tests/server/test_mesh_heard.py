"""Who saw whom on the server: the `heard` object of `POST /api/v1/device/mesh`, stored per
device (its event's devices only), shown in the API device list; bad input never a 500."""

from __future__ import annotations

import json
import time

from tests.server.client import Gate, Organizer


def _heard_of(org: Organizer, event_id: int) -> dict[str, object]:
    listed = org.ok("GET", f"/api/v1/admin/events/{event_id}/devices")["devices"]
    return {d["device_id"]: d["mesh_heard"] for d in listed}


def test_the_peers_a_gate_heard_are_stored_for_its_event_only_and_listed(
        server: str, org: Organizer) -> None:
    event_id, other_event = org.event(), org.event()
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b")["code"]) as b, \
            Gate(server, org.device(other_event, "x")["code"]) as x:
        assert _heard_of(org, event_id) == {a.device_id: None, b.device_id: None}
        now = time.time()
        before = now - 4
        r = a.http.post("/api/v1/device/mesh", json={"public_key": "a" * 64, "heard": {
            b.device_id: {"at": before, "lag": 2},
            x.device_id: {"at": before, "lag": 0},      # another event's device: dropped
            a.device_id: {"at": before, "lag": 0},      # itself: dropped
            "dev_000000000000": {"at": before},         # no such device: dropped
            "dev_111111111111": {"at": "soon"},         # bad: dropped
            "garbage": [1, 2]}})
        assert r.status_code == 200, r.text
        heard = _heard_of(org, event_id)
        mine = heard[a.device_id]
        assert isinstance(mine, dict)
        assert mine["peers"] == [{"device_id": b.device_id, "at": before, "lag": 2}]
        assert now - 1 <= mine["reported_at"] <= time.time() + 1
        assert heard[b.device_id] is None
        one = org.ok("GET", f"/api/v1/admin/devices/{a.device_id}")
        assert one["mesh_heard"] == mine

        # A later report replaces the earlier one; one without `heard` leaves it alone.
        a.http.post("/api/v1/device/mesh", json={"heard": {}})
        assert _heard_of(org, event_id)[a.device_id]["peers"] == []  # type: ignore[index]
        a.http.post("/api/v1/device/mesh", json={"address": "127.0.0.2:7400"})
        assert _heard_of(org, event_id)[a.device_id]["peers"] == []  # type: ignore[index]


def test_malformed_heard_objects_are_dropped_never_a_500(server: str, org: Organizer) -> None:
    event_id = org.event()
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b")["code"]) as b:
        many = {f"dev_{i:012x}": {"at": 1.0, "lag": 0} for i in range(500)}
        many[b.device_id] = {"at": 2.0, "lag": 1}
        for heard in ("everyone", [b.device_id], 7, None, many):
            r = a.http.post("/api/v1/device/mesh", json={"heard": heard})
            assert r.status_code == 200, (heard, r.text)
        # NaN and Infinity are not JSON, but Python's parser takes them: dropped, not stored
        for raw in ('{"heard": {"%s": {"at": NaN, "lag": 0}}}',
                    '{"heard": {"%s": {"at": 1.0, "lag": Infinity}}}'):
            r = a.http.post("/api/v1/device/mesh", content=raw % b.device_id,
                            headers={"Content-Type": "application/json"})
            assert r.status_code in (200, 422), r.text
            stored = _heard_of(org, event_id)[a.device_id]
            assert isinstance(stored, dict)
            json.dumps(stored, allow_nan=False)  # never a non-finite number stored or shown
