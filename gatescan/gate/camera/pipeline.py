"""The scan pipeline: a capture thread keeping only the newest frame, and a decode worker.

No Qt here: the UI wraps a `ScanPipeline` in a QThread-owned object and turns
the callbacks into signals. Callbacks run on the pipeline's threads.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from gatescan.gate.camera.debounce import DEFAULT_COOLDOWN, Debouncer, describe_code
from gatescan.gate.camera.decoders import Decoder
from gatescan.gate.camera.frames import (
    Frame,
    FrameSource,
    Image,
    SourceState,
    SourceUnavailable,
    SourceUnsupported,
    as_image,
)
from gatescan.gate.camera.health import CameraHealth, HealthCallback, HealthMonitor, HealthSettings

log = logging.getLogger(__name__)

DecodedCallback = Callable[[str, float], None]
PreviewCallback = Callable[[Image, float], None]
StateCallback = Callable[[SourceState, str], None]


@dataclass(frozen=True, slots=True)
class Roi:
    """A region of interest as fractions of the frame: left, top, width, height in 0..1."""

    x: float
    y: float
    w: float
    h: float

    def __post_init__(self) -> None:
        values = (self.x, self.y, self.w, self.h)
        if not all(np.isfinite(v) for v in values):
            raise ValueError("ROI values must be finite")
        if self.x < 0 or self.y < 0 or self.w <= 0 or self.h <= 0:
            raise ValueError("ROI needs x, y >= 0 and a positive width and height")
        if self.x + self.w > 1.0 + 1e-9 or self.y + self.h > 1.0 + 1e-9:
            raise ValueError("ROI must lie inside the frame (fractions 0..1)")

    def crop(self, image: Image) -> Image:
        """The ROI of `image` as a view (at least one pixel)."""
        height, width = image.shape[:2]
        x0, y0 = int(self.x * width), int(self.y * height)
        x1 = max(x0 + 1, min(width, round((self.x + self.w) * width)))
        y1 = max(y0 + 1, min(height, round((self.y + self.h) * height)))
        return image[y0:y1, x0:x1]


def parse_roi(text: str) -> Roi:
    """Parse `x,y,w,h` fractions such as `0.25,0.1,0.5,0.8`; raises ValueError."""
    parts = text.replace(" ", "").split(",")
    if len(parts) != 4:
        raise ValueError("ROI is four comma-separated fractions: x,y,w,h")
    try:
        x, y, w, h = (float(p) for p in parts)
    except ValueError:
        raise ValueError("ROI values must be numbers") from None
    return Roi(x, y, w, h)


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """Tuning for the pipeline; built once and passed in."""

    cooldown: float = DEFAULT_COOLDOWN
    preview_fps: float = 15.0  # 0 disables preview frames
    roi: Roi | None = None
    max_width: int | None = None  # downscale wider frames before decoding (slow devices)
    backoff_initial: float = 0.5
    backoff_max: float = 5.0  # a replugged camera is back within this many seconds
    health: HealthSettings = field(default_factory=HealthSettings)


def preprocess(image: Image, roi: Roi | None, max_width: int | None) -> Image:
    """Crop to the ROI, convert to grayscale and downscale: what the decoder is given."""
    if roi is not None:
        image = roi.crop(image)
    if image.ndim == 3:
        image = as_image(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    if max_width and image.shape[1] > max_width:
        height = max(1, round(image.shape[0] * max_width / image.shape[1]))
        image = as_image(cv2.resize(image, (max_width, height), interpolation=cv2.INTER_AREA))
    return np.ascontiguousarray(image)


class Backoff:
    """Exponential retry delays: initial, x2, ... capped at maximum; reset after success."""

    def __init__(self, initial: float = 0.5, maximum: float = 10.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self._next = initial

    def next_delay(self) -> float:
        """The delay before the next attempt."""
        delay = self._next
        self._next = min(self.maximum, self._next * 2)
        return delay

    def reset(self) -> None:
        """Start again from the initial delay."""
        self._next = self.initial


@dataclass
class PipelineStats:
    """Counters and recent per-frame timings (ms); a snapshot copy."""

    captured: int = 0
    dropped: int = 0  # replaced by a newer frame before the decoder got to them
    processed: int = 0
    codes: int = 0  # codes seen, before debounce
    scans: int = 0  # decoded events emitted
    previews: int = 0
    latency_ms: list[float] = field(default_factory=list)  # frame handed over -> decoded
    decode_ms: list[float] = field(default_factory=list)  # inside the decoder call


def _noop(*_args: object) -> None:
    pass


class ScanPipeline:
    """Runs a `FrameSource` into a `Decoder`, emitting debounced `decoded(text, frame_time)`.

    A watchdog thread and the capture thread keep `health` (a `CameraHealth`)
    and report each change through `on_health`.
    """

    def __init__(self, source: FrameSource, decoder: Decoder,
                 settings: PipelineSettings | None = None, *,
                 on_decoded: DecodedCallback = _noop, on_preview: PreviewCallback = _noop,
                 on_state: StateCallback = _noop, on_health: HealthCallback = _noop,
                 timing_window: int = 2000) -> None:
        self.source = source
        self.decoder = decoder
        self.settings = settings or PipelineSettings()
        self.debouncer = Debouncer(self.settings.cooldown)
        self._on_decoded, self._on_preview, self._on_state = on_decoded, on_preview, on_state
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._latest: tuple[Frame, float] | None = None
        self._capture_done = False
        self._drained = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stats = PipelineStats()
        self._latency: collections.deque[float] = collections.deque(maxlen=timing_window)
        self._decode: collections.deque[float] = collections.deque(maxlen=timing_window)
        self.state = SourceState.IDLE
        self.monitor = HealthMonitor(self.settings.health, on_health)
        self.error: BaseException | None = None  # a bug in a thread, for the crash handler

    # -- control -------------------------------------------------------------
    def start(self) -> None:
        """Start the capture and decode threads."""
        if self._threads:
            raise RuntimeError("pipeline already started")
        self._threads = [
            threading.Thread(target=self._capture_loop, name="gatescan-capture", daemon=True),
            threading.Thread(target=self._decode_loop, name="gatescan-decode", daemon=True),
            threading.Thread(target=self._watch_loop, name="gatescan-watchdog", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop both threads and wait for them; True if they ended within `timeout`."""
        self._stop.set()
        self.source.interrupt()
        with self._cond:
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            log.error("pipeline threads still running after %.1f s: %s", timeout, alive)
        return not alive

    def wait_finished(self, timeout: float | None = None) -> bool:
        """For finite sources: wait until the source ended and its last frame was decoded."""
        return self._drained.wait(timeout)

    def __enter__(self) -> ScanPipeline:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def health(self) -> CameraHealth:
        """The camera's health now."""
        return self.monitor.health

    def stats(self) -> PipelineStats:
        """A snapshot of the counters and recent timings."""
        with self._cond:
            snap = PipelineStats(**{k: getattr(self._stats, k) for k in
                                    ("captured", "dropped", "processed", "codes", "scans",
                                     "previews")})
            snap.latency_ms = list(self._latency)
            snap.decode_ms = list(self._decode)
        return snap

    # -- capture thread --------------------------------------------------------
    def _set_state(self, state: SourceState, detail: str = "") -> None:
        self.state = state
        self.monitor.source_state(state, detail)
        try:
            self._on_state(state, detail)
        except Exception:  # the listener's bug must not kill capture; it is logged in full
            log.exception("state callback failed")

    def _capture_loop(self) -> None:
        backoff = Backoff(self.settings.backoff_initial, self.settings.backoff_max)
        source, stop = self.source, self._stop
        outage = False
        try:
            while not stop.is_set():
                self._set_state(SourceState.OPENING, source.description)
                before = self._stats.captured
                try:
                    source.open()
                    if self._pump(backoff):
                        self._set_state(SourceState.ENDED, source.description)
                        return
                except SourceUnsupported as exc:
                    log.error("camera source unusable: %s", exc)
                    self._set_state(SourceState.FAILED, str(exc))
                    return
                except SourceUnavailable as exc:
                    if self._stats.captured > before:
                        outage = False  # it worked for a while: this is a new outage
                    delay = backoff.next_delay()
                    # One warning per outage; the retries themselves go to debug.
                    (log.debug if outage else log.warning)("%s; retrying in %.1f s", exc, delay)
                    outage = True
                    self._set_state(SourceState.UNAVAILABLE, f"{exc}; retrying in {delay:.1f} s")
                    stop.wait(delay)
                finally:
                    source.close()
        except Exception as exc:
            self.error = exc
            log.exception("capture thread crashed")
            self._set_state(SourceState.FAILED, f"internal error: {exc}")
        finally:
            with self._cond:
                self._capture_done = True
                self._cond.notify_all()
            if self.state not in (SourceState.ENDED, SourceState.FAILED):
                self._set_state(SourceState.STOPPED)

    def _pump(self, backoff: Backoff) -> bool:
        """Read frames until stop (False) or the end of a finite source (True)."""
        preview_gap = 1.0 / self.settings.preview_fps if self.settings.preview_fps > 0 else None
        last_preview = -1e9
        first = True
        while not self._stop.is_set():
            frame = self.source.read()
            if frame is None:
                return not self._stop.is_set()
            if first:
                backoff.reset()  # only a delivered frame proves the camera is back
                self._set_state(SourceState.LIVE, self.source.description)
                first = False
            self.monitor.frame(frame.image)
            with self._cond:
                self._stats.captured += 1
                if self._latest is not None:
                    self._stats.dropped += 1
                self._latest = (frame, time.perf_counter())
                self._cond.notify()
            if preview_gap is not None and frame.mono - last_preview >= preview_gap:
                last_preview = frame.mono
                self._emit_preview(frame)
        return False

    def _emit_preview(self, frame: Frame) -> None:
        try:
            self._on_preview(frame.image.copy(), frame.time)  # the receiver may keep it
            self._stats.previews += 1
        except Exception:
            log.exception("preview callback failed")

    # -- watchdog thread ----------------------------------------------------------
    def _watch_loop(self) -> None:
        """Look at the camera a few times a second until stopped: a stalled read cannot."""
        every = self.settings.health.check_every
        while not self._stop.wait(every):
            self.monitor.check()

    # -- decode thread ----------------------------------------------------------
    def _decode_loop(self) -> None:
        try:
            while True:
                with self._cond:
                    while self._latest is None and not self._stop.is_set():
                        if self._capture_done:
                            self._drained.set()
                        self._cond.wait()
                    if self._stop.is_set():
                        return
                    assert self._latest is not None
                    (frame, handed), self._latest = self._latest, None
                self._process(frame, handed)
        except Exception as exc:
            self.error = exc
            log.exception("decode worker crashed")
            self._set_state(SourceState.FAILED, f"internal error: {exc}")
        finally:
            self._drained.set()

    def _process(self, frame: Frame, handed: float) -> None:
        image = preprocess(frame.image, self.settings.roi, self.settings.max_width)
        t0 = time.perf_counter()
        codes = self.decoder.decode(image)
        t1 = time.perf_counter()
        emitted = 0
        for code in codes:
            if self.debouncer.accept(code.text, frame.mono):
                emitted += 1
                log.info("scanned %s (%s)", describe_code(code.text, self.debouncer.key(code.text)),
                         code.format)
                try:
                    self._on_decoded(code.text, frame.time)
                except Exception:  # a listener's bug must not stop scanning; logged in full
                    log.exception("decoded callback failed")
        done = time.perf_counter()
        with self._cond:
            self._stats.processed += 1
            self._stats.codes += len(codes)
            self._stats.scans += emitted
            self._latency.append((done - handed) * 1000.0)
            self._decode.append((t1 - t0) * 1000.0)
