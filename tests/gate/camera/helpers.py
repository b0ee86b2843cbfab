"""Test helpers: phone videos written with cv2.VideoWriter, and a pipeline event recorder."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from gatescan.demo import synth
from gatescan.gate.camera.file_source import FileSource
from gatescan.gate.camera.frames import Frame, SourceState
from gatescan.gate.camera.health import CameraHealth
from tests.factories import T0, Phone


def write_phone_video(path: Path, segments: Sequence[tuple[Phone | None, float]], *,
                      fps: int = 10, size: tuple[int, int] = (640, 480),
                      period: int = 1, inverted: bool = False) -> list[str]:
    """Write an MJPG AVI of phones held up in turn; returns the distinct texts shown.

    Each segment is (phone or None for an empty scene, seconds). The phone's code
    rotates every `period` seconds of video time, as the wallet's does every 30 s.
    `inverted` shows the phones in dark mode (a light code on a dark screen).
    """
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write MJPG/AVI here"
    shown: list[str] = []
    frame_no = 0
    try:
        for phone, seconds in segments:
            for _ in range(round(seconds * fps)):
                at = T0 + frame_no / fps
                text = phone.token(at, period=period) if phone is not None else None
                if text is not None and text not in shown:
                    shown.append(text)
                sway = 0.03 * np.sin(frame_no / 3)  # a hand is never quite still
                frame = synth.phone_frame(text, width, height, code_frac=0.55,
                                          center=(0.5 + sway, 0.5), seed=frame_no % 7,
                                          inverted=inverted)
                writer.write(synth.blur(frame, 0.6))
                frame_no += 1
    finally:
        writer.release()
    return shown


class Recorder:
    """Collects pipeline callbacks from its threads."""

    def __init__(self) -> None:
        self.decoded: list[tuple[str, float, float]] = []  # text, frame time, arrival
        self.states: list[tuple[SourceState, str, float]] = []
        self.previews: list[tuple[np.ndarray, float]] = []
        self.health: list[tuple[CameraHealth, str]] = []
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)

    def on_decoded(self, text: str, frame_time: float) -> None:
        with self._lock:
            self.decoded.append((text, frame_time, time.time()))
            self.changed.notify_all()

    def on_state(self, state: SourceState, detail: str) -> None:
        with self._lock:
            self.states.append((state, detail, time.monotonic()))
            self.changed.notify_all()

    def on_health(self, health: CameraHealth, detail: str) -> None:
        with self._lock:
            self.health.append((health, detail))
            self.changed.notify_all()

    def health_list(self) -> list[CameraHealth]:
        with self._lock:
            return [h for h, _ in self.health]

    def wait_health(self, health: CameraHealth, timeout: float) -> bool:
        """Wait until the latest reported health is `health`."""
        return self.wait_for(lambda: bool(self.health) and self.health[-1][0] is health,
                             timeout)

    def on_preview(self, image: np.ndarray, frame_time: float) -> None:
        with self._lock:
            self.previews.append((image, frame_time))

    def texts(self) -> list[str]:
        with self._lock:
            return [t for t, _, _ in self.decoded]

    def state_list(self) -> list[SourceState]:
        with self._lock:
            return [s for s, _, _ in self.states]

    def wait_for(self, predicate: object, timeout: float) -> bool:
        """Wait until predicate() (called under the lock) is true."""
        assert callable(predicate)
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def kwargs(self) -> dict[str, object]:
        return {"on_decoded": self.on_decoded, "on_state": self.on_state,
                "on_preview": self.on_preview, "on_health": self.on_health}


class StallingSource(FileSource):
    """A real file source whose reads block (a hung driver) after `stall_after` frames.

    The read blocks until `resume()` is called; `interrupt()` (the pipeline's stop)
    still ends it, as a driver's timeout would.
    """

    def __init__(self, path: Path, stall_after: int, **kwargs: object) -> None:
        super().__init__(path, **kwargs)  # type: ignore[arg-type]
        self.stall_after = stall_after
        self._resumed = threading.Event()
        self._delivered = 0

    def resume(self) -> None:
        """Let the blocked read deliver again."""
        self._resumed.set()

    def read(self) -> Frame | None:
        if self._delivered >= self.stall_after:
            while not self._resumed.wait(0.05):
                if self._interrupted.is_set():
                    return None
        self._delivered += 1
        return super().read()
