"""Where the time goes between a decoded code and its verdict on screen: one sample a verdict.

The app stamps each step with `time.perf_counter()`; the bench (bench/ui.py)
prints the breakdown. Nothing here waits or decides anything.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass

STAGES = ("handed", "queued", "recorded", "received", "updated", "painted", "flushed")


@dataclass(slots=True)
class LatencySample:
    """Perf-counter stamps of one verdict, from the decode to the paint."""

    decoded: float  # the camera (or wedge) produced the text
    routed: float | None  # the UI thread passed it on (None: it went straight to the ledger)
    started: float  # the ledger thread took it up
    recorded: float  # the scan was durably committed
    received: float  # the UI thread got the verdict
    updated: float = 0.0  # the widgets hold the verdict (texts, colours, page)
    painted: float = 0.0  # the window's paint pass with the verdict panel in it is done
    flushed: float = 0.0  # the event loop came back after that paint
    ui_cpu_ms: float = 0.0  # UI-thread CPU time from `received` to `flushed` (not wall time)
    _cpu: float = 0.0  # time.thread_time() at `received`

    def steps_ms(self) -> dict[str, float]:
        """Milliseconds spent in each step (see `STAGES`), 'handed' being the UI-thread hop."""
        routed = self.routed if self.routed is not None else self.decoded
        return {
            "handed": (routed - self.decoded) * 1000,
            "queued": (self.started - routed) * 1000,
            "recorded": (self.recorded - self.started) * 1000,
            "received": (self.received - self.recorded) * 1000,
            "updated": (self.updated - self.received) * 1000,
            "painted": (self.painted - self.updated) * 1000,
            "flushed": (self.flushed - self.painted) * 1000,
        }


class LatencyLog:
    """The latest samples (bounded), filled in step by step by the app on the UI thread."""

    def __init__(self, size: int = 5000) -> None:
        self.samples: collections.deque[LatencySample] = collections.deque(maxlen=size)
        self._routed: dict[float, float] = {}
        self._pending: LatencySample | None = None
        self._painted: LatencySample | None = None

    def routed(self, decoded_at: float) -> None:
        """The UI thread handed the code decoded at `decoded_at` to the ledger thread."""
        if len(self._routed) > 100:  # codes the ledger never answered (closed): forget them
            self._routed.clear()
        self._routed[decoded_at] = time.perf_counter()

    def received(self, decoded_at: float, started: float, recorded: float) -> None:
        """A verdict reached the UI thread."""
        self._pending = LatencySample(decoded_at, self._routed.pop(decoded_at, None), started,
                                      recorded, time.perf_counter(), _cpu=time.thread_time())

    def pending(self) -> LatencySample | None:
        """The sample of the verdict on its way to the screen, if any."""
        return self._pending

    def updated(self) -> None:
        """The widgets now show the pending verdict (it is painted next)."""
        if self._pending is not None:
            self._pending.updated = time.perf_counter()

    def painted(self) -> bool:
        """The verdict is on screen; True if that completed a pending sample's paint."""
        sample, self._pending = self._pending, None
        if sample is None or sample.updated == 0.0:
            self._pending = sample
            return False
        sample.painted = time.perf_counter()
        self._painted = sample
        return True

    def flushed(self) -> None:
        """The event loop is back after the verdict's paint: the sample is complete."""
        sample, self._painted = self._painted, None
        if sample is not None:
            sample.flushed = time.perf_counter()
            sample.ui_cpu_ms = (time.thread_time() - sample._cpu) * 1000
            self.samples.append(sample)
