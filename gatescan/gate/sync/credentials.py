"""The device token and where it leads, kept in one owner-only file in the data directory.

The token is the device's password: it is written with mode 0600 (created that
way, never widened afterwards), replaced atomically, hidden from `repr`, and
never logged.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gatescan.protocol.files import atomic_write

log = logging.getLogger(__name__)

FILE_NAME = "credentials.json"
DEVICE_FILE = "device.json"  # ScannerSettings.device_id() reads the device id from here
DEVICE_ID = re.compile(r"dev_[0-9a-f]{12}")


class CredentialsError(Exception):
    """The credentials file exists but cannot be read or is not ours."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """What enrollment gave this gate: server URL, device id and token, event and gate."""

    url: str
    device_id: str
    token: str = field(repr=False)
    event_id: int
    gate: str | None = None
    event_name: str = ""
    enrolled_at: float | None = None
    issuer_keys: tuple[str, ...] = ()  # fingerprints the first manifest must be signed with

    @staticmethod
    def path(data_dir: Path) -> Path:
        """Where the credentials live in a data directory."""
        return data_dir / FILE_NAME

    @classmethod
    def load(cls, data_dir: Path) -> Credentials | None:
        """The stored credentials, or None if this gate is not enrolled."""
        try:
            raw = cls.path(data_dir).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CredentialsError(f"cannot read {FILE_NAME}: {exc.strerror}") from None
        try:
            data: Any = json.loads(raw)
            return cls(url=str(data["url"]), device_id=str(data["device_id"]),
                       token=str(data["token"]), event_id=int(data["event_id"]),
                       gate=None if data.get("gate") is None else str(data["gate"]),
                       event_name=str(data.get("event_name") or ""),
                       enrolled_at=data.get("enrolled_at"),
                       issuer_keys=tuple(str(k) for k in data.get("issuer_keys") or ()))
        except (ValueError, KeyError, TypeError):
            raise CredentialsError(f"{FILE_NAME} is damaged: enroll the gate again") from None

    def save(self, data_dir: Path) -> Path:
        """Write the file atomically with owner-only permissions; returns its path."""
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.path(data_dir)
        _write_private(path, json.dumps(asdict(self), indent=1).encode())
        log.info("stored credentials of device %s (owner-only file)", self.device_id)
        return path

    @classmethod
    def delete(cls, data_dir: Path) -> None:
        """Remove the stored credentials (after a revocation)."""
        cls.path(data_dir).unlink(missing_ok=True)


def write_device_id(data_dir: Path, device_id: str) -> None:
    """Make the server's device id this gate's id, so its scans and the server's agree."""
    _write_private(data_dir / DEVICE_FILE, json.dumps({"device_id": device_id}).encode())


def _write_private(path: Path, body: bytes) -> None:
    atomic_write(path, body, mode=0o600)
