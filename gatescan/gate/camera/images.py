"""Loading still images robustly: any path, any bytes, a reason instead of a crash."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from gatescan.gate.camera.frames import Image

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff",
                            ".pgm", ".ppm", ".pbm"})
MAX_IMAGE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 40_000_000


def load_image(path: str | Path, *, color: bool = False) -> Image | str:
    """The image at `path` as grayscale (or BGR) uint8, or a short reason it cannot be read.

    Grayscale loading through OpenCV is what the decoders were measured with;
    going through Pillow's `convert("L")` lost codes on the sample photos.
    """
    p = Path(path)
    try:
        if p.is_dir():
            return "is a directory"
        size = p.stat().st_size
        if size > MAX_IMAGE_BYTES:
            return f"file too large ({size} bytes)"
        data = np.fromfile(p, dtype=np.uint8)  # not cv2.imread: it mishandles non-ASCII paths
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    return decode_image_bytes(data, color=color)


def decode_image_bytes(data: bytes | np.ndarray, *, color: bool = False) -> Image | str:
    """Decode encoded image bytes (PNG, JPEG, WebP, ...) or return a reason they are unusable."""
    buf = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes) else data
    if buf.size == 0:
        return "empty file"
    try:
        image = cv2.imdecode(buf, cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE)
    except cv2.error:
        image = None
    if image is None or image.size == 0:
        return "not a readable image"
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        return "image too large"
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(1.0, float(image.max())))
    return np.ascontiguousarray(image)
