"""One SQLAlchemy engine for SQLite or PostgreSQL, with write transactions serialized.

Every write transaction is serialized: on SQLite by a process-wide lock plus
`BEGIN IMMEDIATE` (other processes wait on the busy timeout), on PostgreSQL by a
transaction-level advisory lock taken first thing. Change-log sequence numbers
are assigned inside write transactions, so they commit in the order they were
assigned and a puller reading `seq > cursor` never skips one that commits late.
Read transactions see one snapshot (SQLite WAL read transaction, PostgreSQL
REPEATABLE READ), so a page of changes and the cursor after it agree.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 15
# SQLite page cache per connection (KiB; SQLite's default is 2 MiB). A pushed batch inserts
# into four indexes keyed by random ids (scan id, ticket id): with the default cache most
# of their pages are read again from the OS for every batch once an event holds a few
# tens of thousands of scans. Pages are allocated as they are used, not up front.
SQLITE_CACHE_KIB = 32 * 1024
# WAL pages written before a commit copies them back into the database file (SQLite's
# default is 1,000). A pushed batch rewrites many of the same index pages as the batch
# before it: checkpointing less often copies each of them once instead of once per few
# batches (measured: a push of 1,000 scans about a fifth faster than with 1,000 pages).
# The WAL file grows to about this many pages (4 KiB each: 64 MiB) between
# checkpoints, and is cut back to `SQLITE_WAL_KEEP_BYTES` after one.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 16_384
SQLITE_WAL_KEEP_BYTES = 8 * 1024 * 1024
# pg_advisory_xact_lock key of "the change log": any fixed 64-bit number, same in every worker.
WRITE_LOCK_KEY = 0x6A7E5CA7
_WRITE_OPTION = "gatescan_write"


def redacted(url: str | URL) -> str:
    """A database URL safe to log or print (password hidden)."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """The issuer database: an engine plus `read()` and `write()` transactions."""

    def __init__(self, url: str, *, pool_size: int = 8,
                 creator: Callable[[], Any] | None = None) -> None:
        """`creator` (SQLite only) makes the DB-API connections: the power-cut tests' seam."""
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self.is_sqlite else nullcontext())
        if self.is_sqlite:
            self._prepare_sqlite_file()
            extra: dict[str, Any] = {} if creator is None else {"creator": creator}
            self.engine = create_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size,
                connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}, **extra)
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=pool_size,
                                        pool_pre_ping=True)
            event.listen(self.engine, "connect", _postgresql_connect)
        log.info("database %s", redacted(self.url))

    def _prepare_sqlite_file(self) -> None:
        name = self.url.database
        if not name or name == ":memory:":
            raise ValueError("the SQLite database must be a file")
        path = Path(name)
        if not path.exists():
            # SQLite gives the -wal and -shm files the main file's mode, so set it first.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction that sees one consistent snapshot."""
        with self.engine.connect() as conn:
            if not self.is_sqlite:
                conn.execution_options(isolation_level="REPEATABLE READ",
                                       postgresql_readonly=True)
            with conn.begin():
                yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, serialized with every other writer (see the module doc)."""
        with self._write_lock, self.engine.connect() as conn:
            if self.is_sqlite:
                conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                if not self.is_sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": WRITE_LOCK_KEY})
                yield conn


def _postgresql_connect(dbapi_conn: Any, _record: Any) -> None:
    # psycopg prepares a statement run five times; PostgreSQL then settles on a generic plan,
    # picked while the tables of a new event were still near empty: a sequential scan of
    # `scans` per pushed batch (seconds per push at a few hundred thousand scans). A plan
    # made for each execution's own parameters uses the indexes; parsing is still saved.
    with dbapi_conn.cursor() as cur:
        cur.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_conn.commit()


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN (pysqlite's own BEGIN is deferred-only).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        _wal(cur)
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB:d}")
        cur.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES:d}")
        cur.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_KEEP_BYTES:d}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    finally:
        cur.close()


def _wal(cur: Any) -> None:
    """Switch a new file to WAL. Openers racing on a fresh file get SQLITE_BUSY at once
    (the switch does not wait on the busy timeout), so retry until the timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # primary result code
            busy = code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
