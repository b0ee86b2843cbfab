"""The enrollment handshake a gate scans: versioned JSON text, shown as a QR code."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import segno

HANDSHAKE_TYPE = "gatescan-enroll"
HANDSHAKE_VERSION = 1


def handshake_text(server_url: str, code: str) -> str:
    """The text the enrollment QR code holds: type, version, server URL, one-time code."""
    return json.dumps({"type": HANDSHAKE_TYPE, "v": HANDSHAKE_VERSION,
                       "url": server_url.rstrip("/"), "code": code}, separators=(",", ":"))


def terminal_qr(text: str) -> str:
    """The QR code of `text` drawn with block characters, for a terminal."""
    out = io.StringIO()
    segno.make(text, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


def write_png(text: str, path: Path) -> Path:
    """Write the QR code of `text` as a PNG readable by phone cameras (owner-only file)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        segno.make(text, error="m").save(out, kind="png", scale=8, border=4)
    return path
