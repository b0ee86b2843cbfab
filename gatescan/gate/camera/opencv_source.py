"""OpenCV `VideoCapture` source: USB cameras, /dev/video paths, network streams, GStreamer."""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import cv2

from gatescan.gate.camera.frames import Frame, SourceUnavailable, SourceUnsupported
from gatescan.gate.camera.profile import DEFAULT_PROFILE, ProfileName, ProfileResult, apply_profile

log = logging.getLogger(__name__)

SourceKind = Literal["index", "device", "url", "gstreamer", "file"]
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
MAX_SPEC_LEN = 4096


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A parsed camera address: what kind it is and what to hand to OpenCV."""

    kind: SourceKind
    target: int | str

    @property
    def description(self) -> str:
        """A printable form with any URL password removed."""
        if self.kind == "index":
            return f"camera {self.target}"
        if self.kind == "url":
            return redact_url(str(self.target))
        if self.kind == "gstreamer":
            return "gstreamer: " + str(self.target)[:60]
        return str(self.target)


def redact_url(url: str) -> str:
    """The URL without user name or password, for logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, "***@" + host, parts.path, "", ""))


def parse_source_spec(spec: str | int) -> SourceSpec:
    """Parse `0`, `/dev/video2`, `rtsp://...`, a GStreamer pipeline or a file path.

    Raises ValueError for text that cannot name a source (empty, NUL, too long).
    """
    if isinstance(spec, int):
        if spec < 0:
            raise ValueError("camera index must be 0 or more")
        return SourceSpec("index", spec)
    text = spec.strip()
    if not text:
        raise ValueError("empty camera source")
    if len(text) > MAX_SPEC_LEN or "\x00" in text:
        raise ValueError("camera source is not a usable name")
    if text.isascii() and text.isdigit():
        return SourceSpec("index", int(text))
    if text.startswith("gst:"):
        return SourceSpec("gstreamer", text[4:].strip())
    if " ! " in text or text.endswith("appsink") or text.startswith("v4l2src"):
        return SourceSpec("gstreamer", text)
    if _URL.match(text):
        return SourceSpec("url", text)
    if text.startswith("/dev/"):
        return SourceSpec("device", text)
    return SourceSpec("file", text)


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """What to ask the camera for; drivers may grant something else (logged at open)."""

    width: int | None = 1280
    height: int | None = 720
    fps: float | None = 30.0
    fourcc: str | None = "MJPG"  # USB webcams reach 30 fps at 720p only with MJPG
    buffer_size: int = 1  # keep the driver queue short: the newest frame matters
    max_read_failures: int = 3
    open_timeout_ms: int = 5000  # network streams (FFmpeg)
    read_timeout_ms: int = 3000
    profile: ProfileName = DEFAULT_PROFILE  # exposure for phone screens (camera/profile.py)


