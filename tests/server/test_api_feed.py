"""The change feed's conflict changes, and the issuer key fingerprints of the enrollment reply."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from gatescan.gate.ledger.ledger import Ledger
from gatescan.protocol.manifest import ManifestError
from tests.server.client import Gate, Organizer, scan


def _conflicts(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in changes if c["kind"] == "conflict"]


def _sequence(gate: Gate) -> str:
    r = gate.http.get("/api/v1/device/manifest")
    assert r.status_code == 200
    return r.headers["X-Gatescan-Manifest-Sequence"]


def test_every_gate_learns_of_a_conflict(server: str, org: Organizer) -> None:
    event_id = org.event()
    (t1, _, _), (t2, _, _) = org.issue(event_id, 2)
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b", "Gate 2")["code"]) as b, \
            Gate(server, org.device(event_id, "c", "VIP Gate")["code"]) as c:
        for gate in (a, b, c):
            gate.manifest()
        sequence = _sequence(c)
        first = a.push(scan(t1, 1000.0), scan(t2, 1000.0))
        second = b.push(scan(t1, 1010.0, "Gate 2"))
        assert second[0]["conflict"] is True
        seen = {}
        for gate in (a, b, c):
            [conflict] = _conflicts(gate.pull(limit=1))
            seen[gate.device_id] = conflict
        assert seen[a.device_id] == seen[b.device_id] == seen[c.device_id]
        conflict = seen[a.device_id]
        assert conflict["ticket_id"] == t1
        assert (conflict["entries"], conflict["allowed"], conflict["scans_total"]) == (2, 1, 2)
        assert [(x["scan_id"], x["gate"], x["device_id"], x["excess"]) for x in
                conflict["scans"]] == [(first[0]["scan_id"], "Gate 1", a.device_id, False),
                                       (second[0]["scan_id"], "Gate 2", b.device_id, True)]
        assert conflict["scans"][1]["device_time"] == 1010.0
        assert _sequence(c) == sequence  # a conflict does not make the manifest stale

        assert _conflicts(b.pull()) == []  # delivered once
        b.push(scan(t1, 1010.0, "Gate 2") | {"scan_id": second[0]["scan_id"]})
        c.push(scan(t1, 1020.0, "VIP Gate", outcome="already_used"))
        assert _conflicts(a.pull()) == []  # nothing new: no new announcement
        c.push(scan(t1, 1030.0, "VIP Gate"))
        [grown] = _conflicts(a.pull())
        assert grown["entries"] == 3 and grown["seq"] > conflict["seq"]
        assert grown["detected_at"] == conflict["detected_at"]

        # A gate that starts from a manifest, or from nothing, gets every conflict so far.
        with Gate(server, org.device(event_id, "d")["code"]) as d:
            d.manifest()
            later = d.pull(limit=2)
            assert [x["entries"] for x in _conflicts(later)] == [2, 3]
            seqs = [x["seq"] for x in later]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
            d.cursor = "0"
            assert len(_conflicts(d.pull())) == 2


def test_enrollment_names_the_issuer_keys_to_pin(server: str, org: Organizer,
                                                 tmp_path: Path) -> None:
    event_id = org.event()
    org.issue(event_id, 2)
    org.ok("POST", f"/api/v1/admin/events/{event_id}/keys", 201)  # rotate: two keys
    keys = org.ok("GET", f"/api/v1/admin/events/{event_id}")["keys"]
    with Gate(server, org.device(event_id, "a")["code"]) as gate:
        listed = gate.enrollment["issuer_keys"]
        assert listed == [{"kid": k["kid"], "state": k["state"],
                           "fingerprint": hashlib.sha256(bytes.fromhex(k["public_key"]))
                           .hexdigest()} for k in keys]
        [active] = [k for k in listed if k["state"] == "active"]
        [retired] = [k for k in listed if k["state"] == "retired"]
        body = gate.manifest()
    with Ledger(tmp_path / "pinned.db") as ledger:
        assert ledger.import_manifest(io.BytesIO(body),
                                      expect_key=active["fingerprint"]).tickets == 2
    with Ledger(tmp_path / "wrong.db") as ledger, pytest.raises(ManifestError) as err:
        ledger.import_manifest(io.BytesIO(body), expect_key=retired["fingerprint"])
    assert err.value.code == "unexpected_key"
