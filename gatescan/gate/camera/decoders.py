"""Barcode decoders behind one `Decoder` protocol: zxing-cpp (default) and pyzbar (zbar).

Backends import their native library lazily; `make_decoder` turns a missing
library into `MissingDecoderLib` naming what to install. A decoder never raises
on an odd image: library errors are logged once per kind and give no codes.
"""

from __future__ import annotations

import ctypes
import enum
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np

from gatescan.gate.camera.frames import Image, as_image

log = logging.getLogger(__name__)

DEFAULT_BACKEND = "zxing"  # see docs/camera.md: faster and more robust on our measurements
BACKENDS = ("zxing", "pyzbar")

# pyzbar type names -> the zxing-cpp names we report everywhere
_ZBAR_FORMATS = {"QRCODE": "QRCode", "SQCODE": "SQCode", "CODE128": "Code128",
                 "CODE39": "Code39", "CODE93": "Code93", "EAN13": "EAN13", "EAN8": "EAN8",
                 "UPCA": "UPCA", "UPCE": "UPCE", "I25": "ITF", "PDF417": "PDF417",
                 "DATABAR": "DataBar", "DATABAR_EXP": "DataBarExpanded", "CODABAR": "Codabar"}


# pybind11 maps std::exception to RuntimeError, invalid_argument to ValueError, ...
_ZXING_ERRORS = (RuntimeError, ValueError, TypeError, IndexError)
_ZBAR_ERRORS = (ValueError, TypeError, ctypes.ArgumentError)


class MissingDecoderLib(RuntimeError):
    """A decoder backend whose library is not installed; says what to install."""

    def __init__(self, backend: str, install: str) -> None:
        super().__init__(f"decoder backend {backend!r} is not available: {install}")
        self.backend = backend
        self.install = install


@dataclass(frozen=True, slots=True)
class DecodedCode:
    """One code found in an image: its text, format name and corner points (pixels)."""

    text: str
    format: str
    corners: tuple[tuple[int, int], ...] = ()


class Decoder(Protocol):
    """Finds codes in a grayscale or BGR uint8 image; never raises on image content."""

    name: str

    def decode(self, image: Image) -> list[DecodedCode]:
        """All codes found in `image` (empty list when none or on a library error)."""
        ...


