"""Pinning: a relay serving a manifest signed by another (real Ed25519) key is refused.

The relay is an ASGI wrapper in front of the real server on loopback: it
answers the gate's manifest request itself, with a manifest signed by its own
key that lists a ticket it minted.
"""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from nacl.signing import SigningKey

from gatescan.gate.cli import main as gate_cli
from gatescan.protocol.manifest import ManifestReader, ManifestWriter
from gatescan.protocol.verdict import Outcome
from tests.factories import Issuer
from tests.gate.sync.conftest import Venue

MINTED = 0x0BAD_0BAD_0BAD_0BAD


class RogueRelay:
    """Serves its own signed manifest for `/api/v1/device/manifest`; passes the rest on."""

    def __init__(self, body: bytes) -> None:
        self.app: Any = None
        self.body = body
        self.served = 0

    def wrap(self, app: Any) -> RogueRelay:
        """LiveServer's `wrap` hook."""
        self.app = app
        return self

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") != "/api/v1/device/manifest":
            await self.app(scope, receive, send)
            return
        self.served += 1
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/x-ndjson"), (b"x-gatescan-cursor", b"0"),
            (b"x-gatescan-manifest-sequence", b"999")]})
        await send({"type": "http.response.body", "body": self.body})


def rogue(venue: Venue) -> tuple[bytes, Issuer]:
    """A manifest for the venue's event signed by a key of the relay's, minting one ticket."""
    with open(venue.demo["manifest"], "rb") as f:
        policy = ManifestReader(f).header.policy
    forger = Issuer(policy=policy, key=SigningKey.generate())
    out = io.BytesIO()
    w = ManifestWriter(out, policy, [forger.public], forger.key, sequence=999,
                       generated_at=int(time.time()))
    w.ticket(MINTED, 1, 0, None)
    w.finish()
    return out.getvalue(), forger


def test_first_sync_through_a_rogue_relay_is_refused(venue: Venue, make_gate: Any) -> None:
    body, forger = rogue(venue)
    relay = RogueRelay(body)
    venue.server.stop()
    venue.server.wrap = relay.wrap
    venue.server.start()
    gate = make_gate("g1")
    handshake = venue.handshake("North")
    assert '"keys":["' in handshake  # the QR carries the issuer key fingerprint
    done = gate.enroll(handshake)
    assert relay.served == 1 and done.warning is not None and done.tickets is None
    st = gate.engine.status()
    assert st.error is not None and "signer_not_pinned" in st.error
    assert st.pinned_keys and hashlib.sha256(forger.public).hexdigest() not in st.pinned_keys
    now = time.time()
    minted = forger.issue(MINTED, valid_from=int(now) - 60, valid_until=int(now) + 3600)
    assert gate.scan(minted.token(now), now).outcome is not Outcome.ADMITTED
    with gate.ledger() as ledger:
        assert ledger.ticket(MINTED) is None and ledger.loaded_event_id() is None

    venue.server.stop()  # the relay is gone: the real manifest loads, pinned
    venue.server.wrap = None
    venue.server.start()
    st = gate.engine.sync_once()
    assert st.error is None and st.online
    with gate.ledger() as ledger:
        assert ledger.loaded_event_id() == venue.event_id


def test_usb_import_is_pinned(venue: Venue, tmp_path: Path) -> None:
    data = tmp_path / "gate"
    manifest = venue.demo["manifest"]
    run = CliRunner().invoke
    bad = run(gate_cli, ["--data", str(data), "import-manifest", manifest, "--expect-key", "zz"])
    assert bad.exit_code == 2
    assert "not a key fingerprint" in bad.output and "Traceback" not in bad.output
    first = run(gate_cli, ["--data", str(data), "import-manifest", manifest])
    assert first.exit_code == 2 and "--expect-key" in first.output
    with open(manifest, "rb") as f:
        signer = ManifestReader(f).header.signer_key()
    fp = hashlib.sha256(signer.public_key).hexdigest()
    assert fp in first.output
    body, _ = rogue(venue)
    forged = tmp_path / "forged.gsm"
    forged.write_bytes(body)
    refused = run(gate_cli, ["--data", str(data), "import-manifest", str(forged),
                             "--expect-key", fp])
    assert refused.exit_code == 2 and "unexpected_key" in refused.output
    ok = run(gate_cli, ["--data", str(data), "import-manifest", manifest, "--expect-key", fp])
    assert ok.exit_code == 0, ok.output
    later = run(gate_cli, ["--data", str(data), "import-manifest", str(forged)])
    assert later.exit_code == 2 and "untrusted_signer" in later.output
