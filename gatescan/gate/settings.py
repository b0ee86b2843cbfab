"""Scanner settings: one typed object built once from options and environment."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from gatescan.protocol.files import atomic_write

DATA_ENV = "GATESCAN_DATA"


def default_data_dir() -> Path:
    """`GATESCAN_DATA` if set, else the platform's user data directory."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("gatescan", appauthor=False))


@dataclass(frozen=True, slots=True)
class ScannerSettings:
    """Where the scanner keeps its files; built once by the CLI and passed down."""

    data_dir: Path

    @classmethod
    def build(cls, data: Path | None) -> ScannerSettings:
        """Settings from the `--data` option, falling back to the environment."""
        return cls(data_dir=Path(data) if data is not None else default_data_dir())

    @property
    def ledger_path(self) -> Path:
        """The ledger's SQLite file."""
        return self.data_dir / "ledger.db"

    def ensure_dir(self) -> None:
        """Create the data directory (owner-only) if it does not exist."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    def device_id(self) -> str:
        """This device's stable random id (created on first use)."""
        path = self.data_dir / "device.json"
        try:
            return str(json.loads(path.read_text())["device_id"])
        except (FileNotFoundError, KeyError, ValueError):
            pass
        self.ensure_dir()
        device = "dev-" + secrets.token_hex(6)
        atomic_write(path, json.dumps({"device_id": device}).encode())  # as enrollment does
        return device