class _ErrorLog:
    """Logs the first library error of each kind as a warning, later ones at debug level."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.count = 0
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def record(self, exc: BaseException, image: Image) -> None:
        kind = f"{type(exc).__name__}: {str(exc)[:80]}"
        with self._lock:
            self.count += 1
            first = kind not in self._seen
            self._seen.add(kind)
        if first:
            log.warning("%s decoder failed on a %s image (%s); further errors of this kind "
                        "are logged at debug level", self.backend, _shape(image), kind)
        else:
            log.debug("%s decoder failed again: %s", self.backend, kind)


def _shape(image: Any) -> str:
    shape = getattr(image, "shape", None)
    return "x".join(str(n) for n in shape) if shape is not None else type(image).__name__


def as_decodable(image: Any) -> Image | None:
    """A contiguous 2-D uint8 or 3-channel BGR view of `image`, or None if it has no pixels."""
    if not isinstance(image, np.ndarray) or image.size == 0 or image.ndim not in (2, 3):
        return None
    if image.ndim == 3:
        channels = image.shape[2]
        if channels == 1:
            image = image[:, :, 0]
        elif channels == 4:
            image = as_image(cv2.cvtColor(_to_uint8(image), cv2.COLOR_BGRA2BGR))
        elif channels != 3:
            return None
    if min(image.shape[:2]) < 1:
        return None
    return np.ascontiguousarray(_to_uint8(image))


def _to_uint8(image: np.ndarray) -> Image:
    if image.dtype == np.uint8:
        return image
    data = np.nan_to_num(image.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(data, 0, 255).astype(np.uint8)


class ZxingDecoder:
    """zxing-cpp backend: fast, robust to blur and perspective; QR only by default.

    The defaults suit camera frames: no inverted (light-on-dark) search and no
    extra downscaled pass, which cost 25-50 % on every empty frame (docs/camera.md);
    `make_decoder` wraps it in an `InvertingDecoder` that inverts every other
    frame instead, and `make_decoder(thorough=True)` turns both passes on for still
    images. `retry_regions` (on in `make_decoder`): when zxing-cpp locates a QR code
    but cannot read it, typically a code with under 2 pixels per module at 50 cm,
    that region is read again enlarged 2x; an empty frame costs nothing more
    (bench/presentation.py measured it cutting the time to read at 53 cm).
    """

    name = "zxing"

    def __init__(self, formats: Sequence[str] = ("QRCode",), *, try_invert: bool = False,
                 try_downscale: bool = False, try_rotate: bool = True,
                 retry_regions: bool = False) -> None:
        try:
            import zxingcpp
        except ImportError:
            raise MissingDecoderLib("zxing", "pip install zxing-cpp") from None
        self._zx = zxingcpp
        # A list of enum members, not a BarcodeFormats object: a decoder still referenced
        # at interpreter exit then leaves nanobind nothing to report as leaked.
        self._formats: Any = [zxingcpp.barcode_format_from_str(f) for f in formats]  # ValueError
        self._try_invert = try_invert
        self._try_downscale = try_downscale
        self._try_rotate = try_rotate
        self._retry_regions = retry_regions
        self.errors = _ErrorLog(self.name)

    def decode(self, image: Image) -> list[DecodedCode]:
        """All valid codes zxing-cpp finds in `image`."""
        ready = as_decodable(image)
        if ready is None:
            return []
        if ready.ndim == 3:  # OpenCV converts BGR about 5x faster than zxing-cpp does
            ready = as_image(cv2.cvtColor(ready, cv2.COLOR_BGR2GRAY))
        try:
            found = self._read(ready, self._retry_regions)
            codes = [DecodedCode(b.text, b.format.name, _zx_corners(b.position))
                     for b in found if b.valid]
            if self._retry_regions and not codes:
                for b in found:  # located but unreadable: look again, enlarged
                    codes += self._read_region(ready, _zx_corners(b.position))
            return codes
        except _ZXING_ERRORS as exc:  # C++ exceptions on hostile pixels: log once, go on
            self.errors.record(exc, ready)
            return []

    def _read(self, image: Image, return_errors: bool) -> list[Any]:
        return list(self._zx.read_barcodes(
            image, formats=self._formats, try_rotate=self._try_rotate,
            try_downscale=self._try_downscale, try_invert=self._try_invert,
            return_errors=return_errors))

    def _read_region(self, image: Image, corners: tuple[tuple[int, int], ...]
                     ) -> list[DecodedCode]:
        """Decode the region around `corners` (plus its quiet zone) upscaled 2x."""
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        margin = max(8, (max(xs) - min(xs) + max(ys) - min(ys)) // 8)
        x0, y0 = max(0, min(xs) - margin), max(0, min(ys) - margin)
        x1 = min(image.shape[1], max(xs) + margin)
        y1 = min(image.shape[0], max(ys) + margin)
        if x1 - x0 < 21 or y1 - y0 < 21:
            return []
        region = cv2.resize(image[y0:y1, x0:x1], None, fx=2.0, fy=2.0,
                            interpolation=cv2.INTER_CUBIC)
        return [DecodedCode(b.text, b.format.name,
                            tuple((x0 + x // 2, y0 + y // 2) for x, y in _zx_corners(b.position)))
                for b in self._read(as_image(region), False) if b.valid]


def _zx_corners(pos: Any) -> tuple[tuple[int, int], ...]:
    points = (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
    return tuple((int(p.x), int(p.y)) for p in points)


class PyzbarDecoder:
    """pyzbar backend over the zbar C library (Debian package libzbar0)."""

    name = "pyzbar"

    def __init__(self, symbols: Sequence[str] = ("QRCODE",)) -> None:
        try:
            from pyzbar import pyzbar
            from pyzbar.pyzbar_error import PyZbarError
        except ImportError as exc:
            if "zbar shared library" in str(exc):
                raise MissingDecoderLib(
                    "pyzbar", "the zbar library is missing: apt-get install libzbar0") from None
            raise MissingDecoderLib("pyzbar", "pip install pyzbar (and apt-get install "
                                    "libzbar0)") from None
        except OSError:  # a broken libzbar on the library path
            raise MissingDecoderLib(
                "pyzbar", "the zbar library cannot be loaded: apt-get install libzbar0") from None
        self._zbar = pyzbar
        self._zbar_error: type[Exception] = PyZbarError
        try:
            self._symbols = [getattr(pyzbar.ZBarSymbol, s) for s in symbols]
        except AttributeError as exc:
            raise ValueError(f"unknown zbar symbology: {exc.name}") from None
        self.errors = _ErrorLog(self.name)

    def decode(self, image: Image) -> list[DecodedCode]:
        """All codes zbar finds in `image` (converted to grayscale first)."""
        ready = as_decodable(image)
        if ready is None:
            return []
        if ready.ndim == 3:
            ready = as_image(cv2.cvtColor(ready, cv2.COLOR_BGR2GRAY))
        try:
            # pyzbar raises ValueError on structured-append codes (unknown orientation)
            found = self._zbar.decode(ready, symbols=self._symbols)
            return [DecodedCode(r.data.decode("utf-8", errors="replace"),
                                _ZBAR_FORMATS.get(r.type, r.type),
                                tuple((int(p.x), int(p.y)) for p in r.polygon))
                    for r in found]
        except (*_ZBAR_ERRORS, self._zbar_error) as exc:  # log once, keep scanning
            self.errors.record(exc, ready)
            return []


class Inversion(enum.Enum):
    """How light-on-dark codes (phones in dark mode or with colours inverted) are looked for."""

    NONE = "none"  # dark on light only
    ALTERNATE = "alternate"  # every other image inverted: the live camera (bench/decode.py)
    BOTH = "both"  # each image as is, then inverted: still images


class InvertingDecoder:
    """Wraps a decoder so that it also reads light-on-dark codes.

    `ALTERNATE` hands every other image over inverted, so a camera frame costs
    what it did (the inversion is 0.03 ms at 720p) and a code of either polarity
    is read within two consecutive frames; `BOTH` decodes each image twice.
    Called from one decode thread, like any decoder.
    """

    def __init__(self, inner: Decoder, mode: Inversion = Inversion.ALTERNATE) -> None:
        self.inner = inner
        self.name = inner.name
        self.mode = mode
        self._calls = 0

    @property
    def errors(self) -> _ErrorLog | None:
        """The wrapped backend's error log."""
        errors = getattr(self.inner, "errors", None)
        return errors if isinstance(errors, _ErrorLog) else None

    def decode(self, image: Image) -> list[DecodedCode]:
        """The codes in `image`, or in its negative on every other call (see `mode`)."""
        if self.mode is Inversion.NONE:
            return self.inner.decode(image)
        ready = as_decodable(image)
        if ready is None:
            return []
        if ready.ndim == 3:
            ready = as_image(cv2.cvtColor(ready, cv2.COLOR_BGR2GRAY))
        if self.mode is Inversion.BOTH:
            found = self.inner.decode(ready)
            seen = {c.text for c in found}
            return found + [c for c in self.inner.decode(as_image(cv2.bitwise_not(ready)))
                            if c.text not in seen]
        self._calls += 1
        if self._calls % 2 == 0:
            ready = as_image(cv2.bitwise_not(ready))
        return self.inner.decode(ready)


