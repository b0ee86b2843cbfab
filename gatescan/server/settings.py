"""Server settings: one typed object, built by `load_settings` (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DATA_ENV = "GATESCAN_SERVER_DATA"
DATABASE_ENV = "GATESCAN_DATABASE_URL"
PUBLIC_URL_ENV = "GATESCAN_SERVER_URL"
APP_NAME = "gatescan-server"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where the issuer keeps its files and data, and the limits the HTTP server enforces.

    Built once (CLI or `gatescan.server.api.app.create_app`) and passed down.
    Layout of `data_dir`: `issuer.db` (SQLite, unless `database_url` names another
    database), `keys/` (issuer private keys, 0600), `wallet.db` (the simulated
    phones), `manifests/<event_id>.gsm` (signed manifests), `enroll/` (QR PNGs).
    """

    data_dir: Path
    database_url: str | None = None
    public_url: str | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    max_import_bytes: int = 64 * 1024 * 1024
    enroll_code_ttl: int = 24 * 3600
    session_ttl: int = 12 * 3600
    max_page: int = 5000
    max_push: int = 5000  # at most wire.MAX_PUSH_ADVERTISED; told to gates in a header
    max_bulk: int = 10_000
    db_pool_size: int = 8

    @property
    def database_path(self) -> Path:
        """The issuer's SQLite database (used when no `database_url` is set)."""
        return self.data_dir / "issuer.db"

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL of the issuer database: `database_url`, else the SQLite file."""
        return self.database_url or f"sqlite+pysqlite:///{self.database_path}"

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

    @property
    def enroll_dir(self) -> Path:
        """Where `device add` writes enrollment QR codes as PNG (owner-only)."""
        return self.data_dir / "enroll"

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
                  environ: Mapping[str, str] | None = None, *,
                  database_url: str | None = None,
                  public_url: str | None = None) -> ServerSettings:
    """Settings from options, else the environment (`GATESCAN_*`), else defaults."""
    env = os.environ if environ is None else environ
    if data_dir is not None and str(data_dir):
        path = Path(data_dir).expanduser()
    else:
        path = default_data_dir(env)
    db_url = database_url or env.get(DATABASE_ENV, "").strip() or None
    url = public_url or env.get(PUBLIC_URL_ENV, "").strip() or None
    return ServerSettings(data_dir=path.absolute(), database_url=db_url,
                          public_url=url.rstrip("/") if url else None)
