"""The gate's idea of the time: its own clock until a sync, then the server's.

A Raspberry Pi has no real-time clock and may boot in 1970 or on yesterday's
time. Every answer from the server carries its time, so the gate keeps an
offset to it, measured against a clock that only runs forward (CLOCK_BOOTTIME
on Linux: it counts suspend too, and setting the wall clock does not move it).
That offset is valid for the current boot only; it is stored with the boot id
so another process on the same boot (`gatescan check` after `gatescan sync`)
can use it, and dropped after a reboot.

Clock policy (docs/sync-client.md): synced this boot → SYNCED, time = server's;
otherwise a wall clock more than `slack` seconds earlier than the newest time
the ledger has seen (a server time, the manifest's, its last write) → UNSET, and
the gate refuses time-dependent admits with CLOCK_UNSET (amber); else UNSYNCED,
trusted as it is.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gatescan.gate.sync.status import ClockState

log = logging.getLogger(__name__)

CLOCK_KEY = "clock"  # the ledger's sync_state entry holding the offset and its boot id
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")
DEFAULT_SLACK = 300.0  # a clock up to 5 minutes behind what the gate has seen is just drift
MAX_RTT = 30.0  # a round trip longer than this says nothing useful about the time


def boot_clock() -> float:
    """Seconds since boot, never set back (suspend included where the OS can)."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        return time.clock_gettime(boottime)
    return time.monotonic()


def boot_id() -> str | None:
    """An id of the current boot (Linux), or None where there is none."""
    try:
        return BOOT_ID_FILE.read_text().strip() or None
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class TimeSample:
    """One exchange with the server: boot-clock readings around it and the server's time."""

    sent: float
    received: float
    server_time: float


class GateClock:
    """Tracks the server-time offset (thread-safe enough: one float replaced atomically)."""

    def __init__(self, *, wall: Callable[[], float] = time.time,
                 boot: Callable[[], float] = boot_clock,
                 boot_id_fn: Callable[[], str | None] = boot_id,
                 slack: float = DEFAULT_SLACK) -> None:
        self.wall = wall
        self.boot = boot
        self._boot_id = boot_id_fn()
        self.slack = slack
        self._offset: float | None = None  # server time minus boot clock
        self._rtt = math.inf

    @property
    def synced(self) -> bool:
        """True once the server's time is known on this boot."""
        return self._offset is not None

    def learn(self, sample: TimeSample) -> None:
        """Take the server time from one exchange.

        The server stamps its time as the answer leaves, after any work on the
        request, so it is compared with the moment the answer arrived (off by the
        one-way network delay, milliseconds on a venue LAN), not the midpoint.
        """
        rtt = sample.received - sample.sent
        if not (math.isfinite(sample.server_time) and 0 <= rtt <= MAX_RTT):
            return
        offset = sample.server_time - sample.received
        if self._offset is None:
            log.info("learned the server's time: offset to the wall clock %+.1f s",
                     offset + self.boot() - self.wall())
        self._offset = offset
        self._rtt = rtt

    def now(self) -> float:
        """The best idea of the current unix time."""
        if self._offset is not None:
            return self.boot() + self._offset
        return self.wall()

    def offset(self) -> float | None:
        """Server time minus this device's wall clock, once synced (add it to time.time())."""
        if self._offset is None:
            return None
        return self.boot() + self._offset - self.wall()

    def state(self, newest_seen: float | None) -> ClockState:
        """SYNCED, UNSET (wall clock behind what the gate has already seen) or UNSYNCED."""
        if self._offset is not None:
            return ClockState.SYNCED
        if newest_seen is not None and self.wall() < newest_seen - self.slack:
            return ClockState.UNSET
        return ClockState.UNSYNCED

    def trusted(self, newest_seen: float | None) -> bool:
        """Whether time-dependent checks may use `now()`."""
        return self.state(newest_seen) is not ClockState.UNSET

    def dump(self) -> str | None:
        """The offset as stored text (with this boot's id), or None if there is nothing to keep."""
        if self._offset is None or self._boot_id is None:
            return None
        return json.dumps({"boot_id": self._boot_id, "offset": self._offset, "rtt": self._rtt})

    def restore(self, text: str | None) -> bool:
        """Reuse an offset stored on this same boot; returns whether it was taken."""
        if not text or self._boot_id is None:
            return False
        try:
            data = json.loads(text)
            if data.get("boot_id") != self._boot_id:
                return False
            offset = float(data["offset"])
        except (ValueError, TypeError, KeyError, AttributeError):
            return False
        if not math.isfinite(offset):
            return False
        self._offset = offset
        self._rtt = float(data.get("rtt", math.inf))
        return True
