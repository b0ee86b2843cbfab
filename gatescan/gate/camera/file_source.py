"""Sources that replay files or in-memory frames at a real frame rate (tests, demo, bench)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from gatescan.gate.camera.frames import Frame, Image, SourceUnavailable
from gatescan.gate.camera.images import IMAGE_SUFFIXES, load_image

log = logging.getLogger(__name__)

DEFAULT_IMAGE_FPS = 5.0


class _PacedSource:
    """Shared pacing: frame i is due at start + i / (fps * speed); speed 0 means no waiting.

    Frame times follow the media timeline (i / fps), so debounce behaves as in real
    time even when a test replays faster.
    """

    def __init__(self, fps: float, speed: float, loop: bool) -> None:
        if fps <= 0 or speed < 0:
            raise ValueError("fps must be positive and speed 0 or more")
        self.fps = fps
        self.speed = speed
        self.loop = loop
        self._interrupted = threading.Event()
        self._count = 0
        self._t0_mono = 0.0
        self._t0_wall = 0.0

    def _start_clock(self) -> None:
        self._interrupted.clear()
        self._count = 0
        self._t0_mono = time.monotonic()
        self._t0_wall = time.time()

    def _next_image(self) -> Image | None:
        raise NotImplementedError

    def _rewind(self) -> bool:
        return False

    def read(self) -> Frame | None:
        """The next frame once it is due; None at the end (or when interrupted)."""
        image = self._next_image()
        if image is None and self.loop and self._rewind():
            image = self._next_image()
        if image is None:
            return None
        media_t = self._count / self.fps
        if self.speed > 0:
            delay = self._t0_mono + media_t / self.speed - time.monotonic()
            if delay > 0 and self._interrupted.wait(delay):
                return None
        self._count += 1
        return Frame(image, self._t0_wall + media_t, self._t0_mono + media_t, self._count)

    def interrupt(self) -> None:
        """Make a waiting `read` return None now."""
        self._interrupted.set()


class FileSource(_PacedSource):
    """Replays an image, a folder of images (sorted by name) or a video file."""

    def __init__(self, path: str | Path, *, fps: float | None = None, speed: float = 1.0,
                 loop: bool = False, color: bool = True) -> None:
        self.path = Path(path)
        self.color = color
        self._cap: Any = None
        self._images: list[Path] = []
        self._pos = 0
        super().__init__(fps or DEFAULT_IMAGE_FPS, speed, loop)
        self._fps_given = fps is not None

    @property
    def description(self) -> str:
        """The file or folder name."""
        return str(self.path)

    @property
    def is_video(self) -> bool:
        """True if the path is a video file rather than an image or a folder."""
        return self.path.is_file() and self.path.suffix.lower() not in IMAGE_SUFFIXES

    def open(self) -> None:
        """Index the folder or open the video."""
        self.close()
        if not self.path.exists():
            raise SourceUnavailable(f"{self.path} does not exist")
        if self.path.is_dir():
            self._images = sorted(p for p in self.path.iterdir()
                                  if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not self._images:
                raise SourceUnavailable(f"no images in {self.path}")
        elif self.is_video:
            cap = cv2.VideoCapture(str(self.path))
            if not cap.isOpened():
                cap.release()
                raise SourceUnavailable(f"cannot read video {self.path}")
            self._cap = cap
            if not self._fps_given:
                native = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
                self.fps = native if 0 < native <= 1000 else 30.0
        else:
            self._images = [self.path]
        self._pos = 0
        self._start_clock()

    def _next_image(self) -> Image | None:
        if self._cap is not None:
            ok, image = self._cap.read()
            return image if ok and image is not None else None
        while self._pos < len(self._images):
            path = self._images[self._pos]
            self._pos += 1
            loaded = load_image(path, color=self.color)
            if isinstance(loaded, np.ndarray):
                return loaded
            self._check_present()
            log.warning("skipping %s: %s", path.name, loaded)
        return None

    def _check_present(self) -> None:
        """Raise `SourceUnavailable` if the file or folder itself has gone (unmounted, deleted)."""
        if not self.path.exists():
            raise SourceUnavailable(f"{self.path} disappeared")

    def _rewind(self) -> bool:
        self._check_present()  # an open video survives deletion; looping it again should not
        if self._cap is not None:
            return bool(self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0))
        self._pos = 0
        return bool(self._images)

    def close(self) -> None:
        """Release the video file."""
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


class MemorySource(_PacedSource):
    """Replays frames held in memory (the bench and pipeline tests)."""

    def __init__(self, images: Sequence[Image], *, fps: float = 30.0, speed: float = 1.0,
                 loop: bool = False) -> None:
        super().__init__(fps, speed, loop)
        self._frames = list(images)
        self._pos = 0

    @property
    def description(self) -> str:
        """How many frames are held."""
        return f"{len(self._frames)} frames in memory"

    def open(self) -> None:
        """Start replay from the first frame."""
        self._pos = 0
        self._start_clock()

    def _next_image(self) -> Image | None:
        if self._pos >= len(self._frames):
            return None
        self._pos += 1
        return self._frames[self._pos - 1]

    def _rewind(self) -> bool:
        self._pos = 0
        return bool(self._frames)

    def close(self) -> None:
        """Nothing to release."""
