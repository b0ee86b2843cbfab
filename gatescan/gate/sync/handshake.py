"""The enrollment handshake a gate reads from the organizer's QR code (docs/sync-protocol.md).

The one parser of handshake text: the CLI, the set-up screen and the demo all use
`parse_handshake`. The text comes from a QR code or a paste, so it is read strictly;
a refusal names its `HandshakeProblem` so the UI can word it in the staff's language.
`Enrolled` is the one result of an enrollment and `Enroller` what runs one
(`gatescan.gate.sync.enroll.GateEnroller`); both live here, free of the network, so
the UI can name them without loading the engine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

from gatescan.gate.sync.errors import EnrollError

HANDSHAKE_TYPE = "gatescan-enroll"
KNOWN_VERSIONS = frozenset({1})
MAX_CHARS = 2048
MAX_KEYS = 8
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


class HandshakeProblem(StrEnum):
    """Why a text is not a usable handshake (the UI words each one)."""

    NOT_A_HANDSHAKE = "not_a_handshake"
    NEWER_VERSION = "unknown_version"
    NO_ADDRESS = "no_address"
    DAMAGED = "damaged"
    BAD_KEYS = "bad_keys"


# The stable `EnrollError.code` of each problem (the CLI and its JSON show these).
_CODES = {HandshakeProblem.NOT_A_HANDSHAKE: "not_a_handshake",
          HandshakeProblem.NEWER_VERSION: "unknown_version",
          HandshakeProblem.NO_ADDRESS: "bad_handshake",
          HandshakeProblem.DAMAGED: "bad_handshake",
          HandshakeProblem.BAD_KEYS: "bad_handshake"}


class HandshakeError(EnrollError):
    """Text that is not a usable enrollment handshake: `problem` says why, `message` in English."""

    def __init__(self, problem: HandshakeProblem, message: str) -> None:
        super().__init__(_CODES[problem], message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Handshake:
    """The server's address and the one-time enrollment code (the code is a secret: no repr)."""

    url: str
    code: str
    keys: tuple[str, ...] = ()  # issuer key fingerprints to pin the first manifest to

    def __repr__(self) -> str:
        return f"Handshake(url={self.url!r}, code=<hidden>, keys={self.keys!r})"


def _not_a_handshake() -> HandshakeError:
    return HandshakeError(HandshakeProblem.NOT_A_HANDSHAKE,
                          "This is not a GateScan enrollment code.")


def _usable_url(url: object) -> bool:
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # "http://[" : an unclosed IPv6 address
        return False


def parse_handshake(text: str) -> Handshake:
    """Read handshake text; raises `HandshakeError` for anything but a usable v1 handshake."""
    text = text.strip()
    if not text or len(text) > MAX_CHARS or not text.startswith("{"):
        raise _not_a_handshake()
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise _not_a_handshake() from None
    if not isinstance(data, dict) or data.get("type") != HANDSHAKE_TYPE:
        raise _not_a_handshake()
    version = data.get("v")
    if isinstance(version, bool) or version not in KNOWN_VERSIONS:
        raise HandshakeError(HandshakeProblem.NEWER_VERSION,
                             f"This enrollment code uses handshake version {version!r}, which "
                             "this GateScan does not know: update the gate software.")
    url, code = data.get("url"), data.get("code")
    if not _usable_url(url):
        raise HandshakeError(HandshakeProblem.NO_ADDRESS,
                             "The enrollment code has no usable server address.")
    if not isinstance(code, str) or not 4 <= len(code.strip()) <= 64:
        raise HandshakeError(HandshakeProblem.DAMAGED,
                             "The enrollment code is damaged: ask for a new one.")
    keys = data.get("keys", [])
    if not isinstance(keys, list) or len(keys) > MAX_KEYS or not all(
            isinstance(k, str) and _FINGERPRINT.fullmatch(k) for k in keys):
        raise HandshakeError(HandshakeProblem.BAD_KEYS, "The enrollment code's key fingerprints "
                             "are damaged: ask for a new one.")
    return Handshake(str(url).rstrip("/"), code.strip(), tuple(keys))


@dataclass(frozen=True, slots=True)
class Enrolled:
    """The outcome of an enrollment: which device, event and gate, and whether the event loaded."""

    device_id: str
    event_id: int
    event_name: str
    gate: str | None
    tickets: int | None = None
    warning: str | None = None  # for the operator: enrolled, but the event is not loaded yet


class Enroller(Protocol):
    """What enrolls a gate (`gatescan.gate.sync.enroll.GateEnroller`), as the UI drives it.

    Raises `gatescan.gate.sync.errors.EnrollError` (with a `message` for the operator)
    when the handshake is unusable, the server refuses the code or cannot be reached.
    """

    def enroll(self, handshake: Handshake | str) -> Enrolled:
        """Exchange the one-time code for a device token and fetch the manifest."""
        ...
