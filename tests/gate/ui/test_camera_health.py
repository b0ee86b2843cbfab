"""The gate screen tells the truth about the camera: no READY while it cannot scan.

Real sources: OpenCV on camera index 7 (this machine has none), a video file
that plays to its end, a file source whose read blocks; real widgets offscreen.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from pytestqt.qtbot import QtBot

from gatescan.demo import synth
from gatescan.gate.camera.file_source import FileSource
from gatescan.gate.camera.frames import FrameSource
from gatescan.gate.camera.health import CameraHealth
from gatescan.gate.ui import sources
from gatescan.gate.ui.display import Tone, VerdictDisplay
from gatescan.gate.ui.gate_screen import GateScreen
from gatescan.gate.ui.sounds import Alert
from tests.gate.camera.helpers import StallingSource, write_phone_video
from tests.gate.ui.conftest import AppMaker

pytestmark = pytest.mark.timeout(60)
NOT_WORKING = "CAMERA NOT WORKING"


def _alarms(app: object) -> int:
    return list(app.sound.played).count(Alert.CAMERA_DOWN)  # type: ignore[attr-defined]


def test_missing_camera_index_never_shows_ready(qtbot: QtBot, make_app: AppMaker,
                                                data_dir: Path) -> None:
    """`gatescan run --camera 7` on a machine without camera 7."""
    app = make_app(data_dir, source=lambda _spec: sources.make_source("7"), wait_ready=False)
    gate = app.window.gate
    qtbot.waitUntil(lambda: gate.ready_word.text() == NOT_WORKING, timeout=5000)
    assert gate.ready_hint.text() == "Use manual lookup (F2) or the handheld scanner"
    assert gate.strip.camera.plain() == "No camera" and gate.strip.camera.state == "bad"
    assert "No camera found" in gate.preview._message
    qtbot.wait(1600)  # several reopen attempts (0.5 s, 1 s, ...): still one alarm
    assert gate.ready_word.text() == NOT_WORKING
    assert _alarms(app) == 1


def test_demo_video_that_ends_shows_camera_not_working(qtbot: QtBot, make_app: AppMaker,
                                                       data_dir: Path, tmp_path: Path) -> None:
    video = tmp_path / "demo.avi"
    write_phone_video(video, [(None, 1.0)], fps=10)

    def source(_spec: str) -> FrameSource:
        return FileSource(video)

    app = make_app(data_dir, source=source)
    gate = app.window.gate
    assert gate.ready_word.text() == "READY"
    qtbot.waitUntil(lambda: gate.ready_word.text() == NOT_WORKING, timeout=5000)
    assert gate.strip.camera.plain() == "Video ended"
    assert gate.preview._message == "The video has ended"
    assert _alarms(app) == 1


def test_frozen_camera_then_recovers_by_itself(qtbot: QtBot, make_app: AppMaker,
                                               data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), synth.scene(160, 120, seed=i))
    stalling = StallingSource(folder, stall_after=8, fps=10, loop=True)

    def source(_spec: str) -> FrameSource:
        return stalling

    app = make_app(data_dir, source=source)
    gate = app.window.gate
    qtbot.waitUntil(lambda: gate.ready_word.text() == NOT_WORKING, timeout=8000)
    assert gate.strip.camera.plain() == "Camera frozen"
    assert gate.preview._message == "The camera stopped sending pictures"
    stalling.resume()
    qtbot.waitUntil(lambda: gate.ready_word.text() == "READY", timeout=5000)
    assert gate.ready_hint.text() == "Hold the ticket code up to the camera"
    assert gate.strip.camera.state == "ok" and gate.preview._message == ""
    assert _alarms(app) == 1


def test_unplugged_camera_alarms_once_per_outage(qtbot: QtBot, make_app: AppMaker,
                                                 data_dir: Path) -> None:
    from tests.gate.ui.test_camera_and_cli import UnpluggableCamera

    camera = UnpluggableCamera()
    app = make_app(data_dir, source=lambda _spec: camera)
    gate = app.window.gate
    for outage in (1, 2):
        camera.plugged.clear()
        qtbot.waitUntil(lambda: gate.ready_word.text() == NOT_WORKING, timeout=5000)
        qtbot.wait(700)  # retries
        assert _alarms(app) == outage
        camera.plugged.set()
        qtbot.waitUntil(lambda: gate.ready_word.text() == "READY", timeout=10_000)


def test_a_verdict_on_screen_is_not_hidden_by_a_camera_outage(qtbot: QtBot) -> None:
    gate = GateScreen(hold_ms={Tone.ADMIT: 400})
    qtbot.addWidget(gate)
    gate.show_display(VerdictDisplay(Tone.ADMIT, "ADMIT", "Adult"))
    assert gate.set_camera_health(CameraHealth.FROZEN.value) is True
    assert not gate.is_ready()  # the verdict stays up for its full time
    assert gate.set_camera_health(CameraHealth.LOST.value) is False  # the same outage
    with qtbot.waitSignal(gate.ready_shown, timeout=2000):
        pass
    assert gate.is_ready() and gate.ready_word.text() == NOT_WORKING
    assert gate.set_camera_health(CameraHealth.OK.value) is False
    assert gate.ready_word.text() == "READY"


def test_chinese_camera_not_working(qtbot: QtBot, make_app: AppMaker, data_dir: Path,
                                    tmp_path: Path) -> None:
    video = tmp_path / "short.avi"
    write_phone_video(video, [(None, 0.5)], fps=10)
    app = make_app(data_dir, source=lambda _spec: FileSource(video), language="zh_CN")
    gate = app.window.gate
    try:
        qtbot.waitUntil(lambda: gate.ready_word.text() == "摄像头无法使用", timeout=5000)
        assert "手动查询" in gate.ready_hint.text()
        assert gate.strip.camera.plain() == "视频已结束" and gate.strip.camera.state == "bad"
    finally:
        from PySide6.QtWidgets import QApplication

        from gatescan.gate.ui import translations

        translations.uninstall(QApplication.instance(), app._translator)  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_camera_not_working_fits_every_screen(qtbot: QtBot, make_app: AppMaker, data_dir: Path,
                                              language: str) -> None:
    """CAMERA NOT WORKING and the strip's camera field: not elided, nothing overlapping."""
    from tests.gate.ui.test_screen_sizes import SIZES, check, sized

    app = make_app(data_dir, language=language)
    found: list[str] = []
    try:
        for health in (CameraHealth.MISSING, CameraHealth.BLACK):
            app._camera_health_changed(health.value, "")
            for size in SIZES:
                sized(qtbot, app, size)
                found += check(app, size, f"camera {health.value}")
        assert app.window.gate.ready_word.wordWrap()
    finally:
        from PySide6.QtWidgets import QApplication

        from gatescan.gate.ui import translations

        translations.uninstall(QApplication.instance(), app._translator)  # type: ignore[arg-type]
    assert not found, "\n".join(found)
