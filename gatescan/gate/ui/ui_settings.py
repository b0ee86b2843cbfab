"""The gate's own settings (gate, direction, camera, language, manager PIN) in `ui.json`.

The PIN is stored only as a salted PBKDF2 hash. The file is written atomically
and owner-only; a missing or damaged file means "not set up yet".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gatescan.gate.ui.kinds import Direction
from gatescan.protocol.files import atomic_write

log = logging.getLogger(__name__)

FILE_NAME = "ui.json"
MIN_PIN_LENGTH = 4
PIN_ITERATIONS = 120_000


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = PIN_ITERATIONS) -> str:
    """`pbkdf2_sha256$ITERATIONS$SALT$HASH` of a PIN."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str | None) -> bool:
    """True if `pin` hashes to `stored` (constant-time compare); False for no stored PIN."""
    if not stored:
        return False
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        again = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        log.error("stored manager PIN is damaged")
        return False
    return hmac.compare_digest(again.hex(), digest)


@dataclass
class UiSettings:
    """What the operator chose in set-up; `save()` writes it back."""

    path: Path = field(repr=False)
    gate: str | None = None
    direction: Direction = Direction.ENTRY
    camera: str | None = None
    language: str | None = None
    pin_hash: str | None = field(default=None, repr=False)

    @classmethod
    def load(cls, data_dir: Path) -> UiSettings:
        """Read `ui.json` from `data_dir`; defaults if it is missing or unreadable."""
        path = data_dir / FILE_NAME
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            log.error("gate settings %s unreadable (%s): starting set-up again", path, exc)
            return cls(path)
        if not isinstance(raw, dict):
            return cls(path)

        def text(key: str) -> str | None:
            value = raw.get(key)
            return value if isinstance(value, str) else None

        return cls(path, gate=text("gate"), direction=Direction.of(raw.get("direction")),
                   camera=text("camera"),
                   language=text("language"), pin_hash=text("pin_hash"))

    def save(self) -> None:
        """Write atomically, owner-only."""
        data = {k: v for k, v in asdict(self).items() if k != "path"}
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self.path, json.dumps(data, indent=1).encode(), mode=0o600)

    @property
    def pin_set(self) -> bool:
        """True once a manager PIN has been chosen."""
        return bool(self.pin_hash)

    def set_pin(self, pin: str) -> None:
        """Store a new PIN (hashed); raises ValueError if it is too short or not digits."""
        if len(pin) < MIN_PIN_LENGTH or not pin.isdigit():
            raise ValueError(f"the PIN needs at least {MIN_PIN_LENGTH} digits")
        self.pin_hash = hash_pin(pin)

    def check_pin(self, pin: str) -> bool:
        """True if `pin` is the manager PIN."""
        return pin_matches(pin, self.pin_hash)

    @property
    def configured(self) -> bool:
        """True when set-up has been completed (a gate and a PIN are chosen)."""
        return self.gate is not None and self.pin_set
