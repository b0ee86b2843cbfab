"""Opening the issuer's SQLite files the same way, and write transactions on them."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_S = 15


def open_database(path: Path) -> sqlite3.Connection:
    """A connection to `path` (owner-only if new), WAL, synchronous=FULL, foreign keys on."""
    if not path.exists():
        # SQLite gives the -wal and -shm files the main file's mode, so set it first.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S)
    try:
        if db.execute("PRAGMA journal_mode=WAL").fetchone()[0] != "wal":
            raise sqlite3.OperationalError(f"{path}: cannot use write-ahead logging")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        db.close()
        raise
    return db


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """A `BEGIN IMMEDIATE` transaction; inside an open one, joins it instead."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