def make_decoder(backend: str | None = None, *, thorough: bool = False,
                 inversion: Inversion | None = None) -> Decoder:
    """The decoder named `backend` (default zxing); raises `MissingDecoderLib` or ValueError.

    Light-on-dark codes are read by inverting every other frame unless
    `inversion` says otherwise. `thorough` trades speed for reach (inverted and
    downscaled passes on every image): for still images, not for a 30 fps camera.
    """
    name = (backend or DEFAULT_BACKEND).strip().lower()
    mode = inversion or (Inversion.BOTH if thorough else Inversion.ALTERNATE)
    if name in ("zxing", "zxing-cpp", "zxingcpp"):
        if mode is Inversion.BOTH:  # zxing-cpp's own inverted pass is cheaper than a second call
            return ZxingDecoder(try_invert=True, try_downscale=thorough, retry_regions=True)
        return InvertingDecoder(ZxingDecoder(try_downscale=thorough, retry_regions=True), mode)
    if name in ("pyzbar", "zbar"):
        return InvertingDecoder(PyzbarDecoder(), mode)
    raise ValueError(f"unknown decoder backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def available_backends() -> dict[str, str | None]:
    """Each backend name mapped to None if usable, else what to install (for start-up logs)."""
    result: dict[str, str | None] = {}
    for name in BACKENDS:
        try:
            make_decoder(name)
        except MissingDecoderLib as exc:
            result[name] = exc.install
        else:
            result[name] = None
    return result


def _strategy_plain() -> Decoder:
    return InvertingDecoder(ZxingDecoder(), Inversion.ALTERNATE)


def _strategy_downscale() -> Decoder:
    return InvertingDecoder(ZxingDecoder(try_downscale=True), Inversion.ALTERNATE)


# Live-camera decoder strategies compared by bench/presentation.py (issue 15 item 4), all
# inverting every other frame: "plain" was the default before; "region-2x" (a located but
# unreadable code read again enlarged) is make_decoder()'s default now. docs/camera.md.
STRATEGIES: dict[str, Callable[[], Decoder]] = {
    "plain": _strategy_plain,
    "downscale": _strategy_downscale,
    "region-2x": make_decoder,
}
