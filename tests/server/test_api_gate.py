"""Gate routes over HTTP on a live server: enrollment, pull, push, import, conflicts."""

from __future__ import annotations

import io
import json
import time

import httpx
import pytest

from gatescan.protocol.manifest import ManifestReader
from gatescan.server import devices
from gatescan.server.store import IssuerStore
from tests.server.client import Gate, Organizer, scan


def _enroll_error(server: str, code: str) -> tuple[int, str]:
    r = httpx.post(f"{server}/api/v1/device/enroll", json={"code": code})
    return r.status_code, r.json()["error"]["code"]


def test_enrollment_code_works_once(server: str, org: Organizer, store: IssuerStore) -> None:
    event_id = org.event()
    added = org.device(event_id, "a")
    with Gate(server, added["code"].lower().replace("-", " ")) as gate:
        assert gate.enrollment["gate"] == "Gate 1" and gate.enrollment["event_id"] == event_id
        assert gate.enrollment["device_token"].startswith("gsd_")
        me = gate.http.get("/api/v1/device/me").json()
        assert me["device_id"] == added["device"]["device_id"] and me["status"] == "active"
    assert _enroll_error(server, added["code"]) == (409, "code_used")
    assert _enroll_error(server, "AAAA-BBBB-CCCC") == (404, "code_unknown")
    expired = devices.add_device(store, event_id, "late", None, ttl=-1, now=time.time())
    assert _enroll_error(server, expired.code) == (410, "code_expired")
    fresh = org.ok("POST", f"/api/v1/admin/devices/{expired.device.device_id}/enrollment", 201)
    with Gate(server, fresh["code"]) as gate:
        assert gate.device_id == expired.device.device_id


def test_reenrolling_replaces_the_device_token(server: str, org: Organizer) -> None:
    event_id = org.event()
    added = org.device(event_id, "a")
    with Gate(server, added["code"]) as old:
        code = org.ok("POST", f"/api/v1/admin/devices/{old.device_id}/enrollment", 201)["code"]
        with Gate(server, code) as new:
            assert new.http.get("/api/v1/device/me").status_code == 200
            r = old.http.get("/api/v1/device/me")
            assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


