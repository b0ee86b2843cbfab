"""Camera health: missing, lost, frozen, black and ended cameras are reported, and recover.

Real sources throughout: OpenCV on a camera index this machine does not have,
image folders and videos on disk that are deleted and restored, a file source
whose read blocks.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from gatescan.demo import synth
from gatescan.gate.camera.decoders import make_decoder
from gatescan.gate.camera.file_source import FileSource
from gatescan.gate.camera.frames import SourceState
from gatescan.gate.camera.health import CameraHealth, HealthMonitor, HealthSettings, is_black
from gatescan.gate.camera.opencv_source import OpenCVSource
from gatescan.gate.camera.pipeline import PipelineSettings, ScanPipeline
from tests.gate.camera.helpers import Recorder, StallingSource, write_phone_video

QUICK = HealthSettings(frozen_after=0.5, black_after=0.4, start_grace=0.8, check_every=0.05)
SETTINGS = PipelineSettings(backoff_initial=0.05, backoff_max=0.2, preview_fps=0, health=QUICK)
H = CameraHealth


def _folder(path: Path, count: int = 4, *, black: bool = False) -> Path:
    path.mkdir()
    for i in range(count):
        image = (np.zeros((48, 64, 3), np.uint8) if black
                 else synth.scene(64, 48, seed=i))
        cv2.imwrite(str(path / f"{i:02d}.png"), image)
    return path


def test_camera_index_that_does_not_exist_is_missing_and_retried_with_backoff() -> None:
    rec = Recorder()
    pipe = ScanPipeline(OpenCVSource(7), make_decoder(), SETTINGS, **rec.kwargs())
    with pipe:
        assert rec.wait_health(H.MISSING, 3)
        time.sleep(0.6)
        assert pipe.health is H.MISSING
    opened = [s for s in rec.state_list() if s is SourceState.OPENING]
    # 0.05 + 0.1 + 0.2 + 0.2 ... : a handful of attempts, never a spin
    assert 2 <= len(opened) <= 8
    # retries keep the outage: one MISSING, no STARTING in between (no flicker, one alarm)
    assert rec.health_list() == [H.STARTING, H.MISSING, H.STOPPED]


def test_video_that_ends_is_reported_ended(tmp_path: Path) -> None:
    video = tmp_path / "demo.avi"
    write_phone_video(video, [(None, 0.5)], fps=10)
    rec = Recorder()
    with ScanPipeline(FileSource(video, speed=4), make_decoder(), SETTINGS,
                      **rec.kwargs()) as pipe:
        assert pipe.wait_finished(timeout=10)
        assert rec.wait_health(H.ENDED, 2)
    assert rec.health_list() == [H.STARTING, H.OK, H.ENDED]
    assert H.ENDED.is_outage and not H.OK.is_outage and not H.STOPPED.is_outage


def test_folder_that_disappears_is_lost_then_recovers(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "frames")
    away = tmp_path / "unplugged"
    rec = Recorder()
    source = FileSource(folder, fps=20, loop=True)
    with ScanPipeline(source, make_decoder(), SETTINGS, **rec.kwargs()) as pipe:
        assert rec.wait_health(H.OK, 3)
        shutil.move(folder, away)  # unplugged / unmounted
        assert rec.wait_health(H.LOST, 3)
        time.sleep(0.5)  # retrying with backoff meanwhile
        assert pipe.health is H.LOST
        shutil.move(away, folder)
        assert rec.wait_health(H.OK, 3)
    assert rec.health_list() == [H.STARTING, H.OK, H.LOST, H.OK, H.STOPPED]
    assert "disappeared" in rec.health[2][1] or "does not exist" in rec.health[2][1]


def test_looped_video_deleted_while_playing_is_lost(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    write_phone_video(video, [(None, 0.3)], fps=10)
    rec = Recorder()
    with ScanPipeline(FileSource(video, fps=30, loop=True), make_decoder(), SETTINGS,
                      **rec.kwargs()):
        assert rec.wait_health(H.OK, 3)
        video.unlink()  # the open file plays to its end, then cannot be replayed
        assert rec.wait_health(H.LOST, 3)


def test_source_whose_read_blocks_is_frozen_then_recovers(tmp_path: Path) -> None:
    source = StallingSource(_folder(tmp_path / "frames"), stall_after=6, fps=20, loop=True)
    rec = Recorder()
    with ScanPipeline(source, make_decoder(), SETTINGS, **rec.kwargs()) as pipe:
        assert rec.wait_health(H.OK, 3)
        assert rec.wait_health(H.FROZEN, 3)  # the read is still blocked: the watchdog saw it
        assert pipe.state is SourceState.LIVE
        assert "no new frame for" in rec.health[-1][1]
        source.resume()
        assert rec.wait_health(H.OK, 3)
    assert rec.health_list() == [H.STARTING, H.OK, H.FROZEN, H.OK, H.STOPPED]


def test_source_that_opens_but_never_delivers_is_frozen_after_the_grace(tmp_path: Path) -> None:
    source = StallingSource(_folder(tmp_path / "frames"), stall_after=0, fps=20)
    rec = Recorder()
    with ScanPipeline(source, make_decoder(), SETTINGS, **rec.kwargs()):
        assert rec.wait_health(H.FROZEN, 3)
    assert rec.health_list()[:2] == [H.STARTING, H.FROZEN]
    assert "after opening" in rec.health[1][1]


def test_black_frames_then_a_picture(tmp_path: Path) -> None:
    video = tmp_path / "capped.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 20, (320, 240))
    noise = np.random.default_rng(1)
    for _ in range(30):  # a lens cap: black with a little sensor noise
        writer.write(np.clip(noise.normal(6, 2, (240, 320, 3)), 0, 255).astype(np.uint8))
    for i in range(30):
        writer.write(synth.scene(320, 240, seed=i % 3))
    writer.release()
    rec = Recorder()
    with ScanPipeline(FileSource(video), make_decoder(), SETTINGS, **rec.kwargs()) as pipe:
        assert pipe.wait_finished(timeout=10)
    assert rec.health_list() == [H.STARTING, H.BLACK, H.OK, H.ENDED]


def test_black_detection_is_not_fooled_by_a_dim_scene() -> None:
    assert is_black(np.zeros((720, 1280), np.uint8))
    assert is_black(np.full((720, 1280, 3), 12, np.uint8))
    dim = (synth.scene(1280, 720, seed=3).astype(np.float32) * 0.25).astype(np.uint8)
    assert not is_black(dim)  # a dark venue still has structure
    assert not is_black(np.full((720, 1280), 128, np.uint8))  # grey, e.g. a wall: not black
    assert is_black(np.zeros((0, 0), np.uint8))


class FakeClock:
    """A hand-moved monotonic clock for the monitor's unit tests."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monitor() -> tuple[HealthMonitor, list[CameraHealth], FakeClock]:
    seen: list[CameraHealth] = []
    clock = FakeClock()
    mon = HealthMonitor(HealthSettings(), lambda h, _d: seen.append(h), clock=clock)
    return mon, seen, clock


