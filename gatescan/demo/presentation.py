"""A phone presented to a webcam, rendered frame by frame with a stated physical model.

Used by bench/presentation.py. The model (docs/camera.md, "Presentation benchmark"):

- Camera: pinhole, 1280x720, focal length `focal_px` (900 px: about 70 degrees
  across, a typical 720p webcam), frames every 1/fps, each exposure centred on
  its frame time (no rolling shutter).
- Phone: a 72 x 150 mm body, a self-lit 66 x 140 mm screen, the code's symbol
  (modules only) `code_mm` wide, 20 mm above the screen centre. It starts
  wholly outside the view, slides in along an ease-out path (fast entry,
  stopping after `travel_s`) while its tilt settles from about 30 degrees to
  its final pose, then shakes a little as a held hand does (1.5 mm at 4 Hz).
  Each frame's geometry is a homography from the phone's texture to the image.
- Motion blur: a line kernel along the projected motion of the code's centre
  during the exposure, its length the pixels moved in that time.
- Defocus of a fixed-focus lens: thin-lens blur circle
  c = A * f * |d - s| / (d * (s - f)) on the sensor (aperture A = f / N), as a
  disc kernel of c pixels, on top of a Gaussian of 0.5 px (optics, demosaicing).
- Exposure and gain: brightness scales with exposure x gain (1/60 s at gain 1
  is the reference); the screen clips at 255.
- Sensor noise: shot noise with variance S * gain / K DN^2 (K electrons per DN
  at gain 1) plus read noise of `read_dn` x gain DN, Gaussian, per pixel.
- MJPG: a JPEG round trip at `jpeg_quality` (of the luma plane: the frames are
  rendered in grey, then handed to the pipeline as BGR).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from gatescan.demo import synth
from gatescan.gate.camera.frames import Image, as_image

BODY_MM = (72.0, 150.0)
SCREEN_MM = (66.0, 140.0)
CODE_OFFSET_MM = -20.0  # code centre above the screen centre
SCREEN_WHITE, SCREEN_BLACK, BODY_DN = 235.0, 22.0, 28.0  # DN at the reference exposure
REFERENCE_EXPOSURE = 1 / 60


@dataclass(frozen=True, slots=True)
class Camera:
    """A fixed-focus 720p webcam and how it is set (exposure, gain)."""

    name: str = "auto 1/60 s"
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    focal_px: float = 900.0
    pixel_um: float = 3.0  # pixel pitch: focal length in mm = focal_px * pixel_um / 1000
    f_number: float = 2.4
    focus_mm: float = 450.0  # where the fixed-focus lens is sharp
    exposure_s: float = 1 / 60
    gain: float = 1.0
    electrons_per_dn: float = 20.0
    read_dn: float = 1.0
    jpeg_quality: int = 80

    @property
    def brightness(self) -> float:
        """Signal relative to the reference exposure (1/60 s at gain 1)."""
        return self.exposure_s * self.gain / REFERENCE_EXPOSURE

    def defocus_px(self, distance_mm: float) -> float:
        """Blur-circle diameter in pixels of a point at `distance_mm` (thin lens)."""
        f = self.focal_px * self.pixel_um / 1000.0
        aperture = f / self.f_number
        c_mm = aperture * f * abs(distance_mm - self.focus_mm) / (
            distance_mm * (self.focus_mm - f))
        return c_mm * 1000.0 / self.pixel_um


@dataclass(frozen=True, slots=True)
class Presentation:
    """One phone moving into view and stopping: its path, pose and what it shows."""

    text: str
    distance_mm: float
    final_xy_mm: tuple[float, float]  # phone centre at rest, relative to the optical axis
    entry_dir: tuple[float, float]  # unit vector the phone comes from
    start_s: float  # the phone starts moving (from outside the view)
    travel_s: float  # and stops this long after
    tilt_start: tuple[float, float, float]  # degrees about x, y, z
    tilt_final: tuple[float, float, float]
    shake_phase: float
    inverted: bool = False
    code_mm: float = 45.0


def random_presentation(text: str, distance_mm: float, rng: np.random.Generator, *,
                        code_mm: float = 45.0) -> Presentation:
    """A seeded presentation: from left, right or below, stopping within 0.5..1.2 s."""
    angle = float(rng.choice([0.0, math.pi, math.pi / 2])) + float(rng.uniform(-0.3, 0.3))
    entry = (math.cos(angle), math.sin(angle))

    def sign() -> float:
        return float(rng.choice([-1.0, 1.0]))

    return Presentation(
        text=text, distance_mm=distance_mm,
        final_xy_mm=(float(rng.uniform(-30, 30)), float(rng.uniform(-10, 25))),
        entry_dir=entry, start_s=0.1, travel_s=float(rng.uniform(0.5, 1.2)),
        tilt_start=(sign() * float(rng.uniform(20, 35)), sign() * float(rng.uniform(10, 30)),
                    float(rng.uniform(-25, 25))),
        tilt_final=(float(rng.uniform(-15, 15)), float(rng.uniform(-12, 12)),
                    float(rng.uniform(-12, 12))),
        shake_phase=float(rng.uniform(0, 2 * math.pi)), code_mm=code_mm)


def _rotation(degrees: tuple[float, float, float]) -> np.ndarray:
    rx, ry, rz = (math.radians(a) for a in degrees)
    cx, sx, cy, sy, cz, sz = (math.cos(rx), math.sin(rx), math.cos(ry), math.sin(ry),
                              math.cos(rz), math.sin(rz))
    mx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    my = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    mz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    rotation: np.ndarray = mx @ my @ mz
    return rotation


class Renderer:
    """Renders the frames of presentations for one camera, one distance (texture cache)."""

    def __init__(self, camera: Camera, seed: int = 0) -> None:
        self.camera = camera
        background = synth.scene(camera.width, camera.height, seed=seed)
        self._background = cv2.cvtColor(background, cv2.COLOR_BGR2GRAY).astype(np.float32)
        self._rng = np.random.default_rng(seed)
        self._texture_key: tuple[str, float, bool, float] | None = None
        self._texture = np.zeros((1, 1), np.float32)
        self._px_per_mm = 1.0
        self._bank = np.zeros((0, 0), np.float32)

    def _noise(self, shape: tuple[int, ...]) -> np.ndarray:
        """Unit Gaussian noise: a random window of a bank drawn once (drawing 1 M values per
        frame would double the rendering time); windows of different frames barely overlap."""
        h, w = shape
        if self._bank.shape[0] < h + 64:
            self._bank = self._rng.standard_normal((h + 64, w + 64), np.float32)
        y, x = (int(v) for v in self._rng.integers(0, 64, 2))
        flip = self._bank[y:y + h, x:x + w]
        return flip if self._rng.random() < 0.5 else flip[::-1, ::-1]

    # -- geometry ----------------------------------------------------------------------
    def _pose(self, p: Presentation, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Rotation and translation (mm) of the phone at time t."""
        u = min(1.0, max(0.0, (t - p.start_s) / p.travel_s))
        ease = 1.0 - (1.0 - u) ** 3
        cam = self.camera
        half_w = cam.width / 2 / cam.focal_px * p.distance_mm + 110.0  # fully outside
        half_h = cam.height / 2 / cam.focal_px * p.distance_mm + 110.0
        reach = min(half_w / max(abs(p.entry_dir[0]), 1e-6),
                    half_h / max(abs(p.entry_dir[1]), 1e-6))
        x = p.final_xy_mm[0] + p.entry_dir[0] * reach * (1 - ease)
        y = p.final_xy_mm[1] + p.entry_dir[1] * reach * (1 - ease)
        shake = 1.5 * math.sin(2 * math.pi * 4.0 * t + p.shake_phase)
        x += shake
        y += 0.6 * shake
        tilt = tuple(a + (b - a) * ease for a, b in zip(p.tilt_start, p.tilt_final, strict=True))
        return _rotation(tilt), np.array([x, y, p.distance_mm])  # type: ignore[arg-type]

    def _project(self, p: Presentation, t: float, local_mm: np.ndarray) -> np.ndarray:
        rot, trans = self._pose(p, t)
        world = local_mm @ rot.T + trans
        cam = self.camera
        u = cam.focal_px * world[:, 0] / world[:, 2] + cam.width / 2
        v = cam.focal_px * world[:, 1] / world[:, 2] + cam.height / 2
        return np.stack([u, v], axis=1).astype(np.float32)

    def _corners_mm(self) -> np.ndarray:
        w, h = BODY_MM
        return np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0],
                         [-w / 2, h / 2, 0]], dtype=np.float64)

    def in_view(self, p: Presentation, t: float) -> bool:
        """True if any part of the phone is inside the frame at time t."""
        box = self._project(p, t, self._corners_mm())
        cam = self.camera
        return bool(box[:, 0].max() > 0 and box[:, 0].min() < cam.width
                    and box[:, 1].max() > 0 and box[:, 1].min() < cam.height)

    # -- texture -------------------------------------------------------------------------
    def _phone_texture(self, p: Presentation) -> np.ndarray:
        px_mm = max(2.0, 2.0 * self.camera.focal_px / p.distance_mm)  # about 2x the image
        key = (p.text, p.code_mm, p.inverted, px_mm)
        if key == self._texture_key:
            return self._texture
        w, h = (round(v * px_mm) for v in BODY_MM)
        tex = np.full((h, w), BODY_DN, np.float32)
        sw, sh = (round(v * px_mm) for v in SCREEN_MM)
        x0, y0 = (w - sw) // 2, (h - sh) // 2
        tex[y0:y0 + sh, x0:x0 + sw] = SCREEN_BLACK if p.inverted else SCREEN_WHITE
        modules = synth.qr_modules(p.text)
        side = round(p.code_mm * px_mm)
        big = np.kron(modules, np.ones((8, 8), np.uint8)).astype(np.float32)
        code = cv2.resize(big, (side, side), interpolation=cv2.INTER_AREA)
        if p.inverted:
            code = 1.0 - code
        code_dn = SCREEN_WHITE + (SCREEN_BLACK - SCREEN_WHITE) * code
        cx, cy = w // 2, h // 2 + round(CODE_OFFSET_MM * px_mm)
        tex[cy - side // 2:cy - side // 2 + side, cx - side // 2:cx - side // 2 + side] = code_dn
        self._texture_key, self._texture, self._px_per_mm = key, tex, px_mm
        return tex

    # -- one frame ------------------------------------------------------------------------
    def frame(self, p: Presentation, t: float) -> Image:
        """The BGR frame the webcam delivers at time t (after MJPG)."""
        return decode_jpeg(self.frame_jpeg(p, t))

    def frame_jpeg(self, p: Presentation, t: float) -> bytes:
        """The MJPG frame the webcam sends at time t, as JPEG bytes."""
        cam = self.camera
        out = self._background.copy()
        if self.in_view(p, t):
            self._draw_phone(out, p, t)
        out *= cam.brightness
        shot_var = np.maximum(out, 0) * (cam.gain / cam.electrons_per_dn)
        read_var = (cam.read_dn * cam.gain) ** 2
        out += np.sqrt(shot_var + read_var) * self._noise(out.shape)
        gray = np.clip(out, 0, 255).astype(np.uint8)
        ok, buf = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, cam.jpeg_quality])
        if not ok:
            raise ValueError("JPEG encoding failed")
        return bytes(buf.tobytes())

    def _draw_phone(self, out: np.ndarray, p: Presentation, t: float) -> None:
        cam = self.camera
        tex = self._phone_texture(p)
        th, tw = tex.shape
        body = self._project(p, t, self._corners_mm())
        motion = self._motion_px(p, t)
        defocus = cam.defocus_px(p.distance_mm)
        margin = int(abs(motion[0]) + abs(motion[1]) + defocus + 6)
        x0 = max(0, int(body[:, 0].min()) - margin)
        y0 = max(0, int(body[:, 1].min()) - margin)
        x1 = min(cam.width, int(body[:, 0].max()) + margin + 1)
        y1 = min(cam.height, int(body[:, 1].max()) + margin + 1)
        if x1 <= x0 or y1 <= y0:
            return
        src = np.array([[0, 0], [tw, 0], [tw, th], [0, th]], np.float32)
        dst = body - np.array([x0, y0], np.float32)
        homography = cv2.getPerspectiveTransform(src, dst)
        size = (x1 - x0, y1 - y0)
        layer = cv2.warpPerspective(tex, homography, size, flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        alpha = cv2.warpPerspective(np.ones_like(tex), homography, size, flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        kernel = line_kernel(motion[0], motion[1])
        if kernel is not None:  # premultiplied: the static background stays sharp
            layer = cv2.filter2D(layer, -1, kernel, borderType=cv2.BORDER_CONSTANT)
            alpha = cv2.filter2D(alpha, -1, kernel, borderType=cv2.BORDER_CONSTANT)
        crop = out[y0:y1, x0:x1]
        crop[:] = layer + crop * (1.0 - alpha)
        disc = disc_kernel(defocus)
        if disc is not None:
            crop[:] = cv2.filter2D(crop, -1, disc, borderType=cv2.BORDER_REPLICATE)
        crop[:] = cv2.GaussianBlur(crop, (0, 0), 0.5)

    def _motion_px(self, p: Presentation, t: float) -> tuple[float, float]:
        """Pixels the code's centre moves during the exposure centred on t."""
        centre = np.array([[0.0, CODE_OFFSET_MM, 0.0]])
        half = self.camera.exposure_s / 2
        a = self._project(p, t - half, centre)[0]
        b = self._project(p, t + half, centre)[0]
        return float(b[0] - a[0]), float(b[1] - a[1])


def decode_jpeg(data: bytes) -> Image:
    """A grey JPEG frame as the BGR image the pipeline gets from a webcam."""
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise ValueError("not a JPEG frame")
    return as_image(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))


def line_kernel(dx: float, dy: float) -> np.ndarray | None:
    """A normalised motion-blur kernel: a line of length |(dx, dy)| pixels; None below 1 px."""
    length = math.hypot(dx, dy)
    if length < 1.0:
        return None
    size = math.ceil(length) | 1
    size += 2
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    steps = max(2, int(length * 4))
    for i in range(steps + 1):  # anti-aliased by sub-pixel sampling along the line
        f = i / steps - 0.5
        x, y = c + f * dx, c + f * dy
        ix, iy = math.floor(x), math.floor(y)
        fx, fy = x - ix, y - iy
        kernel[iy, ix] += (1 - fx) * (1 - fy)
        kernel[iy, ix + 1] += fx * (1 - fy)
        kernel[iy + 1, ix] += (1 - fx) * fy
        kernel[iy + 1, ix + 1] += fx * fy
    normalised: np.ndarray = kernel / kernel.sum()
    return normalised


def disc_kernel(diameter: float) -> np.ndarray | None:
    """A normalised disc (defocus) kernel of `diameter` pixels; None below 1 px."""
    if diameter < 1.0:
        return None
    radius = diameter / 2
    size = math.ceil(diameter) | 1
    c = size // 2
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) - c
    # coverage of each pixel by the disc, approximated by a soft edge one pixel wide
    kernel = np.clip(radius + 0.5 - np.sqrt(xs * xs + ys * ys), 0.0, 1.0)
    disc: np.ndarray = (kernel / kernel.sum()).astype(np.float32)
    return disc
