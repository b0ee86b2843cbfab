"""The enrollment handshake a gate scans: versioned JSON text, shown as a QR code.

It carries the fingerprints of the issuer keys that sign the event's manifests,
so the gate pins its very first manifest to what the organizer's screen showed,
not to what the network answered.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path

import segno

from gatescan.protocol.files import atomic_write
from gatescan.server.store import IssuerStore

HANDSHAKE_TYPE = "gatescan-enroll"
HANDSHAKE_VERSION = 1


def handshake_text(server_url: str, code: str, keys: Sequence[str] = ()) -> str:
    """The text the enrollment QR code holds: type, version, server URL, one-time code, and
    the fingerprints of the issuer keys the gate must pin its first manifest to."""
    data: dict[str, object] = {"type": HANDSHAKE_TYPE, "v": HANDSHAKE_VERSION,
                               "url": server_url.rstrip("/"), "code": code}
    if keys:
        data["keys"] = list(keys)
    return json.dumps(data, separators=(",", ":"))


def active_fingerprints(store: IssuerStore, event_id: int) -> list[str]:
    """SHA-256 fingerprints of the event's active issuer key(s): what signs its manifests."""
    return [hashlib.sha256(k.public_key).hexdigest() for k in store.keys(event_id)
            if k.state == "active"]


def terminal_qr(text: str) -> str:
    """The QR code of `text` drawn with block characters, for a terminal."""
    out = io.StringIO()
    segno.make(text, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


def write_png(text: str, path: Path) -> Path:
    """Write the QR code of `text` as a PNG readable by phone cameras (owner-only file)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    png = io.BytesIO()
    segno.make(text, error="m").save(png, kind="png", scale=8, border=4)
    atomic_write(path, png.getvalue(), mode=0o600)  # an old file's looser mode goes too
    return path
