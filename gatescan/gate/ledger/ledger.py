"""The gate's local ledger: one SQLite file in WAL mode, the verifier's `LedgerView`.

`Ledger.redeem` is the heart of a gate: under one `BEGIN IMMEDIATE`
transaction it checks the code against the ledger, appends the scan to the
hash-chained log and commits with `synchronous=FULL`, and only then returns the
verdict. Two processes sharing the file therefore serialize on the write lock
and a ticket is admitted once. One `Ledger` object per thread.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import replace as with_changes
from pathlib import Path
from typing import IO, Any, Literal

from gatescan.gate.ledger import chain, lookup, rebuild, replica, supervisor
from gatescan.gate.ledger.errors import LedgerError, strict_text, translated
from gatescan.gate.ledger.importer import ImportResult, Progress, import_manifest
from gatescan.gate.ledger.schema import MIGRATIONS, SchemaTooNewError, migrate, schema_version
from gatescan.gate.ledger.status import EventRef, LedgerStatus
from gatescan.gate.verify.verifier import verify, verify_manual
from gatescan.gate.verify.view import GateContext, Movement, TicketRecord
from gatescan.protocol.policy import EventPolicy, PolicyError
from gatescan.protocol.token import MAX_TICKET_ID
from gatescan.protocol.verdict import Outcome, Verdict

log = logging.getLogger(__name__)

Source = Literal["camera", "wedge", "manual", "cli", "remote"]
SOURCES: frozenset[str] = frozenset({"camera", "wedge", "manual", "cli", "remote"})
DEFAULT_BUSY_TIMEOUT = 5.0
# Opens the SQLite connection (path, busy timeout in s): the seam the power-cut tests use
# to run this very code through a crash-simulating VFS (tests/crashvfs.py).
Connect = Callable[[Path, float], sqlite3.Connection]
_MOVEMENT_OUTCOMES = tuple(o.value for o in Outcome if o.counts_as_movement)
# An override is an entry; an undone admission is not (gatescan.gate.ledger.supervisor).
_MOVEMENT_SQL = (
    "SELECT device_time, gate, direction, device_id FROM scans a "
    f"WHERE ticket_id = ? AND outcome IN ({', '.join('?' for _ in _MOVEMENT_OUTCOMES)}) "
    f"AND event_id IN (SELECT event_id FROM events) AND NOT {supervisor.UNDONE_CLAUSE} "
    "ORDER BY device_time, seq"
)
CODE_CONFIRMS_CLOCK_S = 900.0  # a code verified this recently vouches for the gate's clock
# Scanned codes whose time step matched this gate's clock (they got past the step check).
_NOT_CLOCK_WITNESSES = ("malformed", "bad_signature", "unknown_key", "wrong_event",
                        "stale_code", "future_code", "clock_unset")
_CLOCK_WITNESS_SQL = (
    "SELECT device_time FROM scans WHERE source IN ('camera', 'wedge', 'cli') "
    f"AND outcome NOT IN ({', '.join('?' for _ in _NOT_CLOCK_WITNESSES)}) "
    "ORDER BY seq DESC LIMIT 1"
)
_INSERT_SCAN_SQL = (
    f"INSERT INTO scans ({', '.join(chain.HASHED_COLUMNS)}, prev_hash, hash) "
    f"VALUES ({', '.join('?' for _ in chain.HASHED_COLUMNS)}, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class Redemption:
    """The verdict of one scan and where it was recorded (`scan_id` is None for a dry run)."""

    verdict: Verdict
    scan_id: str | None
    seq: int | None = None

    @property
    def recorded(self) -> bool:
        """True if the scan is durably in the log."""
        return self.scan_id is not None


def connect_sqlite(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """The production connection: the stdlib driver in autocommit mode."""
    return sqlite3.connect(path, isolation_level=None, timeout=busy_timeout)


class Ledger:
    """The local SQLite ledger of one gate device."""

    def __init__(self, path: str | os.PathLike[str], *,
                 busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
                 connect: Connect = connect_sqlite) -> None:
        self.path = Path(path)
        self._policy_cache: tuple[tuple[Any, ...], EventPolicy] | None = None
        self._identity: FileIds = ()
        before = _file_id(self.path)
        conn: sqlite3.Connection | None = None
        try:
            with translated(), _damaged_schema_text():
                conn = connect(self.path, busy_timeout)
                conn.text_factory = strict_text
                conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000):d}")
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise LedgerError("no_wal", f"the ledger cannot use WAL mode (got {mode})")
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA journal_size_limit = 67108864")
                _quick_check_once(conn, self.path, before)
                migrate(conn)
                _check_schema(conn, self.path)
                self._identity = _identify(self.path, before)
        except SchemaTooNewError as exc:
            assert conn is not None
            conn.close()
            raise LedgerError("schema_too_new", str(exc)) from exc
        except LedgerError as exc:
            if conn is not None:
                conn.close()
            if exc.code == "corrupt":  # damaged before any scan was decided: say what to do
                cause = exc.__cause__
                raise _damaged(self.path, getattr(cause, "sqlite_errorname", None)
                               or exc.message) from exc
            raise
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        self.conn: sqlite3.Connection = conn

    def close(self) -> None:
        """Close the connection (committed scans are already on disk)."""
        self.conn.close()

    def check_file(self) -> None:
        """Raise `LedgerError('ledger_gone')` unless the path still names the file written to.

        A ledger deleted or replaced under a running gate keeps accepting writes
        into an unlinked inode that nobody will ever read: a commit there is not
        a record. Two `stat` calls; run after every commit, before reporting it.
        """
        for path, ident in self._identity:
            if _file_id(path) != ident:
                raise LedgerError(
                    "ledger_gone", f"the ledger file {self.path} was deleted or replaced "
                    "while the gate was running: nothing is being recorded; restart the gate "
                    "app (see docs/operations.md, 'A damaged or lost ledger')")

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- LedgerView -----------------------------------------------------------------

    def event(self, event_id: int) -> EventPolicy | None:
        """The policy of the loaded event if it is `event_id`, else None."""
        row = self.conn.execute(
            "SELECT policy FROM events WHERE event_id = ?", (event_id,)).fetchone()
        if row is None:
            return None
        # Keyed by the stored text: a policy change synced by another connection shows at once.
        key = (event_id, row[0])
        if self._policy_cache is not None and self._policy_cache[0] == key:
            return self._policy_cache[1]
        try:
            policy = EventPolicy.from_dict(json.loads(row[0]))
        except (PolicyError, ValueError) as exc:
            raise LedgerError("corrupt", f"stored event policy is damaged: {exc}") from exc
        self._policy_cache = (key, policy)
        return policy

    def issuer_keys(self, event_id: int, kid: bytes) -> list[bytes]:
        """Trusted issuer public keys of the event with this key id."""
        return [bytes(k) for (k,) in self.conn.execute(
            "SELECT public_key FROM keys WHERE event_id = ? AND kid = ?", (event_id, kid))]

    def ticket(self, ticket_id: int) -> TicketRecord | None:
        """The ticket as last imported; an unlisted ticket with a revocation is returned revoked."""
        row = self.conn.execute(
            "SELECT type_id, serial, seat, revoked, revoked_reason FROM tickets "
            "WHERE ticket_id = ?", (ticket_id,)).fetchone()
        if row is not None:
            return TicketRecord(ticket_id, row[0], row[1], bool(row[3]), row[4], row[2])
        rev = self.conn.execute(
            "SELECT serial, reason FROM revocations WHERE ticket_id = ? "
            "ORDER BY serial IS NULL DESC, serial DESC LIMIT 1", (ticket_id,)).fetchone()
        if rev is None:
            return None
        # Not on the list but revoked: serial S refuses S and newer, supersedes older.
        return TicketRecord(ticket_id, type_id=0, serial=rev[0] or 0, revoked=True,
                            revoked_reason=rev[1])

    def credential(self, ticket_id: int) -> bytes | None:
        """The ticket's signed credential as synced (for compact codes), or None."""
        row = self.conn.execute("SELECT credential FROM credentials WHERE ticket_id = ?",
                                (ticket_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def find_tickets(self, query: str) -> list[lookup.TicketMatch]:
        """Tickets for a manual lookup: by ticket number, order code or name (docs/ledger.md)."""
        with translated():
            return lookup.find_tickets(self.conn, query)

    def movements(self, ticket_id: int) -> list[Movement]:
        """Earlier admitted entries and exits of the ticket in the loaded event, oldest first."""
        return [Movement(t, g, d, dev) for (t, g, d, dev) in
                self.conn.execute(_MOVEMENT_SQL, (ticket_id, *_MOVEMENT_OUTCOMES,
                                                  *supervisor.UNDONE_PARAMS))]

    # -- redemption -------------------------------------------------------------------

    def redeem(self, text: str | bytes, now: float, gate: GateContext, *,
               source: Source = "cli", dry_run: bool = False) -> Redemption:
        """Verify a scanned code, record the scan durably, then return the verdict.

        Raises `LedgerError` if the scan cannot be recorded: the caller must not
        show green then. With `dry_run`, verifies only and records nothing.
        """
        if source not in SOURCES:
            raise ValueError(f"unknown scan source {source!r}")
        if not math.isfinite(now):
            raise ValueError("now must be a finite unix time")
        now = float(now)
        with translated():
            if dry_run:
                self.conn.execute("BEGIN")  # one consistent snapshot for all reads
                try:
                    return Redemption(verify(text, now, self, gate), None)
                finally:
                    self._rollback()
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                verdict = verify(text, now, self, gate)
                scan_id, seq = self._append_scan(verdict, now, gate, source)
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        self.check_file()
        log.debug("scan %s: %s", scan_id, verdict.outcome.value)
        return Redemption(verdict, scan_id, seq)

    def redeem_manual(self, ticket_id: int, now: float, gate: GateContext) -> Redemption:
        """Decide an admission by typed ticket id (a dead phone), record it as `manual`, return it.

        The same transaction as `redeem`: the ticket-level checks (known, not
        cancelled, type, slot, gate, earlier use) run under `BEGIN IMMEDIATE` and
        the scan is committed, hash-chained, before the verdict is returned. A
        `gate.clock_confirmed` False is taken as confirmed when a code scanned at
        this gate in the last 15 minutes matched the clock (the scan path's check).
        Raises `LedgerError` if the scan cannot be recorded, or with code
        `no_event` when no event is loaded.
        """
        if isinstance(ticket_id, bool) or not isinstance(ticket_id, int) \
                or not 0 <= ticket_id <= MAX_TICKET_ID:
            raise ValueError(f"not a ticket id: {ticket_id!r}")
        if not math.isfinite(now):
            raise ValueError("now must be a finite unix time")
        now = float(now)
        with translated():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                event_id = self.loaded_event_id()
                policy = None if event_id is None else self.event(event_id)
                if policy is None:
                    raise LedgerError("no_event", "no event loaded: import a manifest first")
                if not gate.clock_confirmed and self._clock_witnessed(now):
                    gate = with_changes(gate, clock_confirmed=True)
                verdict = verify_manual(ticket_id, now, self, gate, policy)
                scan_id, seq = self._append_scan(verdict, now, gate, "manual")
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        self.check_file()
        log.debug("manual scan %s: %s", scan_id, verdict.outcome.value)
        return Redemption(verdict, scan_id, seq)

    def _clock_witnessed(self, now: float) -> bool:
        """True if a code scanned here in the last `CODE_CONFIRMS_CLOCK_S` agreed with this
        clock: its rotating time step is the scan path's clock check, so it vouches for `now`."""
        row = self.conn.execute(_CLOCK_WITNESS_SQL, _NOT_CLOCK_WITNESSES).fetchone()
        return row is not None and 0 <= now - float(row[0]) <= CODE_CONFIRMS_CLOCK_S

    def _append_scan(self, verdict: Verdict, now: float, gate: GateContext,
                     source: str) -> tuple[str, int]:
        t = verdict.ticket
        return self._append_row((
            verdict.event_id, t.ticket_id if t else None, t.serial if t else None,
            gate.device_id, gate.gate, gate.direction, verdict.outcome.value,
            int(verdict.admit), verdict.reason, now), source)

    def _append_row(self, fields: tuple[object, ...], source: str) -> tuple[str, int]:
        """Chain one row: `fields` are the hashed columns from event_id to device_time."""
        last_seq, prev = chain.head(self.conn)
        seq = last_seq + 1
        scan_id = chain.new_scan_id()
        values: chain.ScanValues = (seq, scan_id, *fields, float(time.time()), source)
        self.conn.execute(_INSERT_SCAN_SQL, (*values, prev, chain.row_hash(prev, values)))
        return scan_id, seq

    # -- supervisor actions (gatescan.gate.ledger.supervisor) -------------------------------

    def admit_anyway(self, refused_scan_id: str, reason: str, now: float, gate: GateContext, *,
                     window: float = supervisor.DEFAULT_UNDO_WINDOW) -> Redemption:
        """Record a supervisor's "admit anyway" for this gate's latest scan, a refusal.

        Raises `SupervisorError` (blank reason, not the latest scan, not refused,
        too old) or `LedgerError` if it cannot be recorded.
        """
        text = supervisor.clean_reason(reason)
        return self._supervise(now, lambda: supervisor.refused_target(
            self.conn, refused_scan_id, now, gate, window),
            Outcome.OVERRIDE_ADMITTED, text, gate, "manual")

    def undo_admission(self, reason: str, now: float, gate: GateContext, *,
                       scan_id: str | None = None,
                       window: float = supervisor.DEFAULT_UNDO_WINDOW) -> Redemption:
        """Record that the person of this gate's latest admission (or of `scan_id`) did not
        go through: the ticket can enter again. Raises `SupervisorError` or `LedgerError`."""
        text = supervisor.clean_reason(reason)
        return self._supervise(now, lambda: supervisor.undo_target(
            self.conn, now, gate, window, scan_id), Outcome.ADMISSION_UNDONE, text, gate,
            "manual" if scan_id is None else None)

    def last_admission(self, device_id: str) -> supervisor.ScanRef | None:
        """This device's latest admission (for the manager view's undo button)."""
        with translated():
            return supervisor.last_admission(self.conn, device_id)

    def _supervise(self, now: float, target: Callable[[], supervisor.ScanRef],
                   outcome: Outcome, reason: str, gate: GateContext,
                   source: str | None) -> Redemption:
        if not math.isfinite(now):
            raise ValueError("now must be a finite unix time")
        now = float(now)
        with self._write():
            ref: supervisor.ScanRef = target()
            policy = None if ref.event_id is None else self.event(ref.event_id)
            type_id = supervisor.type_id_of(self.conn, ref)
            ttype = None if policy is None or type_id is None else policy.ticket_type(type_id)
            fields, verdict = supervisor.action_values(
                self.conn, ref, outcome, reason, now, gate, ttype.name if ttype else None)
            # An automatic undo keeps the source of the scan it cancels.
            scan_id, seq = self._append_row(fields, source or ref.source)
        log.info("supervisor action %s recorded as scan %s", outcome.value, scan_id)
        return Redemption(verdict, scan_id, seq)

    def _rollback(self) -> None:
        # SQLite rolls back by itself on some errors (disk full, I/O error).
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error as exc:
                log.warning("ledger rollback failed: %s", exc)

    # -- manifest, log, status ------------------------------------------------------

    def import_manifest(self, source: str | os.PathLike[str] | IO[bytes], *,
                        expect_key: str | None = None, progress: Progress = False,
                        replace: bool = False, pinned: tuple[str, ...] = ()) -> ImportResult:
        """Load a signed event manifest, all or nothing (see `gatescan.gate.ledger.importer`)."""
        with translated():
            result = import_manifest(self.conn, source, expect_key=expect_key,
                                     progress=progress, replace=replace, pinned=pinned)
        self.check_file()
        return result

    def verify_chain(self) -> chain.ChainReport:
        """Re-check the scan log's hash chain (on one consistent snapshot)."""
        with translated():
            self.conn.execute("BEGIN")
            try:
                return chain.verify_chain(self.conn)
            finally:
                self._rollback()

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One `BEGIN IMMEDIATE` transaction, committed on success, rolled back otherwise."""
        with translated():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        self.check_file()

    # -- sync (gatescan.gate.ledger.replica) ------------------------------------------------------

    def unsent_scans(self, *, after_seq: int = 0, limit: int = 1000) -> list[replica.UnsentScan]:
        """The next scans to upload, in log order (not rejected, not unparseable codes)."""
        with translated():
            return replica.unsent_scans(self.conn, after_seq=after_seq, limit=limit)

    def iter_unsent(self) -> Iterator[replica.UnsentScan]:
        """Every scan not acknowledged by the server (rejected ones too), for an export file."""
        with translated():
            self.conn.execute("BEGIN")  # one consistent snapshot
            try:
                yield from replica.iter_unsent(self.conn)
            finally:
                self._rollback()

    def record_upload_results(self, acknowledged: Iterable[str],
                              rejected: Iterable[tuple[str, str]] = (),
                              conflicts: Iterable[str] = (), *,
                              at: float | None = None) -> int:
        """Apply a push's per-item results in one transaction; returns scans newly marked sent."""
        when = time.time() if at is None else at
        with self._write():
            return replica.record_upload_results(self.conn, acknowledged, rejected, conflicts,
                                                 when)

    def resend_after(self, seq: int) -> int:
        """Queue this gate's own sent scans after log position `seq` again (the server lost
        them); returns how many (see `replica.resend_after`)."""
        with self._write():
            return replica.resend_after(self.conn, seq)

    def log_head(self) -> int:
        """The position of the scan log's last row (0: empty)."""
        with translated():
            return chain.head(self.conn)[0]
    def restore_scans(self, scans: Iterable[rebuild.ExportedScan]) -> int:
        """Append exported scans (`gatescan recover`) not in the log yet, unsent; how many."""
        with self._write():
            return rebuild.restore_scans(self.conn, scans)

    def retry_rejected(self) -> int:
        """Queue the scans the server rejected for upload again; returns how many."""
        with self._write():
            return replica.retry_rejected(self.conn)

    def upload_counts(self) -> replica.UploadCounts:
        """Pending, rejected and conflicting uploads."""
        with translated():
            return replica.upload_counts(self.conn)

    def apply_changes(self, event_id: int, changes: Sequence[replica.Change], cursor: str, *,
                      server_time: float | None = None) -> replica.AppliedChanges:
        """Apply one pulled page of changes and store its cursor, all in one transaction."""
        with self._write():
            result = replica.apply_changes(self.conn, event_id, changes, cursor)
            if server_time is not None:
                replica.note_time_seen(self.conn, server_time)
        self._policy_cache = None
        return result

    def update_sync_state(self, values: Mapping[str, str | None], *,
                          time_seen: float | None = None) -> None:
        """Store (None: remove) several sync state values and a server time, in one transaction."""
        with self._write():
            for key, value in values.items():
                self._set("sync_state", key, value)
            if time_seen is not None:
                replica.note_time_seen(self.conn, time_seen)

    def newest_time_seen(self) -> float | None:
        """The latest trustworthy time this ledger has seen (for the gate's clock check)."""
        with translated():
            return replica.newest_time_seen(self.conn)

    def wipe_event(self) -> None:
        """Forget the event (tickets, keys, policy) and sync state; the scan log stays."""
        with self._write():
            replica.wipe_event(self.conn)
        self._policy_cache = None
        log.warning("event data wiped from the ledger")

    def loaded_event_id(self) -> int | None:
        """The id of the event this ledger holds, or None."""
        with translated():
            row = self.conn.execute("SELECT event_id FROM events").fetchone()
        return None if row is None else int(row[0])

    def newest_unsent_seq(self) -> int:
        """The log position of the newest unsent scan, 0 if none (cheap: for polling)."""
        with translated():
            row = self.conn.execute("SELECT max(seq) FROM scans INDEXED BY scans_pending "
                                    "WHERE uploaded = 0").fetchone()
        return int(row[0] or 0)

    def sync_state(self, key: str) -> str | None:
        """A value the sync client keeps between runs (cursor, server time offset...)."""
        return self._get("sync_state", key)

    def set_sync_state(self, key: str, value: str | None) -> None:
        """Store (or with None, remove) a sync state value."""
        self._set("sync_state", key, value)

    def setting(self, key: str) -> str | None:
        """A device setting stored in the ledger file."""
        return self._get("settings", key)

    def set_setting(self, key: str, value: str | None) -> None:
        """Store (or with None, remove) a device setting."""
        self._set("settings", key, value)

    def _get(self, table: Literal["sync_state", "settings"], key: str) -> str | None:
        with translated():
            row = self.conn.execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set(self, table: Literal["sync_state", "settings"], key: str, value: str | None) -> None:
        with translated():
            if value is None:
                self.conn.execute(f"DELETE FROM {table} WHERE key = ?", (key,))
            else:
                self.conn.execute(f"INSERT OR REPLACE INTO {table} (key, value) VALUES (?, ?)",
                                  (key, value))

    def status(self) -> LedgerStatus:
        """Event, ticket and scan counts, last import and pending uploads, for `gatescan status`."""
        with translated():
            self.conn.execute("BEGIN")
            try:
                return self._status()
            finally:
                self._rollback()

    def _status(self) -> LedgerStatus:
        q = self.conn.execute
        ev = q("SELECT event_id, name, sequence, generated_at, imported_at FROM events"
               ).fetchone()
        by_outcome = {o: n for (o, n) in q(
            "SELECT outcome, count(*) FROM scans GROUP BY outcome ORDER BY outcome")}
        uploads = replica.upload_counts(self.conn)
        return LedgerStatus(
            path=str(self.path),
            schema_version=schema_version(self.conn),
            event=None if ev is None else EventRef(ev[0], ev[1]),
            manifest_sequence=None if ev is None else ev[2],
            manifest_generated_at=None if ev is None else ev[3],
            last_import=None if ev is None else ev[4],
            tickets=q("SELECT count(*) FROM tickets").fetchone()[0],
            revoked_tickets=q("SELECT count(*) FROM tickets WHERE revoked = 1").fetchone()[0],
            revocations=q("SELECT count(*) FROM revocations").fetchone()[0],
            scans=sum(by_outcome.values()),
            scans_by_outcome=by_outcome,
            # An override is an admission, an undo takes one back (gatescan.gate.ledger.supervisor).
            admitted=q("SELECT count(*) FILTER (WHERE outcome IN (?, ?)) "
                       "- count(*) FILTER (WHERE outcome = ?) FROM scans",
                       (*supervisor.ENTRY_ADMITS, supervisor.UNDONE)).fetchone()[0],
            pending_uploads=uploads.pending, rejected_uploads=uploads.rejected,
            upload_conflicts=uploads.conflicts, local_only_scans=uploads.local_only,
        )


def _file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, None if there is none."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


FileIds = tuple[tuple[Path, tuple[int, int]], ...]


def _identify(path: Path, before: tuple[int, int] | None) -> FileIds:
    """The files a commit goes to (the database and its WAL), as opened.

    While SQLite holds them open their inodes cannot be reused, so a path that
    still names the same (device, inode) names the very file being written.
    """
    now = _file_id(path)
    if now is None or (before is not None and before != now):
        raise LedgerError("ledger_gone", f"the ledger file {path} was replaced while opening")
    ids = [(path, now)]
    wal = path.with_name(path.name + "-wal")
    wal_id = _file_id(wal)
    if wal_id is not None:
        ids.append((wal, wal_id))
    return tuple(ids)


_CHECKED: set[tuple[str, int, int]] = set()  # files this process has quick-checked
_CHECKED_LOCK = threading.Lock()


def _quick_check_once(conn: sqlite3.Connection, path: Path,
                      ident: tuple[int, int] | None) -> None:
    """`PRAGMA quick_check` the first time this process opens the file.

    It reads the whole file (a quarter of a second for a million tickets), and
    the sync engine opens the ledger every round: later damage shows as SQLite's
    own CORRUPT error on the pages it touches.
    """
    key = None if ident is None else (str(path.resolve()), *ident)
    with _CHECKED_LOCK:
        if key is not None and key in _CHECKED:
            return
    _quick_check(conn, path)
    if key is not None:
        with _CHECKED_LOCK:
            _CHECKED.add(key)


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """`PRAGMA quick_check`: a damaged file is refused before any scan is decided."""
    problems = [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise _damaged(path, problems[0][:120])


@functools.cache
def _expected_schema(version: int) -> frozenset[tuple[str, str, str, str | None]]:
    """sqlite_master as the migrations up to `version` make it (on a throw-away database)."""
    scratch = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(scratch, MIGRATIONS[:version])
        return _schema_rows(scratch)
    finally:
        scratch.close()


def _schema_rows(conn: sqlite3.Connection) -> frozenset[tuple[str, str, str, str | None]]:
    return frozenset(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """A table, index or trigger of the migrations that is missing or reads differently.

    That is damaged schema text that still parses. Objects someone added are left alone.
    """
    version = schema_version(conn)
    if not _expected_schema(version) <= _schema_rows(conn):
        raise _damaged(path, "its schema is not the one GateScan writes")


def _damaged(path: Path, detail: str) -> LedgerError:
    """The error for a file found damaged at open, saying how to recover."""
    return LedgerError(
        "ledger_damaged", f"the ledger file {path} is damaged ({detail}): run `gatescan "
        "recover` (see docs/operations.md, 'A damaged or lost ledger')")


@contextmanager
def _damaged_schema_text() -> Iterator[None]:
    """SQLite's message about a damaged schema quotes the damaged bytes, which may not be UTF-8.

    The stdlib then raises `UnicodeDecodeError` instead of `sqlite3.DatabaseError`:
    inside the ledger's own open sequence that can only mean a damaged file.
    """
    try:
        yield
    except UnicodeDecodeError as exc:
        raise LedgerError("corrupt", "its schema cannot be read") from exc
