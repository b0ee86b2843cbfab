"""Opening the issuer's SQLite files the same way, and write transactions on them."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

BUSY_TIMEOUT_S = 15


def open_database(path: Path) -> Database:
    """A sqlite-utils database on `path` (owner-only if new), WAL, synchronous=FULL."""
    if not path.exists():
        # SQLite gives the -wal and -shm files the main file's mode, so set it first.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    db = Database(sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S), execute_plugins=False)
    try:
        db.enable_wal()
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
