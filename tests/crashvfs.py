"""A power-cut simulator for SQLite files: an APSW VFS that forgets every write not yet synced.

`kill -9` keeps the kernel's page cache, so it cannot show what a power cut does.
This VFS passes every operation through to the real files (the default unix VFS,
so locking and the WAL index are SQLite's own) and keeps, per file, an undo log
of the writes and truncations since that file's last `xSync`. At the chosen
operation the "power goes": that and every later operation is dropped, the
connection is abandoned, and `PowerCutDisk.reboot` rewrites each file to what a
disk could hold after the cut: the last synced image, plus (in "torn" mode) a
random subset of the unsynced writes, the last kept one torn at a 512-byte
sector, as SQLite's own crash tests model it (writes outside their range are
never damaged: SQLite's powersafe-overwrite assumption).

The code under test runs unchanged: `ApswConnection` gives the ledger's SQL the
few `sqlite3.Connection` methods it uses, through `Ledger(connect=...)`.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import apsw

SECTOR = 512
_names = itertools.count()


class PowerCut(BaseException):
    """Raised at the simulated power cut; BaseException so no `except Exception` swallows it."""


@dataclass(slots=True)
class _Op:
    offset: int
    old: bytes  # bytes the operation overwrote or cut off
    new: bytes | None  # written bytes; None for a truncation
    old_size: int


@dataclass
class PowerCutDisk:
    """Counts write and sync operations; at `crash_at` the power goes (None: never)."""

    crash_at: int | None = None
    torn: bool = False
    lying: bool = False  # a disk that acknowledges syncs but keeps nothing (the control case)
    rng: random.Random = field(default_factory=random.Random)
    ops: int = 0
    crashed: bool = False
    pending: dict[str, list[_Op]] = field(default_factory=dict)

    def tick(self) -> None:
        """One durable-state operation is about to run; cut the power here if it is time."""
        if self.crashed:
            raise PowerCut
        self.ops += 1
        if self.crash_at is not None and self.ops >= self.crash_at:
            self.crashed = True
            raise PowerCut

    def reboot(self) -> None:
        """Put every file into a state the disk could be in after the cut (files are closed)."""
        for name, ops in self.pending.items():
            if not ops:
                continue
            path = Path(name)
            if not path.exists():
                continue  # deleted before the cut (SQLite syncs the directory for that)
            with open(path, "r+b") as f:
                for op in reversed(ops):
                    f.seek(op.offset)
                    f.write(op.old)
                    if op.new is not None:
                        f.truncate(op.old_size)
                if self.torn and all(op.new is not None for op in ops):
                    kept = [op for op in ops if self.rng.random() < 0.5]
                    for i, op in enumerate(kept):
                        assert op.new is not None
                        data = op.new
                        if i == len(kept) - 1 and len(data) > SECTOR:
                            data = data[:SECTOR * self.rng.randrange(1, len(data) // SECTOR + 1)]
                        f.seek(op.offset)
                        f.write(data)
            ops.clear()


class _File(apsw.VFSFile):
    """A file of the real filesystem whose unsynced writes can be forgotten."""

    def __init__(self, disk: PowerCutDisk, name: Any, flags: list[int]) -> None:
        super().__init__("", name, flags)
        self._disk = disk
        path = name.filename() if isinstance(name, apsw.URIFilename) else name
        self._ops = disk.pending.setdefault(str(path), [])

    def _read(self, amount: int, offset: int) -> bytes:
        size = int(super().xFileSize())
        if offset >= size:
            return b""
        return bytes(super().xRead(min(amount, size - offset), offset))

    def xWrite(self, data: bytes, offset: int) -> None:
        """Write through, remembering what was there."""
        if self._disk.crashed:
            return  # the power is off: nothing reaches the disk any more
        try:
            self._disk.tick()
        except PowerCut:
            return
        old_size = int(super().xFileSize())
        self._ops.append(_Op(offset, self._read(len(data), offset), bytes(data), old_size))
        super().xWrite(data, offset)

    def xTruncate(self, newsize: int) -> None:
        """Truncate, remembering the cut-off tail."""
        if self._disk.crashed:
            return
        try:
            self._disk.tick()
        except PowerCut:
            return
        old_size = int(super().xFileSize())
        tail = self._read(max(0, old_size - newsize), newsize)
        self._ops.append(_Op(newsize, tail, None, old_size))
        super().xTruncate(newsize)

    def xSync(self, flags: int) -> None:
        """Make this file's writes so far durable."""
        if self._disk.crashed:
            return
        try:
            self._disk.tick()
        except PowerCut:
            return
        # No real fsync: durability is what this log says, and the tests stay fast.
        if not self._disk.lying:
            self._ops.clear()


class PowerCutVFS(apsw.VFS):
    """Registers a uniquely named VFS whose files report to `disk`."""

    def __init__(self, disk: PowerCutDisk) -> None:
        self.disk = disk
        self.vfs_name = f"powercut{next(_names)}"
        super().__init__(self.vfs_name, "")

    def xOpen(self, name: Any, flags: list[int]) -> _File:
        """Open a real file through the default VFS, watched."""
        return _File(self.disk, name, flags)

    def xDelete(self, filename: str, syncdir: bool) -> None:
        """Delete (the WAL at the last close) unless the power is off."""
        if not self.disk.crashed:
            super().xDelete(filename, syncdir)


class _Result:
    """The part of `sqlite3.Cursor` the ledger uses: rows (fetched at once) and rowcount."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self._iter = iter(rows)
        self.rowcount = rowcount

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None."""
        return next(self._iter, None)

    def fetchall(self) -> list[tuple[Any, ...]]:
        """The remaining rows."""
        return list(self._iter)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return self._iter


