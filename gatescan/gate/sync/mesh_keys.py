"""The gate's own Ed25519 device key: made once in the data directory, never sent anywhere.

Only the public half leaves the gate (registered with the server at enrollment,
listed to the other gates). The file holds the 32-byte seed as hex, mode 0600,
written atomically.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from nacl.signing import SigningKey

log = logging.getLogger(__name__)

KEY_FILE = "mesh-key"


class DeviceKeyError(Exception):
    """The key file exists but cannot be used (damaged, or readable by others)."""


def key_path(data_dir: Path) -> Path:
    """Where the device key lives."""
    return data_dir / KEY_FILE


def load_key(data_dir: Path) -> SigningKey | None:
    """The stored device key, or None if there is none yet."""
    path = key_path(data_dir)
    try:
        st = path.stat()
        raw = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeviceKeyError(f"cannot read {KEY_FILE}: {exc}") from None
    if st.st_mode & 0o077:
        raise DeviceKeyError(f"{path} is readable by others: remove it and enroll again")
    try:
        seed = bytes.fromhex(raw)
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise DeviceKeyError(f"{KEY_FILE} is damaged: remove it and enroll again")
    return SigningKey(seed)


def new_key(data_dir: Path) -> SigningKey:
    """Make a fresh device key (replacing any), stored owner-only."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = SigningKey.generate()
    path = key_path(data_dir)
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, bytes(key).hex().encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    log.info("made a new mesh device key (public %s…)", public_hex(key)[:8])
    return key


def load_or_create(data_dir: Path) -> SigningKey:
    """The device key, made on first use."""
    return load_key(data_dir) or new_key(data_dir)


def public_hex(key: SigningKey) -> str:
    """The public half as 64 hex digits (what the server and peers hold)."""
    return bytes(key.verify_key).hex()
