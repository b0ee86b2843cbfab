"""Issuer private keys as owner-only files, outside the database.

The database holds only public keys, so a copy of `issuer.db` (a backup, a bug
report) cannot mint tickets. Each key is one file of 32 raw seed bytes, mode
0600, in a 0700 directory. Seeds are never logged or printed.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from nacl.signing import SigningKey

from gatescan.protocol.token import key_id
from gatescan.server.errors import IssuerError

log = logging.getLogger(__name__)

SEED_LEN = 32


def key_file_name(event_id: int, public_key: bytes) -> str:
    """The file name of an event's key: event id and key id, no secret in it."""
    return f"{event_id}-{key_id(public_key).hex()}.key"


class KeyFiles:
    """Reads and writes issuer signing keys in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, event_id: int, key: SigningKey) -> Path:
        """Write a new key file (never overwrites one) and return its path."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / key_file_name(event_id, bytes(key.verify_key))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # the umask may have narrowed it; make sure it is exact
            os.write(fd, bytes(key))
            os.fsync(fd)
        finally:
            os.close(fd)
        log.info("stored issuer key %s for event %d", path.name, event_id)
        return path

    def load(self, event_id: int, public_key: bytes) -> SigningKey:
        """The signing key with this public key; `IssuerError` if missing or damaged."""
        path = self.directory / key_file_name(event_id, public_key)
        try:
            mode = path.stat().st_mode
            seed = path.read_bytes()
        except FileNotFoundError:
            raise IssuerError("key_missing",
                              f"issuer key file {path} is missing: cannot sign") from None
        if stat.S_IMODE(mode) & 0o077:
            log.warning("issuer key file %s is readable by others; fixing to 0600", path.name)
            os.chmod(path, 0o600)
        if len(seed) != SEED_LEN:
            raise IssuerError("key_damaged", f"issuer key file {path} is damaged")
        key = SigningKey(seed)
        if bytes(key.verify_key) != public_key:
            raise IssuerError("key_damaged",
                              f"issuer key file {path} does not match its public key")
        return key