class OpenCVSource:
    """A live `cv2.VideoCapture` source: a device index, /dev/video path, URL or pipeline."""

    def __init__(self, spec: str | int | SourceSpec,
                 settings: CameraSettings | None = None) -> None:
        self.spec = spec if isinstance(spec, SourceSpec) else parse_source_spec(spec)
        self.settings = settings or CameraSettings()
        if self.settings.fourcc is not None and len(self.settings.fourcc) != 4:
            raise ValueError("FOURCC must be four characters, e.g. MJPG")
        self._cap: Any = None
        self._index = 0
        self._failures = 0
        self._interrupted = threading.Event()
        self.profile_result: ProfileResult | None = None  # what the camera accepted at open

    @property
    def description(self) -> str:
        """A short name for logs (no credentials)."""
        return self.spec.description

    def _api(self) -> int:
        kind = self.spec.kind
        if kind == "gstreamer":
            return int(cv2.CAP_GSTREAMER)
        if kind == "url":
            return int(cv2.CAP_FFMPEG)
        if kind in ("index", "device") and sys.platform.startswith("linux"):
            return int(cv2.CAP_V4L2)
        return int(cv2.CAP_ANY)

    def open_params(self) -> list[int]:
        """Open-time parameters: network timeouts, for FFmpeg streams only.

        Other backends (V4L2, GStreamer, image sequences) refuse to open when
        handed a parameter they do not know; a stalled V4L2 read gives up after
        the driver's own 10 s select timeout.
        """
        if self.spec.kind != "url":
            return []
        s = self.settings
        return [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, s.open_timeout_ms,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC, s.read_timeout_ms]

    def open(self) -> None:
        """Open the capture and apply resolution, fps and FOURCC."""
        self.close()
        self._interrupted.clear()
        kind, target = self.spec.kind, self.spec.target
        if kind == "gstreamer" and not gstreamer_available():
            raise SourceUnsupported(
                "this OpenCV build has no GStreamer support; use a device index or path, "
                "or an OpenCV built with GStreamer (Debian: python3-opencv)")
        if kind in ("device", "file") and not os.path.exists(str(target)):
            raise SourceUnavailable(f"{self.description} does not exist (unplugged?)")
        try:
            cap = cv2.VideoCapture(target, self._api(), self.open_params())
        except cv2.error as exc:
            raise SourceUnavailable(f"cannot open {self.description}: {exc}") from None
        if not cap.isOpened():
            cap.release()
            raise SourceUnavailable(f"cannot open {self.description}")
        if kind in ("index", "device"):
            self._configure(cap)
            self.profile_result = apply_profile(cap, self.settings.profile)
        self._cap = cap
        self._failures = 0
        log.info("opened %s: %s", self.description, self._granted(cap))

    def _configure(self, cap: Any) -> None:
        s = self.settings
        # FOURCC first: V4L2 drivers pick the frame sizes on offer per pixel format.
        if s.fourcc:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*s.fourcc))
        if s.width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, s.width)
        if s.height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, s.height)
        if s.fps:
            cap.set(cv2.CAP_PROP_FPS, s.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, s.buffer_size)

    @staticmethod
    def _granted(cap: Any) -> str:
        code = int(cap.get(cv2.CAP_PROP_FOURCC))
        fourcc = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)) if code else "?"
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        return f"{w}x{h} @ {cap.get(cv2.CAP_PROP_FPS):.1f} fps, {fourcc.strip() or '?'}"

    def read(self) -> Frame:
        """The next frame; raises `SourceUnavailable` after repeated failed reads."""
        if self._cap is None:
            raise SourceUnavailable(f"{self.description} is not open")
        while True:
            started = time.monotonic()
            try:
                ok, image = self._cap.read()
            except cv2.error as exc:
                ok, image = False, None
                log.debug("read error on %s: %s", self.description, exc)
            if ok and image is not None and image.size:
                self._failures = 0
                self._index += 1
                return Frame(image, time.time(), time.monotonic(), self._index)
            waited = time.monotonic() - started
            if waited >= 1.0:  # the driver timed out: a stalled camera, say so now
                raise SourceUnavailable(f"{self.description} delivered no frame for "
                                        f"{waited:.0f} s")
            self._failures += 1
            if self._failures >= self.settings.max_read_failures:
                raise SourceUnavailable(f"{self.description} stopped delivering frames")
            if self._interrupted.wait(0.05):  # a short pause between retries, not a spin
                raise SourceUnavailable(f"{self.description} read interrupted")

    def close(self) -> None:
        """Release the capture."""
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()

    def interrupt(self) -> None:
        """Cut short the pause between failed reads (a blocked driver read still times out)."""
        self._interrupted.set()


def gstreamer_available() -> bool:
    """True if this OpenCV build can open GStreamer pipelines."""
    try:
        return bool(cv2.videoio_registry.hasBackend(cv2.CAP_GSTREAMER))
    except (AttributeError, cv2.error):
        return False


@dataclass(frozen=True, slots=True)
class CameraInfo:
    """A video device present on this machine."""

    index: int
    path: str
    name: str
    capture: bool  # False for UVC metadata nodes, which deliver no pictures


def list_cameras(sysfs: Path = Path("/sys/class/video4linux"), *, include_all: bool = False,
                 probe: int = 0) -> list[CameraInfo]:
    """The cameras present: from sysfs on Linux, else by probing `probe` device indexes."""
    found: list[CameraInfo] = []
    if sysfs.is_dir():
        for node in sysfs.iterdir():
            match = re.fullmatch(r"video(\d+)", node.name)
            if not match:
                continue
            name = _read_attr(node / "name") or node.name
            # A UVC camera has a capture node (index 0) and a metadata node (index 1).
            capture = _read_attr(node / "index") in ("0", "")
            if capture or include_all:
                found.append(CameraInfo(int(match[1]), f"/dev/{node.name}", name, capture))
        return sorted(found, key=lambda c: c.index)
    for index in range(probe):
        cap = cv2.VideoCapture(index)
        try:
            if cap.isOpened():
                found.append(CameraInfo(index, str(index), f"camera {index}", True))
        finally:
            cap.release()
    return found


def _read_attr(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()[:200]
    except OSError:
        return ""
