"""Secrets stay secret: tokens, codes and issuer keys never in logs or later responses."""

from __future__ import annotations

import logging

import pytest

from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore
from tests.server.client import Gate, Organizer, scan
from tests.server.helpers import leaked


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_secret_in_logs_responses_manifest_or_database(
        server: str, org: Organizer, store: IssuerStore, settings: ServerSettings,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    event_id = org.event()
    (t1, _, _), = org.issue(event_id, 1)
    added = org.device(event_id, "a")
    code = added["code"]
    seen: list[str] = []
    with Gate(server, code) as gate:
        token = gate.enrollment["device_token"]
        gate.push(scan(t1, 1.0))
        seen.append(gate.http.get("/api/v1/device/me").text)
        seen.append(gate.manifest().decode())
        seen.append(gate.http.get("/api/v1/device/changes").text)
        seen.append(gate.http.post("/api/v1/device/enroll", json={"code": code}).text)
    for path in (f"/api/v1/admin/events/{event_id}", f"/api/v1/admin/events/{event_id}/devices",
                 f"/api/v1/admin/devices/{added['device']['device_id']}",
                 f"/api/v1/admin/events/{event_id}/conflicts",
                 f"/api/v1/admin/events/{event_id}/scans.csv", "/openapi.json"):
        seen.append(org.http.get(path).text)
    seeds = [p.read_bytes() for p in settings.keys_dir.glob("*.key")]
    store.close()
    database = b"".join(p.read_bytes() for p in settings.data_dir.glob("issuer.db*"))
    for secret in (org.token, token, code):
        assert secret not in caplog.text
        assert not any(secret in body for body in seen)
        assert secret.encode() not in database
    for blob in (caplog.text, *seen):
        assert not leaked(seeds, blob)
    assert not leaked(seeds, database)
