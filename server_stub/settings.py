"""Issuer settings: one typed object, built by `load_settings` (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DATA_ENV = "GATESCAN_SERVER_DATA"
APP_NAME = "gatescan-server"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where the issuer keeps its files. Built once by the CLI and passed down.

    Layout of `data_dir`:
    `issuer.db` (events, public keys, tickets), `keys/` (issuer private keys, 0600),
    `wallet.db` (the simulated phones), `manifests/<event_id>.gsm` (signed manifests).
    """

    data_dir: Path

    @property
    def database_path(self) -> Path:
        """The issuer's SQLite database."""
        return self.data_dir / "issuer.db"

    @property
    def keys_dir(self) -> Path:
        """Directory of issuer private key files (owner-only)."""
        return self.data_dir / "keys"

    @property
    def wallet_path(self) -> Path:
        """The simulated wallet's SQLite database (the demo phones, not issuer data)."""
        return self.data_dir / "wallet.db"

    @property
    def manifests_dir(self) -> Path:
        """Where signed event manifests are written by default."""
        return self.data_dir / "manifests"

    def manifest_path(self, event_id: int) -> Path:
        """The default manifest file of an event."""
        return self.manifests_dir / f"{event_id}.gsm"

    def ensure_dirs(self) -> None:
        """Create the data directory and its key directory, owner-only."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.keys_dir.mkdir(exist_ok=True, mode=0o700)
        # mkdir's mode is masked by the umask and ignored for existing dirs.
        os.chmod(self.keys_dir, 0o700)


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`GATESCAN_SERVER_DATA` if set and non-empty, else the platform's user data directory."""
    env = os.environ if environ is None else environ
    value = env.get(DATA_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def load_settings(data_dir: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None) -> ServerSettings:
    """Settings from `--data DIR`, else the environment, else the platform default."""
    if data_dir is not None and str(data_dir):
        path = Path(data_dir).expanduser()
    else:
        path = default_data_dir(environ)
    return ServerSettings(data_dir=path.absolute())
