"""Compact codes on the server: a wallet claim is a `credential` change and a manifest
record; `compact_ready` follows every active gate's feed position."""

from __future__ import annotations

import io
import time

import httpx
from nacl.signing import SigningKey

from gatescan.protocol.manifest import ManifestReader
from gatescan.protocol.wire import b64url
from gatescan.server.wallet import links
from tests.server.client import FAR, Gate, Organizer, general_event


class Phone:
    """A phone on the wallet API."""

    def __init__(self, server: str, org: Organizer, event_id: int) -> None:
        self.server, self.key = server, SigningKey.generate()
        made = org.ok("POST", f"/api/v1/admin/events/{event_id}/wallet-tickets", 201,
                      json={"type_id": 1, "valid_from": 0, "valid_until": FAR})
        token = made["url"].split("#claim=")[1]
        r = httpx.post(f"{server}/api/v1/wallet/claim", timeout=30, json={
            "claim": token, "holder_public_key": bytes(self.key.verify_key).hex(),
            "proof": self.key.sign(links.CLAIM_DOMAIN + token.encode()).signature.hex()})
        assert r.status_code == 200, r.text
        self.credential: str = r.json()["credential"]
        self.ticket_id: str = r.json()["ticket"]["ticket_id"]

    def status(self) -> dict[str, object]:
        at = int(time.time())
        message = links.request_message(links.STATUS_DOMAIN, bytes.fromhex(self.credential), at)
        r = httpx.post(f"{self.server}/api/v1/wallet/status", timeout=30, json={
            "credential": self.credential, "at": at,
            "signature": self.key.sign(message).signature.hex()})
        assert r.status_code == 200, r.text
        body: dict[str, object] = r.json()
        return body


def test_a_claim_is_a_credential_change_and_a_manifest_record(org: Organizer,
                                                              server: str) -> None:
    event_id = org.event(general_event())
    with Gate(server, org.device(event_id, "a")["code"]) as gate:
        gate.manifest()
        phone = Phone(server, org, event_id)
        signed = bytes.fromhex(phone.credential)
        changes = [c for c in gate.pull() if c["kind"] == "credential"]
        assert changes == [{"seq": changes[0]["seq"], "kind": "credential",
                            "ticket_id": phone.ticket_id, "serial": 1,
                            "credential": b64url(signed)}]
        reader = ManifestReader(io.BytesIO(gate.manifest()))
        assert reader.header.version == 2
        found = [c for batch in reader.batches() for c in batch.credentials]
        assert found == [(int(phone.ticket_id, 16), 1, signed)]


def test_compact_ready_waits_for_every_active_gate(org: Organizer, server: str) -> None:
    event_id = org.event(general_event())
    org.device(event_id, "never enrolled")  # pending: it will start from a newer manifest
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b", "Gate 2")["code"]) as b:
        a.manifest()
        b.manifest()
        phone = Phone(server, org, event_id)
        assert phone.status()["compact_ready"] is False
        a.pull()
        a.pull()  # asked from past the claim
        assert phone.status()["compact_ready"] is False  # b is behind
        b.pull()
        assert phone.status()["compact_ready"] is False  # b's pull started before the claim
        b.pull()
        assert phone.status()["compact_ready"] is True
        # A gate revoked by the organizer no longer holds anything back.
        c_code = org.device(event_id, "c")["code"]
        with Gate(server, c_code) as c:
            assert phone.status()["compact_ready"] is False  # enrolled, never pulled
            org.ok("POST", f"/api/v1/admin/devices/{c.device_id}/revoke", json={})
        assert phone.status()["compact_ready"] is True


def test_no_compact_code_after_a_transfer_outside_the_wallet_or_a_refund(
        org: Organizer, server: str) -> None:
    event_id = org.event(general_event())
    with Gate(server, org.device(event_id, "a")["code"]) as gate:
        gate.manifest()
        moved, refunded = Phone(server, org, event_id), Phone(server, org, event_id)
        gate.pull()
        gate.pull()
        assert moved.status()["compact_ready"] is True
        org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/{moved.ticket_id}/transfer",
               json={"holder_public_key": "ab" * 32})
        assert moved.status()["state"] == "superseded"
        assert moved.status()["compact_ready"] is False
        org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/{refunded.ticket_id}/revoke",
               json={})
        assert refunded.status()["compact_ready"] is False
        reader = ManifestReader(io.BytesIO(gate.manifest()))
        assert [c for batch in reader.batches() for c in batch.credentials] == []