def test_monitor_frozen_black_and_back(monitor: tuple[HealthMonitor, list[CameraHealth],
                                                      FakeClock]) -> None:
    mon, seen, clock = monitor
    picture = synth.scene(64, 48)
    black = np.zeros((48, 64, 3), np.uint8)
    mon.source_state(SourceState.OPENING, "camera 0")
    mon.source_state(SourceState.LIVE, "camera 0")
    mon.frame(picture)
    clock.now += 1.9
    mon.check()
    assert seen == [H.STARTING, H.OK]
    clock.now += 0.2
    mon.check()
    mon.check()
    assert seen == [H.STARTING, H.OK, H.FROZEN]
    mon.frame(black)  # frames again, but black: the outage goes on, no new report yet
    assert seen[-1] is H.FROZEN
    for _ in range(9):
        clock.now += 0.25
        mon.frame(black)
        mon.check()
    assert seen[-1] is H.BLACK
    clock.now += 0.25
    mon.frame(picture)
    assert seen == [H.STARTING, H.OK, H.FROZEN, H.BLACK, H.OK]


def test_monitor_lost_after_frames_missing_before(monitor: tuple[HealthMonitor,
                                                                 list[CameraHealth],
                                                                 FakeClock]) -> None:
    mon, seen, _clock = monitor
    mon.source_state(SourceState.OPENING, "")
    mon.source_state(SourceState.UNAVAILABLE, "cannot open")
    mon.source_state(SourceState.OPENING, "")
    mon.source_state(SourceState.UNAVAILABLE, "cannot open")
    assert seen == [H.STARTING, H.MISSING]
    mon.source_state(SourceState.OPENING, "")
    mon.source_state(SourceState.LIVE, "")
    mon.frame(synth.scene(64, 48))
    mon.source_state(SourceState.UNAVAILABLE, "stopped delivering")
    mon.source_state(SourceState.OPENING, "")
    mon.source_state(SourceState.FAILED, "bug")
    assert seen == [H.STARTING, H.MISSING, H.OK, H.LOST, H.FAILED]


def test_a_failing_listener_does_not_stop_the_monitor(caplog: pytest.LogCaptureFixture) -> None:
    def broken(_h: CameraHealth, _d: str) -> None:
        raise RuntimeError("listener bug")

    mon = HealthMonitor(on_change=broken)
    mon.source_state(SourceState.OPENING, "")
    mon.source_state(SourceState.ENDED, "")
    assert mon.health is H.ENDED
    assert caplog.text.count("health callback failed") == 2
