"""Camera profiles: exposure, gain and focus for reading phone screens (issue 15 item 3).

A phone screen lights itself, so a short exposure costs it little light and
cuts the motion blur of a phone still moving into view (bench/presentation.py
measures the effect). The `phone` profile asks the camera for manual exposure
at `exposure_s`, raises the gain by the exposure it gave up (capped), and leaves
autofocus on where there is one; it reads back what the camera accepted and,
when the camera refuses manual exposure or the exposure value, puts auto
exposure back on: a camera that cannot be set is left as it was, never dark.
The `auto` profile touches nothing.

Only the OpenCV capture-property calls are used (`get`/`set` on a
`cv2.VideoCapture`, V4L2 backend conventions: CAP_PROP_AUTO_EXPOSURE 1 is
manual and 3 is auto, CAP_PROP_EXPOSURE is in units of 100 us). Drivers
report 0 or -1 for controls they lack, and `set` returns False when refused.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Literal, Protocol

import cv2

log = logging.getLogger(__name__)

ProfileName = Literal["phone", "auto"]
PROFILES: tuple[ProfileName, ...] = ("phone", "auto")
DEFAULT_PROFILE: ProfileName = "phone"

V4L2_MANUAL, V4L2_AUTO = 1.0, 3.0  # CAP_PROP_AUTO_EXPOSURE values on the V4L2 backend
EXPOSURE_UNIT_S = 100e-6  # V4L2 exposure_time_absolute


class CaptureControls(Protocol):
    """The part of `cv2.VideoCapture` a profile uses (a seam for unit tests)."""

    def get(self, prop: int) -> float:
        """The property's current value (0 or -1 when the driver lacks it)."""
        ...

    def set(self, prop: int, value: float) -> bool:
        """Ask for a value; False when refused."""
        ...


@dataclass(frozen=True, slots=True)
class PhoneProfile:
    """What the `phone` profile asks for."""

    # Chosen with bench/presentation.py (docs/camera.md): 1/125 s with 1.5x gain read
    # sooner than auto exposure at 25, 38 and 53 cm; shorter exposures with more gain
    # read sooner close up but lose the far codes to noise.
    exposure_s: float = 1 / 125
    max_gain_boost: float = 1.5  # gain is raised at most this much to make up the light
    reference_exposure_s: float = 1 / 60  # what auto exposure picks indoors, at 30 fps


@dataclass(slots=True)
class ProfileResult:
    """What the camera accepted: for the one log line and the tests."""

    profile: ProfileName
    applied: dict[str, float] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    fallback: bool = False  # auto exposure left (or put back) on

    def summary(self) -> str:
        """One line for the log."""
        if self.profile == "auto":
            return "camera profile auto: exposure, gain and focus left to the camera"
        parts = [f"{k} {v:g}" for k, v in self.applied.items()]
        text = "camera profile phone: " + (", ".join(parts) or "nothing set")
        if self.refused:
            text += "; refused: " + ", ".join(self.refused)
        if self.fallback:
            text += "; auto exposure left on"
        return text


def _try(cap: CaptureControls, prop: int, value: float, tolerance: float = 0.0) -> float | None:
    """Set `prop`; the value read back if the camera took it (within `tolerance`), else None."""
    try:
        if not cap.set(prop, value):
            return None
        got = float(cap.get(prop))
    except cv2.error:
        return None
    return got if abs(got - value) <= tolerance else None


def apply_profile(cap: CaptureControls, name: ProfileName,
                  phone: PhoneProfile | None = None) -> ProfileResult:
    """Apply profile `name` to an open camera and say what it accepted (logged, one line)."""
    if name not in PROFILES:
        raise ValueError(f"unknown camera profile {name!r}; choose one of {', '.join(PROFILES)}")
    result = ProfileResult(name)
    if name == "phone":
        _apply_phone(cap, phone or PhoneProfile(), result)
    log.info("%s", result.summary())
    return result


def _apply_phone(cap: CaptureControls, p: PhoneProfile, result: ProfileResult) -> None:
    gain_before = _read(cap, cv2.CAP_PROP_GAIN)
    if _try(cap, cv2.CAP_PROP_AUTO_EXPOSURE, V4L2_MANUAL) is None:
        result.refused.append("manual exposure")
        _restore_auto(cap, result)
        return
    units = max(1.0, round(p.exposure_s / EXPOSURE_UNIT_S))
    got = _try(cap, cv2.CAP_PROP_EXPOSURE, units, tolerance=max(1.0, 0.2 * units))
    if got is None:
        result.refused.append(f"exposure {p.exposure_s * 1000:.1f} ms")
        _restore_auto(cap, result)
        return
    result.applied["exposure_ms"] = round(got * EXPOSURE_UNIT_S * 1000, 2)
    if gain_before is not None and gain_before > 0:
        boost = min(p.max_gain_boost, p.reference_exposure_s / (got * EXPOSURE_UNIT_S))
        wanted = round(gain_before * max(1.0, boost))
        granted = _try(cap, cv2.CAP_PROP_GAIN, wanted, tolerance=float("inf"))
        if granted is None:
            result.refused.append("gain")
        else:
            result.applied["gain"] = granted  # drivers clamp to their maximum: what it took
    # Focus: continuous autofocus suits phones held at 20-60 cm, so a camera that has it
    # keeps it; a fixed-focus lens (most USB webcams) has nothing to set.
    if _read(cap, cv2.CAP_PROP_AUTOFOCUS) is not None:
        result.applied["autofocus"] = 1.0


def _restore_auto(cap: CaptureControls, result: ProfileResult) -> None:
    result.fallback = True
    with contextlib.suppress(cv2.error):  # then it never left auto exposure
        cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, V4L2_AUTO)


def _read(cap: CaptureControls, prop: int) -> float | None:
    """A control's value, None when the driver lacks it (reports 0 or less, or fails)."""
    try:
        value = float(cap.get(prop))
    except cv2.error:
        return None
    return value if value > 0 else None