class ApswConnection:
    """An `apsw.Connection` with the `sqlite3.Connection` surface the ledger code uses.

    SQLite errors come out as `sqlite3.OperationalError` carrying the same
    `sqlite_errorcode`, so the ledger's error classification runs as in production.
    A `PowerCut` raised inside the VFS propagates unchanged.
    """

    def __init__(self, path: Path, vfs: PowerCutVFS, busy_timeout: float) -> None:
        self._conn = apsw.Connection(str(path), vfs=vfs.vfs_name)
        self._conn.set_busy_timeout(int(busy_timeout * 1000))
        self.text_factory: Any = str
        self._disk = vfs.disk

    def _run(self, call: Any) -> _Result:
        before = self._conn.total_changes()
        try:
            rows = [tuple(r) for r in call()]
        except apsw.Error as exc:
            if self._disk.crashed:
                raise PowerCut from exc
            err = sqlite3.OperationalError(str(exc))
            err.sqlite_errorcode = getattr(exc, "extendedresult", None)  # type: ignore[attr-defined]
            err.sqlite_errorname = type(exc).__name__  # type: ignore[attr-defined]
            raise err from exc
        if self._disk.crashed:
            raise PowerCut  # the statement "finished" on a machine that is already off
        return _Result(rows, self._conn.total_changes() - before)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Result:
        """Run one statement and fetch its rows."""
        return self._run(lambda: self._conn.execute(sql, tuple(params)))

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> _Result:
        """Run one statement for each parameter row."""
        rows = [tuple(p) for p in seq]
        if not rows:
            return _Result([], 0)
        return self._run(lambda: self._conn.executemany(sql, rows))

    @property
    def in_transaction(self) -> bool:
        """True inside BEGIN ... COMMIT."""
        return not self._conn.get_autocommit()

    def close(self) -> None:
        """Close the connection and its files."""
        self._conn.close(True)


class _DbapiCursor:
    """A DB-API 2.0 cursor (what SQLAlchemy's pysqlite dialect calls) over `ApswDbapi`."""

    arraysize = 1

    def __init__(self, owner: ApswDbapi) -> None:
        self._owner = owner
        self._rows: list[tuple[Any, ...]] = []
        self.description: tuple[tuple[Any, ...], ...] | None = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> _DbapiCursor:
        """Run one statement, fetching its rows at once."""
        conn = self._owner.apsw
        before = conn.total_changes()

        described: list[tuple[Any, ...]] = []

        def trace(cursor: apsw.Cursor, _sql: str, _bindings: Any) -> bool:
            described[:] = cursor.get_description()  # prepared, not yet run: even 0 rows
            return True

        def run() -> list[tuple[Any, ...]]:
            cur = conn.cursor()
            cur.exec_trace = trace
            cur.execute(sql, params if isinstance(params, dict) else tuple(params))
            rows = [tuple(r) for r in cur]
            self.description = tuple((d[0], None, None, None, None, None, None)
                                     for d in described) or None
            return rows

        self._rows = self._owner.run(run)
        self.rowcount = conn.total_changes() - before
        self.lastrowid = conn.last_insert_rowid()
        return self

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> _DbapiCursor:
        """Run one statement per parameter row."""
        conn = self._owner.apsw
        before = conn.total_changes()
        rows = [p if isinstance(p, dict) else tuple(p) for p in seq]
        self._owner.run(lambda: list(conn.executemany(sql, rows)) if rows else [])
        self.description = None
        self.rowcount = conn.total_changes() - before
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None."""
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """Up to `size` rows."""
        n = size or self.arraysize
        out, self._rows = self._rows[:n], self._rows[n:]
        return out

    def fetchall(self) -> list[tuple[Any, ...]]:
        """The remaining rows."""
        out, self._rows = self._rows, []
        return out

    def close(self) -> None:
        """Nothing to release: rows were fetched at once."""


class ApswDbapi:
    """A DB-API 2.0 connection over APSW, for `sqlalchemy.create_engine(creator=...)`."""

    def __init__(self, path: Path, vfs: PowerCutVFS) -> None:
        self.apsw = apsw.Connection(str(path), vfs=vfs.vfs_name)
        self._disk = vfs.disk
        self.isolation_level: str | None = None

    def run(self, call: Any) -> Any:
        """Call into APSW; SQLite errors as `sqlite3` errors, a dead machine as `PowerCut`."""
        try:
            result = call()
        except apsw.Error as exc:
            if self._disk.crashed:
                raise PowerCut from exc
            kind = (sqlite3.IntegrityError if isinstance(exc, apsw.ConstraintError)
                    else sqlite3.OperationalError)
            err = kind(str(exc))
            err.sqlite_errorcode = getattr(exc, "extendedresult", None)  # type: ignore[attr-defined]
            raise err from exc
        if self._disk.crashed:
            raise PowerCut
        return result

    def cursor(self) -> _DbapiCursor:
        """A new cursor."""
        return _DbapiCursor(self)

    def commit(self) -> None:
        """COMMIT if a transaction is open."""
        if not self.apsw.get_autocommit():
            self.run(lambda: self.apsw.execute("COMMIT"))

    def rollback(self) -> None:
        """ROLLBACK if a transaction is open."""
        if not self.apsw.get_autocommit():
            self.run(lambda: self.apsw.execute("ROLLBACK"))

    def create_function(self, name: str, nargs: int, func: Any, **_: Any) -> None:
        """Register a scalar SQL function."""
        self.apsw.create_scalar_function(name, func, nargs)

    def close(self) -> None:
        """Close the connection and its files."""
        self.apsw.close(True)
