"""Frame sources: files at a real frame rate, the OpenCV source, specs and camera listing."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.demo import synth
from gatescan.gate.camera.file_source import FileSource, MemorySource
from gatescan.gate.camera.frames import SourceUnavailable, SourceUnsupported
from gatescan.gate.camera.opencv_source import (
    CameraSettings,
    OpenCVSource,
    gstreamer_available,
    list_cameras,
    parse_source_spec,
    redact_url,
)
from tests.factories import Issuer
from tests.gate.camera.helpers import write_phone_video


def _drain(source: FileSource | MemorySource | OpenCVSource, limit: int = 1000) -> list:
    frames = []
    while len(frames) < limit:
        frame = source.read()
        if frame is None:
            break
        frames.append(frame)
    return frames


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i:02d}.png"), synth.scene(64, 48, seed=i))
    (tmp_path / "05.png").write_bytes(b"not a png at all")
    (tmp_path / "notes.txt").write_text("ignored")
    return tmp_path


def test_folder_replays_images_in_order_at_fps(image_folder: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    source = FileSource(image_folder, fps=20)
    source.open()
    t0 = time.monotonic()
    frames = _drain(source)
    elapsed = time.monotonic() - t0
    assert [f.index for f in frames] == [1, 2, 3]
    assert frames[0].image.shape == (48, 64, 3)
    assert frames[2].mono - frames[0].mono == pytest.approx(0.1)
    assert elapsed >= 0.09  # paced: frame 3 is due 2/20 s after frame 1
    assert "skipping 05.png: not a readable image" in caplog.text


def test_single_image_once_or_looped(image_folder: Path) -> None:
    once = FileSource(image_folder / "01.png", speed=0)
    once.open()
    assert len(_drain(once)) == 1
    looped = FileSource(image_folder / "01.png", speed=0, loop=True, color=False)
    looped.open()
    frames = _drain(looped, limit=5)
    assert len(frames) == 5 and frames[4].image.ndim == 2


def test_video_file_plays_at_its_native_rate(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    write_phone_video(video, [(None, 1.2)], fps=10)
    source = FileSource(video)
    source.open()
    assert source.is_video and source.fps == pytest.approx(10)
    t0 = time.monotonic()
    frames = _drain(source)
    elapsed = time.monotonic() - t0
    source.close()
    assert len(frames) == 12
    assert 1.0 <= elapsed < 2.0  # 11 frame intervals of 0.1 s
    assert frames[-1].time - frames[0].time == pytest.approx(1.1)


def test_missing_or_empty_file_sources_are_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable, match="does not exist"):
        FileSource(tmp_path / "nope.avi").open()
    with pytest.raises(SourceUnavailable, match="no images"):
        FileSource(tmp_path).open()
    (tmp_path / "broken.avi").write_bytes(b"\x00" * 100)
    with pytest.raises(SourceUnavailable, match="cannot read video"):
        FileSource(tmp_path / "broken.avi").open()
    with pytest.raises(ValueError):
        MemorySource([], fps=0)


def test_interrupt_wakes_a_waiting_read() -> None:
    source = MemorySource([np.zeros((4, 4), np.uint8)] * 3, fps=0.2)
    source.open()
    assert source.read() is not None
    source.interrupt()
    t0 = time.monotonic()
    assert source.read() is None
    assert time.monotonic() - t0 < 0.5


def test_opencv_source_reads_a_video_then_reports_loss(tmp_path: Path, issuer: Issuer) -> None:
    video = tmp_path / "cam.avi"
    write_phone_video(video, [(issuer.issue(1), 0.5)], fps=10)
    source = OpenCVSource(str(video), CameraSettings(max_read_failures=2))
    assert source.description == str(video)
    source.open()
    frames = []
    with pytest.raises(SourceUnavailable, match="stopped delivering frames"):
        while True:
            frames.append(source.read())
    source.close()
    source.close()  # twice is fine
    assert len(frames) == 5 and frames[0].image.shape == (480, 640, 3)
    assert [f.index for f in frames] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("spec", ["/dev/video99", "99"])
def test_absent_camera_is_unavailable(spec: str) -> None:
    source = OpenCVSource(spec)
    with pytest.raises(SourceUnavailable, match=r"does not exist|cannot open"):
        source.open()
    with pytest.raises(SourceUnavailable):
        source.read()


@pytest.mark.skipif(gstreamer_available(), reason="this OpenCV build has GStreamer")
def test_gstreamer_without_support_is_unsupported() -> None:
    source = OpenCVSource("v4l2src device=/dev/video0 ! videoconvert ! appsink")
    with pytest.raises(SourceUnsupported, match="no GStreamer support"):
        source.open()


def test_fourcc_must_be_four_characters() -> None:
    with pytest.raises(ValueError, match="FOURCC"):
        OpenCVSource(0, CameraSettings(fourcc="MJPEG"))


@pytest.mark.parametrize(("spec", "kind", "target"), [
    ("0", "index", 0), (" 2 ", "index", 2), (3, "index", 3),
    ("/dev/video2", "device", "/dev/video2"),
    ("rtsp://cam.local:554/live", "url", "rtsp://cam.local:554/live"),
    ("http://10.0.0.9:8080/video.mjpg", "url", "http://10.0.0.9:8080/video.mjpg"),
    ("v4l2src ! videoconvert ! appsink", "gstreamer", "v4l2src ! videoconvert ! appsink"),
    ("gst: videotestsrc ! appsink", "gstreamer", "videotestsrc ! appsink"),
    ("clips/gate 3.avi", "file", "clips/gate 3.avi"),
    ("٣", "file", "٣"),  # a non-ASCII digit is not a device index
])
def test_source_specs(spec: str | int, kind: str, target: object) -> None:
    parsed = parse_source_spec(spec)
    assert (parsed.kind, parsed.target) == (kind, target)


@pytest.mark.parametrize("spec", ["", "   ", "a\x00b", "x" * 5000, -1])
def test_bad_source_specs(spec: str | int) -> None:
    with pytest.raises(ValueError):
        parse_source_spec(spec)


def test_url_credentials_never_reach_logs() -> None:
    spec = parse_source_spec("rtsp://admin:s3cret@10.0.0.5:554/stream?token=abc")
    assert spec.description == "rtsp://***@10.0.0.5:554/stream"
    assert redact_url("rtsp://10.0.0.5/x") == "rtsp://10.0.0.5/x"


@given(st.text(max_size=200))
def test_any_spec_text_parses_or_is_refused(text: str) -> None:
    try:
        spec = parse_source_spec(text)
    except ValueError:
        return
    assert spec.kind in ("index", "device", "url", "gstreamer", "file")
    assert isinstance(spec.description, str)


@given(st.text(alphabet="abcdefgh:/@.", min_size=1, max_size=12), st.integers(1, 65535))
def test_passwords_are_redacted(password: str, port: int) -> None:
    password = password.replace("@", "").replace("/", "").replace(":", "") or "pw"
    spec = parse_source_spec(f"rtsp://user:{password}@camera.example:{port}/s")
    assert password not in spec.description.replace("camera.example", "")


def test_list_cameras_from_sysfs(tmp_path: Path) -> None:
    for node, name, index in [("video0", "HD Pro Webcam C920", "0"),
                              ("video1", "HD Pro Webcam C920", "1"),
                              ("video2", "USB2.0 PC CAMERA", "0")]:
        (tmp_path / node).mkdir()
        (tmp_path / node / "name").write_text(name + "\n")
        (tmp_path / node / "index").write_text(index + "\n")
    (tmp_path / "v4l-subdev0").mkdir()
    cams = list_cameras(tmp_path)
    assert [(c.index, c.path, c.name) for c in cams] == [
        (0, "/dev/video0", "HD Pro Webcam C920"), (2, "/dev/video2", "USB2.0 PC CAMERA")]
    assert [c.capture for c in list_cameras(tmp_path, include_all=True)] == [True, False, True]
    assert list_cameras(tmp_path / "absent") == []  # this machine: no cameras, no probing


def test_timeouts_go_only_to_network_streams() -> None:
    # V4L2 and the other backends refuse to open when given parameters they do not know
    assert OpenCVSource(0).open_params() == []
    assert OpenCVSource("/dev/video0").open_params() == []
    assert OpenCVSource("clip.avi").open_params() == []
    params = OpenCVSource("rtsp://cam/live", CameraSettings(read_timeout_ms=1500)).open_params()
    assert params == [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 5000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 1500]
