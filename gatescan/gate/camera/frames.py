"""Frames, the `FrameSource` protocol every camera or file source follows, and source states."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


def as_image(array: Any) -> Image:
    """Type an OpenCV result (always uint8 here) as an `Image`; no copy."""
    return cast(Image, array)


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured picture with the times the pipeline needs.

    `time` is the wall-clock capture time (what a scan record stores); `mono` is
    the stream's own monotonic timeline in seconds, used for debounce so that a
    wall-clock jump (a Pi without RTC learning the time) cannot stall scanning.
    """

    image: Image
    time: float
    mono: float
    index: int


class SourceState(enum.Enum):
    """What a frame source is doing, as shown to the operator."""

    IDLE = "idle"
    OPENING = "opening"
    LIVE = "live"
    UNAVAILABLE = "unavailable"  # gone or never delivered frames: retried with backoff
    ENDED = "ended"  # a finite source (file, folder) played to its end
    FAILED = "failed"  # cannot work as configured, or a bug: not retried
    STOPPED = "stopped"


class SourceError(Exception):
    """Base class for frame source failures."""


class SourceUnavailable(SourceError):
    """The source cannot deliver frames right now (unplugged, busy, network): retry later."""


class SourceUnsupported(SourceError):
    """The source can never work as configured (e.g. OpenCV built without GStreamer)."""


class FrameSource(Protocol):
    """Where frames come from: a camera, a stream, a video file or a folder of images.

    `open`, `read` and `close` are called from one capture thread only.
    """

    @property
    def description(self) -> str:
        """A short name for logs and the operator (no credentials)."""
        ...

    def open(self) -> None:
        """Acquire the device or file; raises `SourceUnavailable` or `SourceUnsupported`."""
        ...

    def read(self) -> Frame | None:
        """Block until the next frame; None at the end of a finite source.

        A live source that stops delivering raises `SourceUnavailable`.
        """
        ...

    def close(self) -> None:
        """Release the device or file; safe to call twice."""
        ...

    def interrupt(self) -> None:
        """Ask a blocked `read` to return soon; safe from any thread."""
        ...
