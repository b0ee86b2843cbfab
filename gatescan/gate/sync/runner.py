"""`SyncRunner`: a `SyncEngine` on a background thread (plain threading; the UI has its own worker).

It runs a round at once, then every `interval` while online and with growing,
jittered backoff while offline. While online it also runs a round right after a
new scan: `request_sync()` is the in-process hook, and it watches the ledger for
unsent scans written by other processes (`gatescan check`, the UI) too.
`SyncEngine.request_sync()` wakes it as well, for code that holds only the engine.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.sync.engine import SyncEngine
from gatescan.gate.sync.status import SyncStatus

log = logging.getLogger(__name__)

StatusListener = Callable[[SyncStatus], None]


class SyncRunner:
    """Runs sync rounds on one thread until `stop()`."""

    def __init__(self, engine: SyncEngine, *, on_status: StatusListener | None = None,
                 watch: bool = True) -> None:
        self.engine = engine
        self.on_status = on_status
        self.watch = watch
        self.rounds = 0
        self._wake = engine.wanted  # engine.request_sync() wakes this runner
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the sync thread."""
        if self._thread is not None:
            raise RuntimeError("the sync runner is already running")
        self._thread = threading.Thread(target=self._run, name="gatescan-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Ask the thread to finish its round and end; returns whether it ended in time."""
        self._stop.set()
        self._wake.set()
        self.engine.interrupt()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def request_sync(self, *, force: bool = False) -> None:
        """Sync soon: at once when online (after a scan, say), or at once anyway with `force`."""
        self.engine.request_sync(force=force)

    def _run(self) -> None:
        watcher: Ledger | None = None
        next_round = time.monotonic()
        seen = 0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if now >= next_round or self._wake.is_set():
                    self._wake.clear()
                    self._round()
                    next_round = time.monotonic() + self.engine.next_delay()
                    watcher, seen = self._watch(watcher, None)
                    continue
                self._wake.wait(min(self.engine.config.watch_interval, next_round - now))
                if self.watch and self.engine.online and not self._stop.is_set():
                    watcher, newest = self._watch(watcher, seen)
                    if newest > seen:
                        log.debug("new scans: syncing now")
                        self._wake.set()
        finally:
            if watcher is not None:
                watcher.close()

    def _round(self) -> None:
        if self._stop.is_set():
            return
        try:
            status = self.engine.sync_once()
        except Exception:  # a bug in the engine: log it in full, keep the gate running
            log.exception("sync round failed")
            return
        self.rounds += 1
        if self.on_status is not None:
            self.on_status(status)

    def _watch(self, watcher: Ledger | None, seen: int | None) -> tuple[Ledger | None, int]:
        """The newest unsent scan's position (opening the ledger once it exists)."""
        try:
            if watcher is None:
                if not self.engine.settings.ledger_path.exists():
                    return None, 0
                watcher = Ledger(self.engine.settings.ledger_path)
            return watcher, watcher.newest_unsent_seq()
        except LedgerError as exc:
            log.warning("cannot watch the ledger for new scans: %s", exc.message)
            return watcher, seen or 0
