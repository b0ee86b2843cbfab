"""`SyncEngine`: one sync round pushes unsent scans, then pulls what changed; offline by design.

A round is safe to cut anywhere. Scans are marked sent only when the server's
per-item result says `stored` or `duplicate` for that scan id, so a crash between
sending and the answer, a timeout, a 500 or a lost answer leaves them unsent and
the next round sends them again (the server stores each scan id once). A page of
changes is committed together with the cursor after it. The engine keeps no
network state between rounds except the clock and the failure count (backoff);
everything the UI and `gatescan status` show is persisted in the ledger.

The UI drives it through `SyncService` (`sync_once`, `status`); `SyncRunner`
(gatescan.gate.sync.runner) runs it in a thread for `gatescan sync`.
"""

from __future__ import annotations

import logging
import os
import random
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import httpx

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.replica import CURSOR_KEY, OWN_SCANS_KEY, UnsentScan
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.client import SyncClient, push_body, server_view
from gatescan.gate.sync.clock import CLOCK_KEY as CLOCK
from gatescan.gate.sync.clock import GateClock
from gatescan.gate.sync.credentials import Credentials, CredentialsError
from gatescan.gate.sync.errors import (
    DeviceRevoked,
    Refused,
    ServerFailed,
    ServerUnreachable,
    SyncError,
)
from gatescan.gate.sync.rollback import ROLLBACK, RollbackWatch, stored_rollback
from gatescan.gate.sync.status import ClockState, SyncStatus
from gatescan.protocol.manifest import ManifestError
from gatescan.protocol.wire import PushAnswer, PushResult, Unreadable

log = logging.getLogger(__name__)

# sync_state keys (the ledger's small key/value store)
ONLINE, OFFLINE_SINCE, LAST_SYNC, LAST_PULL = "online", "offline_since", "last_sync", "last_pull"
LAST_ERROR, REVOKED_AT = "last_error", "device_revoked"
LAST_ERROR_CODE = "last_error_code"  # the stable code of LAST_ERROR, for the UI to branch on
BATCH_REFUSALS = frozenset({400, 413, 422})  # the server refused a whole batch as malformed


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """Batch sizes and timing of the engine and its runner."""

    batch_size: int = 5000       # scans per push at most (as many as the server says it takes)
    page_size: int = 2000        # changes per pull page (each page is one ledger transaction)
    interval: float = 15.0       # seconds between rounds while online
    backoff_min: float = 2.0     # first retry delay while offline
    backoff_max: float = 60.0    # longest retry delay while offline
    watch_interval: float = 0.5  # how often the runner looks for new local scans


@dataclass(frozen=True, slots=True)
class RoundReport:
    """What the last round moved (for logs and `gatescan sync`)."""

    pushed: int = 0
    rejected: int = 0
    conflicts: int = 0
    pulled: int = 0
    remote_scans: int = 0
    manifest: bool = False


