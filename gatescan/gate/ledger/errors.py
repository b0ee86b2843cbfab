"""Known environment failures of the ledger, as one typed error with a stable code.

A disk that is full, a database held locked past the timeout, a read-only or
unreadable file: these are states the operator can act on, so they become a
`LedgerError` (and the gate shows "cannot record", never green). Any other
`sqlite3.Error` is a bug and propagates unchanged.

Codes the ledger raises itself: `ledger_gone` (the file was deleted or replaced
under the running gate), `ledger_damaged` (`PRAGMA quick_check` failed at open),
`no_wal`, `schema_too_new`, `no_event`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

# Primary SQLite result codes (the low byte of extended codes).
_SQLITE_PERM = 3
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

_CODES = {
    _SQLITE_BUSY: ("locked", "the ledger is busy in another process (timed out waiting)"),
    _SQLITE_LOCKED: ("locked", "the ledger is locked"),
    _SQLITE_FULL: ("disk_full", "the disk is full: scans cannot be recorded"),
    _SQLITE_READONLY: ("read_only", "the ledger file is read-only"),
    _SQLITE_PERM: ("read_only", "no permission to write the ledger file"),
    _SQLITE_IOERR: ("io_error", "disk input/output error on the ledger file"),
    _SQLITE_CORRUPT: ("corrupt", "the ledger file is damaged"),
    _SQLITE_NOTADB: ("corrupt", "the ledger file is not a GateScan ledger"),
    _SQLITE_CANTOPEN: ("cant_open", "the ledger file cannot be opened"),
}


class LedgerError(Exception):
    """A known environment failure of the ledger; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"LedgerError({self.code!r}, {self.message!r})"


def classify(exc: sqlite3.Error) -> LedgerError | None:
    """The `LedgerError` for a known environment failure, or None if `exc` looks like a bug."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    known = _CODES.get(code & 0xFF)
    if known is None:
        return None
    return LedgerError(known[0], f"{known[1]} ({getattr(exc, 'sqlite_errorname', code)})")


@contextmanager
def translated() -> Iterator[None]:
    """Turn known SQLite environment failures raised inside the block into `LedgerError`."""
    try:
        yield
    except sqlite3.Error as exc:
        known = classify(exc)
        if known is None:
            raise
        raise known from exc


def strict_text(data: bytes) -> str:
    """Decode a TEXT value read from the ledger; text that is not UTF-8 means a damaged file.

    Used as the connection's `text_factory`: the stdlib's own failure here is an
    `OperationalError` without an SQLite code, which `classify` could not tell from a bug.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LedgerError("corrupt", "the ledger file is damaged (text that is not UTF-8)"
                          ) from exc
