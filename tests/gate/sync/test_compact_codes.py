"""Compact (v2) codes end to end: a wallet claim on the real server, a real gate syncing it,
the phone's status turning `compact_ready`, the code rendered as a QR frame, read by the
gate's real decoder and admitted; a ticket claimed after the gate's last sync shows the full
code, which the gate admits offline, and its compact code asks for the full one."""

from __future__ import annotations

import time
from typing import Any

import httpx
import numpy as np
import segno
from nacl.signing import SigningKey

from gatescan.gate.camera.decoders import Inversion, make_decoder
from gatescan.protocol.token import build_compact_token, build_token, step_for
from gatescan.protocol.verdict import Outcome
from gatescan.server.wallet import links
from tests.gate.sync.conftest import TIMEOUT, Venue

FAR = 4_000_000_000


def frame(text: str, scale: int = 6) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The code as a camera would see a phone screen held square to it: a grayscale frame."""
    qr = segno.make(text, error="m", micro=False, boost_error=False)
    modules = np.array([[0 if dark else 255 for dark in row] for row in qr.matrix],
                       dtype=np.uint8)
    big = np.kron(modules, np.ones((scale, scale), dtype=np.uint8))
    out = np.full((720, 1280), 255, dtype=np.uint8)
    y, x = (720 - big.shape[0]) // 2, (1280 - big.shape[1]) // 2
    out[y:y + big.shape[0], x:x + big.shape[1]] = big
    return out


class Phone:
    """A wallet phone on the real server's wallet API: its key and claimed credential."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self.key = SigningKey.generate()
        self.credential = ""

    def claim(self) -> None:
        with venue_admin(self.venue) as admin:
            made = admin.post(f"/api/v1/admin/events/{self.venue.event_id}/wallet-tickets",
                              json={"type_id": 1, "valid_from": 0, "valid_until": FAR})
            assert made.status_code == 201, made.text
        token = made.json()["url"].split("#claim=")[1]
        proof = self.key.sign(links.CLAIM_DOMAIN + token.encode()).signature.hex()
        r = httpx.post(f"{self.venue.server.url}/api/v1/wallet/claim", timeout=TIMEOUT,
                       json={"claim": token, "holder_public_key": bytes(self.key.verify_key).hex(),
                             "proof": proof})
        assert r.status_code == 200, r.text
        self.credential = r.json()["credential"]

    def compact_ready(self) -> bool:
        at = int(time.time())
        message = links.request_message(links.STATUS_DOMAIN, bytes.fromhex(self.credential), at)
        r = httpx.post(f"{self.venue.server.url}/api/v1/wallet/status", timeout=TIMEOUT,
                       json={"credential": self.credential, "at": at,
                             "signature": self.key.sign(message).signature.hex()})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["state"] == "current"
        return bool(body["compact_ready"])

    def code(self, at: float, *, compact: bool) -> str:
        period = int(self.venue.demo["rotation_period"])
        build = build_compact_token if compact else build_token
        return build(bytes.fromhex(self.credential), self.key, step_for(at, period))


def venue_admin(venue: Venue) -> httpx.Client:
    return venue.admin()


def test_claimed_synced_compact_code_is_read_and_admitted_and_a_late_claim_works_offline(
        venue: Venue, make_gate: Any) -> None:
    gate = make_gate("g1", "Gate 1")
    gate.enroll(venue.handshake("Lane 1", "Gate 1"))
    early = Phone(venue)
    early.claim()
    assert not early.compact_ready()  # the gate has not pulled the claim yet
    gate.engine.sync_once()  # pulls the credential change
    gate.engine.sync_once()  # asks from past it: the server now knows the gate holds it
    assert early.compact_ready()

    decoder = make_decoder("zxing", inversion=Inversion.NONE)
    now = time.time()
    text = early.code(now, compact=True)
    assert segno.make(text, error="m", micro=False, boost_error=False).version <= 6
    read = [c.text for c in decoder.decode(frame(text))]
    assert read == [text]
    verdict = gate.scan(read[0], now)
    assert verdict.outcome is Outcome.ADMITTED and verdict.ticket is not None

    # Claimed after the gate's last sync, then the venue's network goes down.
    late = Phone(venue)
    late.claim()
    assert not late.compact_ready()  # so the wallet shows the full code
    venue.server.stop()
    offline = gate.scan(late.code(now, compact=False), now)
    assert offline.outcome is Outcome.ADMITTED
    # Had it shown the short code anyway: amber, never green, nothing read from it shown.
    short = gate.scan(late.code(now + 1, compact=True), now + 1)
    assert short.outcome is Outcome.NEEDS_FULL_CODE and short.ticket is None


def test_a_second_gate_that_has_not_synced_keeps_the_wallet_on_the_full_code(
        venue: Venue, make_gate: Any) -> None:
    first, second = make_gate("g1", "Gate 1"), make_gate("g2", "Gate 2")
    first.enroll(venue.handshake("Lane 1", "Gate 1"))
    second.enroll(venue.handshake("Lane 2", "Gate 2"))
    phone = Phone(venue)
    phone.claim()
    first.engine.sync_once()
    first.engine.sync_once()
    assert not phone.compact_ready()  # Lane 2 is behind
    second.engine.sync_once()
    second.engine.sync_once()
    assert phone.compact_ready()
    now = time.time()
    assert second.scan(phone.code(now, compact=True), now).outcome is Outcome.ADMITTED
    # A gate enrolled after the claim starts from a manifest that carries the credential.
    third = make_gate("g3", "Gate 1")
    third.enroll(venue.handshake("Lane 3", "Gate 1"))
    with third.ledger() as ledger:
        assert ledger.credential(_ticket_id(phone.credential)) is not None
    # Not yet pushed by Lane 2, so this gate admits it (the server would flag the conflict).
    assert third.scan(phone.code(now, compact=True), now).outcome is Outcome.ADMITTED


def _ticket_id(credential_hex: str) -> int:
    return int(credential_hex[18:34], 16)  # bytes 9..16 of the signed credential