class SyncEngine:
    """The gate's sync engine (a `sync.status.SyncService`); no Qt, no threads."""

    def __init__(self, settings: ScannerSettings, http: httpx.Client | None, *,
                 config: SyncConfig | None = None, clock: GateClock | None = None) -> None:
        self.settings = settings
        self.http = http
        self.config = config or SyncConfig()
        self.clock = clock or GateClock()
        self._lock = threading.RLock()
        self._interrupted = threading.Event()
        self.wanted = threading.Event()  # set by request_sync(); a runner waits on it
        self._failures = 0
        self._online = False
        self.last_report = RoundReport()
        self.crash_hook: Callable[[str], None] | None = None  # tests: simulate a crash
        self._watch: RollbackWatch | None = None  # this round's view of the server
        self._restore_clock()

    # -- SyncService ---------------------------------------------------------------------

    def sync_once(self) -> SyncStatus:
        """Push pending scans, pull changes; never raises for network or server trouble."""
        with self._lock:
            self._interrupted.clear()
            try:
                self._round()
            except (LedgerError, OSError) as exc:  # the ledger itself cannot be opened or written
                self._failures += 1
                log.error("sync: %s", exc.message if isinstance(exc, LedgerError) else exc)
        return self.status()

    def request_sync(self, *, force: bool = False) -> None:
        """Ask for a round soon: call it right after a scan. Heeded while online (or forced)."""
        if force or self._online:
            self.wanted.set()

    def interrupt(self) -> None:
        """Ask a running round to stop after its current batch or page (for shutdown)."""
        self._interrupted.set()

    def status(self) -> SyncStatus:
        """The current state, read from the ledger (no network)."""
        try:
            creds = Credentials.load(self.settings.data_dir)
        except CredentialsError as exc:
            return SyncStatus(error=str(exc))
        if not self.settings.ledger_path.exists():
            return SyncStatus(enrolled=creds is not None, clock_offset=self.clock.offset(),
                              clock_state=self.clock.state(None))
        try:
            with Ledger(self.settings.ledger_path) as ledger:
                counts = ledger.upload_counts()
                state = {k: ledger.sync_state(k) for k in
                         (ONLINE, OFFLINE_SINCE, LAST_SYNC, LAST_PULL, LAST_ERROR, REVOKED_AT,
                          LAST_ERROR_CODE)}
                newest = ledger.newest_time_seen()
                rollback = stored_rollback(ledger)
        except LedgerError as exc:
            return SyncStatus(enrolled=creds is not None, error=exc.message)
        return SyncStatus(
            enrolled=creds is not None,
            online=state[ONLINE] == "1",
            offline_since=_float(state[OFFLINE_SINCE]),
            pending_uploads=counts.pending,
            last_sync=_float(state[LAST_SYNC]),
            last_pull=_float(state[LAST_PULL]),
            clock_offset=self.clock.offset(),
            clock_state=self.clock.state(newest),
            device_revoked=state[REVOKED_AT] is not None,
            conflicts=counts.conflicts,
            error=state[LAST_ERROR] or (None if rollback is None else str(rollback["message"])),
            rejected_uploads=counts.rejected,
            server_rollback=rollback,
            error_code=state[LAST_ERROR_CODE] if state[LAST_ERROR] else
            None if rollback is None else "server_rollback",
            pinned_keys=creds.issuer_keys if creds is not None else (),
        )

    # -- helpers for callers ----------------------------------------------------------------

    def now(self) -> float:
        """The gate's best idea of the time (the server's once synced)."""
        return self.clock.now()

    def clock_state(self) -> ClockState:
        """SYNCED, UNSYNCED or UNSET, judged against the newest time the ledger has seen."""
        newest = None
        if self.settings.ledger_path.exists():
            with Ledger(self.settings.ledger_path) as ledger:
                newest = ledger.newest_time_seen()
        return self.clock.state(newest)

    @property
    def online(self) -> bool:
        """Whether the last round reached the server."""
        return self._online

    def next_delay(self) -> float:
        """Seconds until the next round: the interval when online, backoff with jitter when not."""
        if self._failures == 0:
            return self.config.interval
        growth = float(1 << min(self._failures - 1, 16))
        base = min(self.config.backoff_max, self.config.backoff_min * growth)
        return base * random.uniform(0.8, 1.2)

    def retry_rejected(self) -> int:
        """Queue the scans the server rejected for another try; returns how many."""
        with self._lock, Ledger(self.settings.ledger_path) as ledger:
            return ledger.retry_rejected()

    def acknowledge_rollback(self) -> bool:
        """Clear the 'server behind' warning (the operator dealt with it); False if none."""
        with self._lock, Ledger(self.settings.ledger_path) as ledger:
            found = ledger.sync_state(ROLLBACK) is not None
            ledger.update_sync_state({ROLLBACK: None})
        return found

    # -- one round ------------------------------------------------------------------------

    def _round(self) -> None:
        try:
            creds = Credentials.load(self.settings.data_dir)
        except CredentialsError as exc:
            log.error("sync: %s", exc)
            return
        if creds is None:
            return
        if self.http is None:
            raise RuntimeError("this SyncEngine was built without an HTTP client (status only)")
        self.settings.ensure_dir()
        with Ledger(self.settings.ledger_path) as ledger:
            if ledger.sync_state(REVOKED_AT) is not None:
                return
            api = SyncClient(self.http, creds.url, creds.token, on_time=self.clock.learn,
                             boot=self.clock.boot)
            self._watch = watch = RollbackWatch(ledger, self.clock.now())
            try:
                api.pending = ledger.upload_counts().pending
                # Before pushing anything new: does the server still hold what it confirmed?
                watch.saw(server_view(api.me().get("server")))
                watch.check()
                pushed = self._push(api, ledger)
                api.pending = ledger.upload_counts().pending  # the pull tells what is left
                report = self._pull(api, ledger, creds, pushed)
                if watch.check():  # the server lost scans it had acknowledged: send them again
                    again = self._push(api, ledger)
                    report = replace(report, pushed=report.pushed + again.pushed,
                                     rejected=report.rejected + again.rejected,
                                     conflicts=report.conflicts + again.conflicts)
                watch.settle(api)
            except DeviceRevoked:
                self._revoked(ledger)
                return
            except (ServerUnreachable, ServerFailed) as exc:
                self._offline(ledger, exc)
                return
            except Refused as exc:
                self._refused(ledger, exc)
                return
            except ManifestError as exc:
                self._failed(ledger, f"the server's manifest was refused ({exc.code}): "
                                     f"{exc.message}", exc.code)
                return
            except LedgerError as exc:
                log.error("sync: ledger: %s", exc.message)
                self._failed(ledger, exc.message)
                return
            except OSError as exc:  # e.g. no room for the downloaded manifest
                log.error("sync: %s", exc)
                self._failed(ledger, f"cannot write in {self.settings.data_dir}: "
                                     f"{exc.strerror or exc}")
                return
            self._succeeded(ledger, report)

    def _push(self, api: SyncClient, ledger: Ledger) -> RoundReport:
        """Send every unsent scan, batch by batch, applying each batch's results as they come.

        Batches go in log order, one in flight at a time: batch N+1 is sent once the
        server has answered batch N, before the gate records N's results, so that the
        gate's ledger write for N (and its reading N+2 from the log) overlaps the
        server storing N+1. A crash therefore loses at most the answers to two
        batches; those scans stay unsent and go again, answered `duplicate`.
        """
        totals = [0, 0, 0]
        batch = ledger.unsent_scans(after_seq=0, limit=self._push_limit(api))
        with ThreadPoolExecutor(1, thread_name_prefix="sync-push") as sender:
            reply = sender.submit(api.push, push_body([s.as_wire() for s in batch])
                                  ) if batch else None
            while reply is not None:
                following = [] if self._interrupted.is_set() else ledger.unsent_scans(
                    after_seq=batch[-1].seq, limit=self._push_limit(api))
                # Encoded here rather than on the sender thread, so that it leaves at once.
                body = push_body([s.as_wire() for s in following])
                answer: PushAnswer | None = None
                counts: tuple[int, ...] = (0, 0, 0)
                try:
                    answer = reply.result()
                except Refused as exc:
                    if exc.status not in BATCH_REFUSALS:
                        raise
                    counts = self._split(api, ledger, batch, exc)  # before N+1 is sent
                if self.crash_hook is not None:
                    self.crash_hook("answered")
                reply = None
                if following and not self._interrupted.is_set():  # else: stop after this one
                    reply = sender.submit(api.push, body)
                if answer is not None:
                    counts = self._record(ledger, batch, answer)
                for i, n in enumerate(counts):
                    totals[i] += n
                batch = following
        return RoundReport(pushed=totals[0], rejected=totals[1], conflicts=totals[2])

    def _push_limit(self, api: SyncClient) -> int:
        """Scans in the next push: the configured batch, within what the server takes (it
        says so in each answer; 1,000 until it has, the most every server takes)."""
        return max(1, min(self.config.batch_size, api.push_limit))

    def _send(self, api: SyncClient, ledger: Ledger, batch: list[UnsentScan]) -> tuple[int, ...]:
        """Push one batch and record its results (nothing else in flight)."""
        try:
            answer = api.push([s.as_wire() for s in batch])
        except Refused as exc:
            if exc.status not in BATCH_REFUSALS:
                raise
            return self._split(api, ledger, batch, exc)
        return self._record(ledger, batch, answer)

    def _split(self, api: SyncClient, ledger: Ledger, batch: list[UnsentScan],
               exc: Refused) -> tuple[int, ...]:
        """The server refused `batch` as malformed: push its halves one after the other
        until the bad item is alone, and set only that one aside."""
        if len(batch) == 1:
            log.warning("scan %s refused by the server: %s", batch[0].scan_id, exc.message)
            ledger.record_upload_results([], [(batch[0].scan_id, f"{exc.code}: {exc.message}")])
            return (0, 1, 0)
        half = len(batch) // 2
        a = self._send(api, ledger, batch[:half])
        b = self._send(api, ledger, batch[half:])
        return tuple(x + y for x, y in zip(a, b, strict=True))

    def _record(self, ledger: Ledger, batch: list[UnsentScan], answer: PushAnswer
                ) -> tuple[int, ...]:
        """Record the server's per-item results for `batch`: (acknowledged, rejected,
        conflicts)."""
        if self.crash_hook is not None:
            self.crash_hook("pushed")
        if self._watch is not None:
            self._watch.saw(answer.server)
        acked, rejected, conflicts = _results(batch, answer.results)
        ledger.record_upload_results(acked, rejected, conflicts, at=answer.server_time)
        for scan_id, error in rejected:
            log.warning("scan %s rejected by the server: %s", scan_id, error)
        return (len(acked), len(rejected), len(conflicts))

    def _pull(self, api: SyncClient, ledger: Ledger, creds: Credentials,
              report: RoundReport) -> RoundReport:
        manifest = False
        cursor = ledger.sync_state(CURSOR_KEY)
        if cursor is None or ledger.loaded_event_id() != creds.event_id:
            cursor = self._pull_manifest(api, ledger, creds)
            manifest = True
        pulled = remote = 0
        reset = False
        own = ledger.sync_state(OWN_SCANS_KEY) is not None
        while True:
            try:
                page = api.changes(cursor, self.config.page_size, own=own)
            except Refused as exc:
                if exc.code not in ("cursor_ahead", "bad_cursor", "invalid_request") or reset:
                    raise
                # The server's feed was rebuilt (or our cursor is damaged): start over from
                # its manifest. Applying changes twice is harmless.
                log.warning("the server refused the cursor (%s): pulling the manifest again",
                            exc.code)
                if exc.code == "cursor_ahead" and self._watch is not None:
                    self._watch.cursor_ahead(cursor)
                cursor, manifest, reset = self._pull_manifest(api, ledger, creds), True, True
                own = True
                continue
            if self._watch is not None:
                self._watch.saw(page.server)
            applied = ledger.apply_changes(creds.event_id, page.entries, page.cursor,
                                           server_time=page.server_time)
            if self.crash_hook is not None:
                self.crash_hook("pulled")
            pulled += len(page.entries)
            remote += applied.scans
            cursor = page.cursor
            if not page.more and own:  # caught up, this gate's own scans included
                ledger.update_sync_state({OWN_SCANS_KEY: None})
                own = False
            if not page.more or self._interrupted.is_set():
                break
        return RoundReport(report.pushed, report.rejected, report.conflicts, pulled, remote,
                           manifest)

    def _pull_manifest(self, api: SyncClient, ledger: Ledger, creds: Credentials) -> str:
        fd, name = tempfile.mkstemp(prefix=".manifest-", dir=self.settings.data_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                download = api.download_manifest(out)
            loaded = ledger.loaded_event_id()
            if self._watch is not None:
                self._watch.manifest(download.sequence)
            try:
                result = ledger.import_manifest(name, replace=loaded not in (None,
                                                                              creds.event_id),
                                                pinned=creds.issuer_keys)
                log.info("pulled manifest %d: %d tickets", result.sequence, result.tickets)
                if self._watch is not None:
                    self._watch.manifest_loaded(download.sequence)
            except ManifestError as exc:
                if exc.code != "older_manifest":
                    raise
                # A newer manifest came from a file: the feed from this cursor catches up.
                if self._watch is not None:
                    self._watch.manifest_loaded(download.sequence)
                log.info("kept the newer manifest already loaded; catching up from the feed")
        finally:
            os.unlink(name)
        # From a manifest the gate may lack scans it made itself (a recovered ledger, a new
        # SD card): the feed is asked for them too until it is caught up (docs/sync-protocol.md).
        ledger.update_sync_state({CURSOR_KEY: download.cursor, OWN_SCANS_KEY: "1"},
                                 time_seen=download.server_time)
        return download.cursor

    # -- round endings ---------------------------------------------------------------------

    def _succeeded(self, ledger: Ledger, report: RoundReport) -> None:
        now = self.clock.now()
        self._failures, self._online, self.last_report = 0, True, report
        ledger.update_sync_state({ONLINE: "1", OFFLINE_SINCE: None, LAST_ERROR: None,
                                  LAST_ERROR_CODE: None, LAST_SYNC: repr(now), LAST_PULL: repr(now),
                                  CLOCK: self.clock.dump()},
                                 time_seen=now if self.clock.synced else None)
        if report.pushed or report.pulled or report.rejected:
            log.info("sync: pushed %d, rejected %d, pulled %d changes (%d scans from other gates)",
                     report.pushed, report.rejected, report.pulled, report.remote_scans)

    def _offline(self, ledger: Ledger, exc: SyncError) -> None:
        self._failures += 1
        if self._online or self._failures == 1:
            log.warning("sync: server unreachable: %s", exc.message)
        self._online = False
        since = ledger.sync_state(OFFLINE_SINCE) or repr(self.clock.now())
        ledger.update_sync_state({ONLINE: "0", OFFLINE_SINCE: since,
                                  LAST_ERROR: f"offline: {exc.message}",
                                  LAST_ERROR_CODE: exc.code,
                                  CLOCK: self.clock.dump()})

    def _refused(self, ledger: Ledger, exc: Refused) -> None:
        # The server is there and said no: not offline, but nothing moves until fixed.
        self._failures += 1
        self._online = True
        message = exc.message
        if exc.status == 401:
            message = "the server does not know this gate's token: enroll it again"
        log.error("sync refused (%s): %s", exc.code, message)
        ledger.update_sync_state({ONLINE: "1", OFFLINE_SINCE: None, LAST_ERROR: message,
                                  LAST_ERROR_CODE: exc.code,
                                  CLOCK: self.clock.dump()})

    def _failed(self, ledger: Ledger, message: str, code: str | None = None) -> None:
        self._failures += 1
        try:
            ledger.update_sync_state({LAST_ERROR: message, LAST_ERROR_CODE: code})
        except LedgerError:
            log.error("sync: cannot record the failure either: %s", message)

    def _revoked(self, ledger: Ledger) -> None:
        unsent = ledger.upload_counts().pending
        ledger.wipe_event()
        message = ("This gate was revoked by the organizer: its event data has been wiped"
                   + (f" ({unsent} unsent scans kept: `gatescan export-scans FILE`)"
                      if unsent else ""))
        ledger.update_sync_state({REVOKED_AT: repr(self.clock.now()), LAST_ERROR: message,
                                  ONLINE: "1"})
        Credentials.delete(self.settings.data_dir)
        self._online, self._failures = True, 0
        log.error("%s", message)

    def _restore_clock(self) -> None:
        if not self.settings.ledger_path.exists():
            return
        try:
            with Ledger(self.settings.ledger_path) as ledger:
                self.clock.restore(ledger.sync_state(CLOCK))
        except LedgerError as exc:
            log.warning("cannot read the stored clock offset: %s", exc.message)


def _results(batch: list[UnsentScan], results: Sequence[PushResult | Unreadable]
             ) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """Split per-item results into acknowledged, rejected and conflicting scan ids.

    Only a result naming a scan id of this batch counts; anything else (a
    duplicated, foreign or unreadable result) is ignored and the scan simply stays unsent.
    """
    sent = {s.scan_id for s in batch}
    acked: dict[str, None] = {}
    rejected: dict[str, str] = {}
    conflicts: dict[str, None] = {}
    positional = len(results) == len(batch)
    for i, res in enumerate(results):
        if isinstance(res, Unreadable):
            continue
        scan_id = res.scan_id
        if scan_id is None and positional and res.status == "rejected":
            scan_id = batch[i].scan_id  # an item too broken to name itself
        if scan_id not in sent:
            if scan_id is not None:
                log.warning("push answer names a scan that was not sent: ignored")
            continue
        if res.status in ("stored", "duplicate"):
            acked[scan_id] = None
            rejected.pop(scan_id, None)
            if res.conflict:
                conflicts[scan_id] = None
        elif scan_id not in acked:
            rejected[scan_id] = (res.error or "rejected")[:300]
    return list(acked), list(rejected.items()), list(conflicts)


def _float(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None
