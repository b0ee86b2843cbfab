"""The `phone` camera profile: what it asks for, what it reads back, and its safe fallback.

The decision logic runs against a recording capture that behaves like a V4L2
webcam (the hardware this machine lacks), and against a real `cv2.VideoCapture`
on a video file, which refuses the controls: the fallback path.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from click.testing import CliRunner

from gatescan.gate.camera.opencv_source import CameraSettings, OpenCVSource
from gatescan.gate.camera.profile import (
    V4L2_AUTO,
    V4L2_MANUAL,
    PhoneProfile,
    apply_profile,
)
from gatescan.gate.ui.commands import run
from gatescan.gate.ui.options import UiOptions
from gatescan.gate.ui.sources import make_source
from tests.factories import Issuer
from tests.gate.camera.helpers import write_phone_video


class RecordingCamera:
    """Stands in for a UVC webcam's controls: records every set, clamps like a driver."""

    def __init__(self, *, manual_ok: bool = True, exposure_range: tuple[float, float] = (3, 2047),
                 gain: float = 64.0, max_gain: float = 128.0, autofocus: float = 0.0) -> None:
        self.values = {cv2.CAP_PROP_AUTO_EXPOSURE: V4L2_AUTO, cv2.CAP_PROP_EXPOSURE: 166.0,
                       cv2.CAP_PROP_GAIN: gain, cv2.CAP_PROP_AUTOFOCUS: autofocus}
        self.manual_ok, self.exposure_range, self.max_gain = manual_ok, exposure_range, max_gain
        self.calls: list[tuple[int, float]] = []

    def get(self, prop: int) -> float:
        return self.values.get(prop, 0.0)

    def set(self, prop: int, value: float) -> bool:
        self.calls.append((prop, value))
        if prop == cv2.CAP_PROP_AUTO_EXPOSURE:
            if value == V4L2_MANUAL and not self.manual_ok:
                return False
            self.values[prop] = value
            return True
        if prop == cv2.CAP_PROP_EXPOSURE:
            low, high = self.exposure_range
            self.values[prop] = min(high, max(low, value))  # drivers clamp silently
            return True
        if prop == cv2.CAP_PROP_GAIN:
            self.values[prop] = min(self.max_gain, value)
            return True
        return False


def test_phone_profile_sets_short_exposure_then_more_gain() -> None:
    cam = RecordingCamera()
    result = apply_profile(cam, "phone", PhoneProfile(exposure_s=1 / 250, max_gain_boost=2.5))
    assert cam.calls[0] == (cv2.CAP_PROP_AUTO_EXPOSURE, V4L2_MANUAL)  # manual first
    assert cam.calls[1] == (cv2.CAP_PROP_EXPOSURE, 40)  # 4 ms in 100 us units
    assert cam.values[cv2.CAP_PROP_GAIN] == 128.0  # 64 x 2.5 = 160, clamped by the driver
    assert result.applied == {"exposure_ms": 4.0, "gain": 128.0}
    assert not result.fallback and not result.refused
    assert result.summary() == "camera profile phone: exposure_ms 4, gain 128"


def test_refused_manual_exposure_leaves_auto_exposure_on() -> None:
    cam = RecordingCamera(manual_ok=False)
    result = apply_profile(cam, "phone")
    assert result.fallback and result.refused == ["manual exposure"]
    assert cam.values[cv2.CAP_PROP_AUTO_EXPOSURE] == V4L2_AUTO
    assert cv2.CAP_PROP_EXPOSURE not in {prop for prop, _ in cam.calls}
    assert cv2.CAP_PROP_GAIN not in {prop for prop, _ in cam.calls}


def test_an_exposure_the_camera_cannot_do_puts_auto_exposure_back() -> None:
    cam = RecordingCamera(exposure_range=(78, 5000))  # shortest it does is 7.8 ms
    result = apply_profile(cam, "phone", PhoneProfile(exposure_s=1 / 500))
    assert result.fallback and result.refused == ["exposure 2.0 ms"]
    assert cam.calls[-1] == (cv2.CAP_PROP_AUTO_EXPOSURE, V4L2_AUTO)


def test_autofocus_is_reported_and_gain_left_when_the_camera_has_none() -> None:
    cam = RecordingCamera(gain=0.0, autofocus=1.0)
    result = apply_profile(cam, "phone")
    assert result.applied == {"exposure_ms": 8.0, "autofocus": 1.0}  # the default 1/125 s
    assert cv2.CAP_PROP_GAIN not in {prop for prop, _ in cam.calls}


def test_auto_profile_touches_nothing(caplog: pytest.LogCaptureFixture) -> None:
    cam = RecordingCamera()
    with caplog.at_level("INFO"):
        result = apply_profile(cam, "auto")
    assert cam.calls == [] and not result.applied
    assert "camera profile auto: exposure, gain and focus left to the camera" in caplog.text


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown camera profile"):
        apply_profile(RecordingCamera(), "sports")  # type: ignore[arg-type]


def test_real_capture_on_a_video_file_takes_the_fallback(
        tmp_path: Path, issuer: Issuer, caplog: pytest.LogCaptureFixture) -> None:
    video = tmp_path / "clip.avi"
    write_phone_video(video, [(issuer.issue(31), 0.3)], fps=10)
    cap = cv2.VideoCapture(str(video))
    try:
        assert cap.isOpened()
        with caplog.at_level("INFO"):
            result = apply_profile(cap, "phone")
        assert result.fallback and "manual exposure" in result.refused[0]
        assert not result.applied
        assert caplog.text.count("camera profile phone:") == 1  # one line says it all
        assert "auto exposure left on" in caplog.text
        ok, image = cap.read()  # the capture still works after the refused controls
        assert ok and image.shape == (480, 640, 3)
    finally:
        cap.release()


def test_profile_reaches_the_live_source_from_the_options() -> None:
    assert UiOptions().camera_profile == "phone"
    source = make_source("/dev/video-not-here", profile="auto")
    assert isinstance(source, OpenCVSource) and source.settings.profile == "auto"
    assert CameraSettings().profile == "phone"


def test_run_rejects_an_unknown_camera_profile() -> None:
    result = CliRunner().invoke(run, ["--camera-profile", "sports"])
    assert result.exit_code == 2
    assert "'phone'" in result.output and "'auto'" in result.output
