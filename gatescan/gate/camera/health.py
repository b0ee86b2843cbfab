"""Camera health: is the camera delivering pictures staff can scan with? No Qt here.

`HealthMonitor` turns what the capture thread sees (source states, frame
arrivals, the pictures themselves) and a periodic watchdog check into one
`CameraHealth`, reported through a callback whenever it changes. The gate
screen replaces READY by "camera not working" for every outage state.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gatescan.gate.camera.frames import Image, SourceState

log = logging.getLogger(__name__)


class CameraHealth(enum.Enum):
    """Whether the camera can be scanned with, and if not, why."""

    STARTING = "starting"  # opening, no frame yet
    OK = "ok"  # new, non-black frames keep arriving
    MISSING = "missing"  # could not be opened, never delivered a frame (wrong index, absent)
    LOST = "lost"  # delivered frames, then failed (unplugged, read errors, folder gone)
    FROZEN = "frozen"  # open, but no new frame for `frozen_after` seconds
    BLACK = "black"  # frames arrive but are black / near-uniform dark (lens cap, dead sensor)
    ENDED = "ended"  # a video or folder played to its end
    FAILED = "failed"  # cannot work as configured (not retried)
    STOPPED = "stopped"  # closed on purpose (switching sources, shutting down)

    @property
    def is_outage(self) -> bool:
        """True when the gate cannot scan with the camera: staff must use another way."""
        return self in _OUTAGES


_OUTAGES = frozenset({CameraHealth.MISSING, CameraHealth.LOST, CameraHealth.FROZEN,
                      CameraHealth.BLACK, CameraHealth.ENDED, CameraHealth.FAILED})

HealthCallback = Callable[[CameraHealth, str], None]


@dataclass(frozen=True, slots=True)
class HealthSettings:
    """Thresholds for the watchdog; built once and passed in."""

    frozen_after: float = 2.0  # seconds without a new frame
    black_after: float = 2.0  # seconds of black frames
    black_level: float = 20.0  # mean luma (0..255) below which a frame is dark ...
    black_spread: float = 8.0  # ... if its standard deviation is below this too
    start_grace: float = 5.0  # seconds an opening camera may take to deliver its first frame
    check_every: float = 0.25  # watchdog period, and how often a frame's darkness is measured


def is_black(image: Image, level: float = 20.0, spread: float = 8.0) -> bool:
    """True for a black or near-uniform dark picture (a sparse sample: ~10 µs at 720p)."""
    sample = image[::16, ::16]
    if sample.size == 0:
        return True
    return float(sample.mean()) < level and float(sample.std()) < spread


def _noop(_health: CameraHealth, _detail: str) -> None:
    pass


class HealthMonitor:
    """Tracks one pipeline's camera health; safe to call from the capture and watchdog threads.

    Changes are reported under the monitor's lock, so the listener sees them in
    the order they happened; it must only hand them on (emit a signal), never
    call back in.
    """

    def __init__(self, settings: HealthSettings | None = None, on_change: HealthCallback = _noop,
                 *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or HealthSettings()
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self.health = CameraHealth.STOPPED
        self._state = SourceState.IDLE
        self._ever_delivered = False
        self._opened_at = 0.0
        self._last_frame = 0.0
        self._last_measured = -1e9
        self._dark_since: float | None = None

    def source_state(self, state: SourceState, detail: str) -> None:
        """The capture loop's state changed (see `SourceState`)."""
        with self._lock:
            self._state = state
            now = self._clock()
            if state is SourceState.OPENING:
                self._opened_at = now
                # Retries keep the outage that caused them: no flicker, no second alarm.
                if not self.health.is_outage:
                    self._set(CameraHealth.STARTING, detail)
            elif state is SourceState.LIVE:
                self._last_frame = now
                self._dark_since = None
                self._last_measured = -1e9  # OK comes with the first frame that is not black
            elif state is SourceState.UNAVAILABLE:
                self._set(CameraHealth.LOST if self._ever_delivered else CameraHealth.MISSING,
                          detail)
            elif state is SourceState.ENDED:
                self._set(CameraHealth.ENDED, detail)
            elif state is SourceState.FAILED:
                self._set(CameraHealth.FAILED, detail)
            else:
                self._set(CameraHealth.STOPPED, detail)

    def frame(self, image: Image) -> None:
        """A new frame arrived (capture thread)."""
        settings = self.settings
        with self._lock:
            now = self._clock()
            self._last_frame = now
            self._ever_delivered = True
            if now - self._last_measured < settings.check_every and self.health in (
                    CameraHealth.OK, CameraHealth.BLACK):
                return  # darkness is sampled a few times a second, not per frame
            self._last_measured = now
            if not is_black(image, settings.black_level, settings.black_spread):
                self._dark_since = None
                self._set(CameraHealth.OK, "frames arriving")
                return
            if self._dark_since is None:
                self._dark_since = now
            if now - self._dark_since >= settings.black_after:
                self._set(CameraHealth.BLACK, "frames are black")
            # else: too soon to say; the health in force (even an outage) stays

    def check(self) -> None:
        """The watchdog's periodic look: an open source with no new frame is frozen."""
        with self._lock:
            now = self._clock()
            if self._state is SourceState.LIVE:
                silent = now - self._last_frame
                if silent >= self.settings.frozen_after:
                    self._set(CameraHealth.FROZEN, f"no new frame for {silent:.1f} s")
            elif (self._state is SourceState.OPENING and self.health is CameraHealth.STARTING
                  and now - self._opened_at >= self.settings.start_grace):
                self._set(CameraHealth.FROZEN,
                          f"no picture {now - self._opened_at:.1f} s after opening")

    def _set(self, new: CameraHealth, detail: str) -> None:
        if new is self.health:
            return
        self.health = new
        (log.warning if new.is_outage else log.info)("camera health: %s (%s)", new.value, detail)
        try:
            self._on_change(new, detail)
        except Exception:  # the listener's bug must not stop the camera; logged in full
            log.exception("health callback failed")
