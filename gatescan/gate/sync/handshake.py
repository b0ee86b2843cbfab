"""The enrollment handshake a gate reads from the organizer's QR code (docs/sync-protocol.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from gatescan.gate.sync.errors import EnrollError

HANDSHAKE_TYPE = "gatescan-enroll"
KNOWN_VERSIONS = frozenset({1})
MAX_CHARS = 2048
MAX_KEYS = 8
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Handshake:
    """The server's address and the one-time enrollment code (the code is a secret: no repr)."""

    url: str
    code: str
    keys: tuple[str, ...] = ()  # issuer key fingerprints to pin the first manifest to

    def __repr__(self) -> str:
        return f"Handshake(url={self.url!r}, code=<hidden>, keys={self.keys!r})"


def parse_handshake(text: str) -> Handshake:
    """Read handshake text; raises `EnrollError` for anything that is not a usable v1 handshake."""
    text = text.strip()
    if not text or len(text) > MAX_CHARS or not text.startswith("{"):
        raise EnrollError("not_a_handshake", "This is not a GateScan enrollment code.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise EnrollError("not_a_handshake", "This is not a GateScan enrollment code.") from None
    if not isinstance(data, dict) or data.get("type") != HANDSHAKE_TYPE:
        raise EnrollError("not_a_handshake", "This is not a GateScan enrollment code.")
    version = data.get("v")
    if isinstance(version, bool) or version not in KNOWN_VERSIONS:
        raise EnrollError("unknown_version",
                          f"This enrollment code uses handshake version {version!r}, which this "
                          "GateScan does not know: update the gate software.")
    url, code = data.get("url"), data.get("code")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise EnrollError("bad_handshake", "The enrollment code has no usable server address.")
    if not isinstance(code, str) or not 4 <= len(code.strip()) <= 64:
        raise EnrollError("bad_handshake", "The enrollment code is damaged: ask for a new one.")
    keys = data.get("keys", [])
    if not isinstance(keys, list) or len(keys) > MAX_KEYS or not all(
            isinstance(k, str) and _FINGERPRINT.fullmatch(k) for k in keys):
        raise EnrollError("bad_handshake", "The enrollment code's key fingerprints are "
                          "damaged: ask for a new one.")
    return Handshake(str(url).rstrip("/"), code.strip(), tuple(keys))