def test_revoked_device_is_refused_everywhere(server: str, org: Organizer) -> None:
    event_id = org.event()
    with Gate(server, org.device(event_id, "a")["code"]) as gate:
        org.ok("POST", f"/api/v1/admin/devices/{gate.device_id}/revoke")
        for method, path, kw in (("GET", "/api/v1/device/me", {}),
                                 ("GET", "/api/v1/device/manifest", {}),
                                 ("GET", "/api/v1/device/changes", {}),
                                 ("POST", "/api/v1/device/scans", {"json": {"scans": []}})):
            r = gate.http.request(method, path, **kw)
            assert r.status_code == 403, path
            assert r.json()["error"]["code"] == "device_revoked"
        r = httpx.get(f"{server}/api/v1/device/me",
                      headers={"Authorization": f"Bearer {org.token}"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_manifest_then_deltas_then_other_gates_scans(server: str, org: Organizer) -> None:
    event_id = org.event()
    (t1, _, _), (t2, _, _) = org.issue(event_id, 2)
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b", "Gate 2")["code"]) as b:
        manifest = ManifestReader(io.BytesIO(a.manifest()))
        listed = {t[0] for batch in manifest.batches() for t in batch.tickets}
        assert listed == {int(t1, 16), int(t2, 16)}
        # changes after the manifest, scans from the start; `~` and what the server numbered there
        assert a.cursor.split("~")[0].endswith(".0") and len(a.cursor.split("~")[1]) == 8
        assert a.pull() == []
        before = b.push(scan(t1, 1000.0, "Gate 2"))
        (t3, _, _), = org.issue(event_id, 1)
        org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/{t2}/revoke",
               json={"reason": "fraud"})
        org.ok("POST", f"/api/v1/admin/events/{event_id}/keys", 201)
        changes = a.pull(limit=1)
        assert [c["kind"] for c in changes] == ["scan", "ticket", "revocation", "key"]
        assert changes[0]["scan_id"] == before[0]["scan_id"] and changes[0]["gate"] == "Gate 2"
        assert changes[0]["device_time"] == 1000.0
        assert changes[1]["ticket_id"] == t3 and changes[2]["reason"] == "fraud"
        seqs = [c["seq"] for c in changes]
        assert seqs == sorted(seqs)
        assert a.pull() == []
        own = b.pull()  # b never sees its own scan
        assert all(c["kind"] != "scan" for c in own)
        # ...unless it asks, rebuilding its ledger from the manifest (gatescan recover)
        mine = b.http.get("/api/v1/device/changes", params={"cursor": "0", "own": "true"})
        assert [c["scan_id"] for c in mine.json()["changes"] if c["kind"] == "scan"] == \
            [before[0]["scan_id"]]
        r = a.http.get("/api/v1/device/changes", params={"cursor": "999999999"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "cursor_ahead"
        assert a.pull() == [] and int(a.cursor.split("~")[0]) < 10**6  # numbering not pushed
        position = a.cursor.split("~")[0]
        r = a.http.get("/api/v1/device/changes", params={"cursor": f"{position}~00000000"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "cursor_ahead"  # not ours
        for bad in ("abc", "-1", "1.2.3", "9" * 41, "", "01", "1.", " 1", "\u0661", "1~zz",
                    "1~ABCDEF12", "1~", "1~123456789"):
            r = a.http.get("/api/v1/device/changes", params={"cursor": bad})
            assert r.status_code == 400, bad
            assert r.json()["error"]["code"] == "bad_cursor", bad


def test_push_is_idempotent_per_item_and_keeps_device_time(server: str, org: Organizer) -> None:
    event_id = org.event()
    (t1, _, _), = org.issue(event_id, 1)
    with Gate(server, org.device(event_id, "a")["code"]) as gate:
        good = scan(t1, 1_790_000_123.25)
        results = gate.push(good, {"scan_id": "zz"}, {**good}, scan(t1, 5.0, outcome="nope"),
                            scan(t1, 6.0, event_id=event_id + 1))
        assert [r["status"] for r in results] == ["stored", "rejected", "duplicate", "rejected",
                                                  "rejected"]
        assert results[1]["error"] and results[3]["error"].startswith("outcome")
        assert gate.push(good)[0]["status"] == "duplicate"  # a retried batch changes nothing
        rows = org.http.get(f"/api/v1/admin/events/{event_id}/scans.csv").text.splitlines()
        assert len(rows) == 2 and "1790000123.250" in rows[1] and "2026-09-21T" in rows[1]


def test_conflict_when_two_gates_admit_one_ticket(server: str, org: Organizer) -> None:
    event_id = org.event()
    (t1, _, _), (group, _, _) = org.issue(event_id, 1) + org.issue(event_id, 1, type_id=2)
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b", "Gate 2")["code"]) as b:
        base = int(time.time()) // 300 * 300 - 3000  # a bucket start an hour ago
        first = a.push(scan(t1, base + 100), *[scan(group, base + 100 + i) for i in range(3)])
        assert not any(r["conflict"] for r in first)
        second = b.push(scan(t1, base + 110, "Gate 2"), scan(t1, base + 111, "Gate 2",
                                                          outcome="already_used"))
        assert [r["conflict"] for r in second] == [True, False]
        conflicts = org.ok("GET", f"/api/v1/admin/events/{event_id}/conflicts")["conflicts"]
        assert [c["ticket_id"] for c in conflicts] == [t1]
        c = conflicts[0]
        assert (c["entries"], c["allowed"]) == (2, 1) and len(c["scans"]) == 3
        assert [s["gate"] for s in c["scans"]] == ["Gate 1", "Gate 2", "Gate 2"]
        assert b.push(scan(group, base + 1100, "Gate 2"))[0]["conflict"] is True
        report = org.ok("GET", f"/api/v1/admin/events/{event_id}/report")
        assert report["conflicts"] == 2 and report["admitted"] == 6
        assert report["by_gate"]["Gate 2"] == {"admitted": 2, "already_used": 1}
        assert report["by_type"]["Group of 3"] == {"admitted": 4}
        timeline = org.ok("GET", f"/api/v1/admin/events/{event_id}/timeline")
        assert timeline["gates"] == ["Gate 1", "Gate 2"]
        assert timeline["series"][0] == {"start": base, "counts": {"Gate 1": 4, "Gate 2": 1}}


def test_import_file_of_gate_scans_is_idempotent_with_push(server: str, org: Organizer) -> None:
    event_id = org.event()
    (t1, _, _), (t2, _, _) = org.issue(event_id, 2)
    added = org.device(event_id, "usb gate")
    device_id = added["device"]["device_id"]
    pushed = scan(t1, 100.0)
    with Gate(server, added["code"]) as gate:
        gate.push(pushed)
    lines = [json.dumps(pushed), "", json.dumps(scan(t2, 200.0)), "{not json",
             json.dumps(scan(t2, 300.0, device_id="dev_000000000000"))]
    path = f"/api/v1/admin/events/{event_id}/scans/import"
    out = org.ok("POST", path, params={"device_id": device_id},
                 content="\n".join(lines).encode(),
                 headers={"content-type": "application/x-ndjson"})
    assert (out["stored"], out["duplicate"], out["rejected"]) == (1, 1, 2)
    assert [r["line"] for r in out["results"]] == [1, 3, 4, 5]
    again = org.ok("POST", path, content="\n".join(lines[:3]).encode())
    assert (again["stored"], again["duplicate"]) == (0, 2)
    r = org.http.post(path, params={"device_id": "dev_000000000000"}, content=b"{}")
    assert r.status_code == 404


@pytest.mark.parametrize("backend", ["sqlite"])
def test_oversized_and_malformed_bodies_get_4xx(server: str, org: Organizer) -> None:
    event_id = org.event()
    with Gate(server, org.device(event_id, "a")["code"]) as gate:
        r = gate.http.post("/api/v1/device/scans", content=b"[" * (9 * 1024 * 1024))
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        for body in (b"{", b"[]", b'{"scans": 5}', b'{"scans": [], "x": 1}',
                     json.dumps({"scans": [{}] * 5001}).encode(), b"\xff\xfe"):
            r = gate.http.post("/api/v1/device/scans", content=body,
                               headers={"content-type": "application/json"})
            assert r.status_code == 422, body[:20]
            assert r.json()["error"]["code"] == "invalid_request"
        nul = scan("0" * 16, 1.0, gate="Gate\u0000 1")
        assert gate.push(nul)[0]["status"] == "rejected"
        surrogate = json.dumps({"scans": [scan("0" * 16, 1.0)]}).replace("Gate 1", "\\ud800")
        r = gate.http.post("/api/v1/device/scans", content=surrogate.encode(),
                           headers={"content-type": "application/json"})
        assert r.status_code == 200 and r.json()["results"][0]["status"] == "rejected"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_server_takes_5000_scans_a_push_and_says_so_in_every_gate_answer(
        server: str, org: Organizer) -> None:
    """A reconcile after an outage goes in batches of 5,000 (a gate keeps to 1,000, what
    every server takes, until an answer carries the header)."""
    event_id = org.event()
    (ticket, _, _), = org.issue(event_id)
    with Gate(server, org.device(event_id, "a")["code"]) as gate:
        me = gate.http.get("/api/v1/device/me")
        changes = gate.http.get("/api/v1/device/changes", params={"cursor": "0"})
        items = [scan(ticket, 1000.0 + i, outcome="already_used") for i in range(5000)]
        pushed = gate.http.post("/api/v1/device/scans", json={"scans": items})
        for r in (me, changes, pushed):
            assert r.status_code == 200 and r.headers["x-gatescan-max-push"] == "5000"
        assert [x["status"] for x in pushed.json()["results"]] == ["stored"] * 5000


def test_repeat_reads_and_unverified_codes_are_stored_but_counted_under_no_ticket(
        server: str, org: Organizer) -> None:
    """Defects: a repeat read was an admission (so it could make a conflict), and a scan of a
    forged code was counted under the ticket id and type read from it."""
    event_id = org.event()
    now = float(int(time.time()))  # plausible device times (far-off ones are flagged, not charted)
    (t1, _, _), = org.issue(event_id, 1)
    with Gate(server, org.device(event_id, "a")["code"]) as a:
        first = a.push(scan(t1, now + 1000), scan(t1, now + 1008, outcome="repeat_read"),
                       scan(t1, now + 1012, outcome="repeat_read"))
        assert [r["status"] for r in first] == ["stored"] * 3
        assert not any(r["conflict"] for r in first)
        # An older gate still sends the id it read from a code whose signature failed.
        forged = a.push(scan(t1, now + 1020, outcome="bad_signature"),
                        scan(t1, now + 1021, outcome="unknown_key"))
        assert [r["status"] for r in forged] == ["stored"] * 2
    assert org.ok("GET", f"/api/v1/admin/events/{event_id}/conflicts")["conflicts"] == []
    report = org.ok("GET", f"/api/v1/admin/events/{event_id}/report")
    assert (report["total"], report["admitted"], report["conflicts"]) == (5, 1, 0)
    assert report["by_type"] == {"General": {"admitted": 1, "repeat_read": 2},
                                 "unknown ticket": {"bad_signature": 1, "unknown_key": 1}}
    rows = org.http.get(f"/api/v1/admin/events/{event_id}/scans.csv").text.splitlines()
    by_outcome = {r.split(",")[6]: r.split(",") for r in rows[1:]}
    assert by_outcome["bad_signature"][1:4] == ["", "", "unknown ticket"]
    assert by_outcome["admitted"][1] == t1
    timeline = org.ok("GET", f"/api/v1/admin/events/{event_id}/timeline")
    assert sum(sum(p["counts"].values()) for p in timeline["series"]) == 1
