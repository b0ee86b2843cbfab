"""Small httpx clients for tests: the organizer and a gate, speaking the sync protocol."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from nacl.signing import SigningKey

from gatescan.protocol.token import build_token, step_for

TIMEOUT = httpx.Timeout(30.0)
FAR = 0xFFFFFFFF


def general_event(name: str = "Test Night", **extra: Any) -> dict[str, Any]:
    """An event body: two main gates, a VIP gate, a general type, a group of 3, re-entry."""
    return {"name": name, "gates": [{"name": "Gate 1"}, {"name": "Gate 2"},
                                    {"name": "VIP Gate", "zone": "vip"}],
            "ticket_types": [{"id": 1, "name": "General", "zones": ["main"]},
                             {"id": 2, "name": "Group of 3", "max_entries": 3},
                             {"id": 3, "name": "Re-entry", "reentry": True}], **extra}


class Organizer:
    """The organizer's side of the API (admin token)."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.http = httpx.Client(base_url=base, timeout=TIMEOUT,
                                 headers={"Authorization": f"Bearer {token}"})

    def __enter__(self) -> Organizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def ok(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        """Call and insist on `status`; the JSON body."""
        r = self.http.request(method, path, **kw)
        assert r.status_code == status, (r.status_code, r.text)
        return r.json()

    def event(self, body: dict[str, Any] | None = None) -> int:
        """Create an event; its id."""
        return int(self.ok("POST", "/api/v1/admin/events", 201,
                           json=body or general_event())["event_id"])

    def issue(self, event_id: int, n: int = 1, type_id: int = 1,
              ) -> list[tuple[str, SigningKey, str]]:
        """Issue `n` tickets to fresh phones: (ticket_id, holder key, credential hex)."""
        phones = [SigningKey.generate() for _ in range(n)]
        body = {"tickets": [{"type_id": type_id, "holder_public_key": bytes(p.verify_key).hex(),
                             "valid_from": 0, "valid_until": FAR} for p in phones]}
        out = self.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/bulk", 201, json=body)
        return [(t["ticket_id"], p, t["credential"]) for t, p in zip(out["tickets"], phones,
                                                                      strict=True)]

    def device(self, event_id: int, name: str, gate: str | None = "Gate 1") -> dict[str, Any]:
        """Add a device; the enrollment response (code, handshake)."""
        out: dict[str, Any] = self.ok("POST", f"/api/v1/admin/events/{event_id}/devices", 201,
                                      json={"name": name, "gate": gate})
        return out


class Gate:
    """A gate device's side of the API (device token)."""

    def __init__(self, base: str, code: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=TIMEOUT)
        r = self.http.post("/api/v1/device/enroll", json={"code": code})
        assert r.status_code == 200, r.text
        self.enrollment = r.json()
        self.device_id: str = self.enrollment["device_id"]
        self.http.headers["Authorization"] = f"Bearer {self.enrollment['device_token']}"
        self.cursor = "0"

    def __enter__(self) -> Gate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def manifest(self) -> bytes:
        """Pull the manifest; the cursor continues from its header."""
        r = self.http.get("/api/v1/device/manifest")
        assert r.status_code == 200, r.text
        self.cursor = r.headers["X-Gatescan-Cursor"]
        return r.content

    def pull(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Pull every page after the cursor."""
        got: list[dict[str, Any]] = []
        while True:
            r = self.http.get("/api/v1/device/changes",
                              params={"cursor": self.cursor, "limit": limit})
            assert r.status_code == 200, r.text
            body = r.json()
            got += body["changes"]
            self.cursor = body["cursor"]
            if not body["more"]:
                return got

    def push(self, *scans: dict[str, Any]) -> list[dict[str, Any]]:
        """Push scans; the per-item results."""
        r = self.http.post("/api/v1/device/scans", json={"scans": list(scans)})
        assert r.status_code == 200, r.text
        results: list[dict[str, Any]] = r.json()["results"]
        return results


def scan(ticket_id: str, at: float, gate: str = "Gate 1", direction: str = "entry",
         outcome: str = "admitted", **extra: Any) -> dict[str, Any]:
    """A scan item as a gate records it."""
    return {"scan_id": secrets.token_hex(16), "ticket_id": ticket_id, "serial": 0,
            "gate": gate, "direction": direction, "outcome": outcome, "device_time": at,
            "source": "camera", **extra}


def phone_code(credential_hex: str, phone: SigningKey, at: float, period: int = 30) -> str:
    """The rotating code the phone shows at `at`."""
    return build_token(bytes.fromhex(credential_hex), phone, step_for(at, period))
