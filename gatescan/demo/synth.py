"""Synthetic camera frames of a phone showing a code, with realistic degradations.

Used by the tests, the bench and the demo. Codes are rendered with segno the
way the wallet renders them (error correction M, alphanumeric for Base45).
"""

from __future__ import annotations

import cv2
import numpy as np
import segno

from gatescan.gate.camera.frames import Image, as_image


def qr_modules(text: str, error: str = "m") -> np.ndarray:
    """The QR module matrix of `text` (1 = dark), without quiet zone."""
    qr = segno.make(text, error=error, micro=False, boost_error=False)
    return np.array(qr.matrix, dtype=np.uint8)


def render_code(text: str, module_px: int = 4, border: int = 4) -> Image:
    """A clean grayscale QR code image, `module_px` pixels per module, quiet zone included."""
    modules = np.pad(qr_modules(text), border)
    big = np.kron(modules, np.ones((module_px, module_px), dtype=np.uint8))
    return np.where(big > 0, 0, 255).astype(np.uint8)


def scene(width: int, height: int, seed: int = 0) -> Image:
    """A BGR background with no code: a lit gradient, some shapes, sensor noise."""
    rng = np.random.default_rng(seed)
    xs = np.linspace(0, 60, width, dtype=np.float32)[None, :]
    ys = np.linspace(70, 100, height, dtype=np.float32)[:, None]
    tint = rng.uniform(0.7, 1.1, 3).astype(np.float32)
    img = (xs + ys)[:, :, None] * tint
    for _ in range(8):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w = int(rng.integers(width // 20, width // 4))
        h = int(rng.integers(height // 20, height // 3))
        color = tuple(float(c) for c in rng.uniform(20, 220, 3))
        cv2.rectangle(img, (x, y), (x + w, y + h), color, -1)
    img += rng.standard_normal((height, width, 1), dtype=np.float32) * 4  # luma noise
    return as_image(np.clip(img, 0, 255).astype(np.uint8))


def phone_frame(text: str | None, width: int = 1280, height: int = 720, *,
                code_frac: float = 0.4, center: tuple[float, float] = (0.5, 0.5),
                seed: int = 0, inverted: bool = False) -> Image:
    """A BGR frame of a phone held up to the camera, its screen showing `text` as a QR code.

    `code_frac` is the code's width (quiet zone included) as a fraction of the
    frame height; `text=None` gives the phone with a blank screen. `inverted`
    shows the screen as a phone in dark mode or with colours inverted does: a
    light code on a dark screen.
    """
    img = scene(width, height, seed)
    side = max(21, int(code_frac * height))
    if text is not None:
        modules = qr_modules(text).shape[0] + 8
        code = render_code(text, module_px=side // modules + 1)
        code = as_image(cv2.resize(code, (side, side), interpolation=cv2.INTER_AREA))
    else:
        code = np.full((side, side), 250, np.uint8)
    pad = side // 8
    body_w, body_h = side + 2 * pad, int(side * 1.9)
    cx, cy = int(center[0] * width), int(center[1] * height)
    x0, y0 = cx - body_w // 2, cy - body_h // 2
    cv2.rectangle(img, (x0, y0), (x0 + body_w, y0 + body_h), (25, 25, 30), -1)
    sx0, sy0 = x0 + pad // 2, y0 + pad
    screen = (18, 18, 20) if inverted else (245, 245, 245)
    cv2.rectangle(img, (sx0, sy0), (x0 + body_w - pad // 2, y0 + body_h - pad), screen, -1)
    if inverted:
        code = as_image(cv2.bitwise_not(code))
    qx, qy = cx - side // 2, cy - side // 2
    _paste(img, as_image(cv2.cvtColor(code, cv2.COLOR_GRAY2BGR)), qx, qy)
    return img


def _paste(dst: Image, src: Image, x: int, y: int) -> None:
    h, w = src.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(dst.shape[1], x + w), min(dst.shape[0], y + h)
    if x1 > x0 and y1 > y0:
        dst[y0:y1, x0:x1] = src[y0 - y:y1 - y, x0 - x:x1 - x]


def blur(img: Image, sigma: float) -> Image:
    """Gaussian blur (focus miss or motion)."""
    return as_image(cv2.GaussianBlur(img, (0, 0), sigma)) if sigma > 0 else img.copy()


def noise(img: Image, sigma: float, seed: int = 0) -> Image:
    """Additive Gaussian sensor noise."""
    rng = np.random.default_rng(seed)
    out = img.astype(np.float32) + rng.standard_normal(img.shape, dtype=np.float32) * sigma
    return np.clip(out, 0, 255).astype(np.uint8)


def tilt(img: Image, amount: float, seed: int = 0) -> Image:
    """Perspective warp: each corner moves inward by up to `amount` of the frame size."""
    rng = np.random.default_rng(seed)
    h, w = img.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=np.float32)
    jitter = rng.uniform(0, amount, (4, 2)).astype(np.float32) * np.array([w, h], np.float32)
    dst = (src + jitter * inward).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    return as_image(cv2.warpPerspective(img, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE))


def low_contrast(img: Image, factor: float) -> Image:
    """Squeeze the range around mid-grey (dim phone screen, washed out print)."""
    out = 128 + (img.astype(np.float32) - 128) * factor
    return as_image(np.clip(out, 0, 255).astype(np.uint8))


def glare(img: Image, strength: float = 200.0, center: tuple[float, float] = (0.45, 0.4),
          radius: float = 0.12) -> Image:
    """A bright specular blob (ceiling light on the phone glass)."""
    h, w = img.shape[:2]
    xs = np.arange(w, dtype=np.float32)[None, :] - center[0] * w
    ys = np.arange(h, dtype=np.float32)[:, None] - center[1] * h
    r = radius * min(w, h)
    d2 = xs**2 + ys**2
    spot = strength * np.exp(-d2 / (2 * r * r))
    if img.ndim == 3:
        spot = spot[:, :, None]
    return as_image(np.clip(img.astype(np.float32) + spot, 0, 255).astype(np.uint8))


def mjpeg(img: Image, quality: int = 85) -> Image:
    """A JPEG round trip, as a USB webcam in MJPG mode delivers frames."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    flag = cv2.IMREAD_COLOR if img.ndim == 3 else cv2.IMREAD_GRAYSCALE
    return as_image(cv2.imdecode(buf, flag))
