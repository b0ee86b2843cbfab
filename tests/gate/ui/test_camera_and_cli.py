"""Camera unplugged and plugged back without a restart; the `run` command's small options."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from pytestqt.qtbot import QtBot

from gatescan.gate.camera.frames import Frame, FrameSource, SourceUnavailable
from gatescan.gate.ui.__main__ import main as ui_main
from gatescan.gate.ui.ui_settings import UiSettings
from tests.gate.ui.conftest import AppMaker

pytestmark = pytest.mark.timeout(60)


class UnpluggableCamera:
    """A USB camera the test unplugs and plugs back in."""

    description = "test camera"

    def __init__(self) -> None:
        self.plugged = threading.Event()
        self.plugged.set()
        self._stop = threading.Event()
        self._n = 0

    def open(self) -> None:
        if not self.plugged.is_set():
            raise SourceUnavailable("test camera is unplugged")
        self._stop.clear()

    def read(self) -> Frame | None:
        if self._stop.wait(0.05):
            return None
        if not self.plugged.is_set():
            raise SourceUnavailable("test camera stopped delivering frames")
        self._n += 1
        return Frame(np.full((90, 160, 3), 80, np.uint8), 0.0, self._n * 0.05, self._n)

    def close(self) -> None:
        pass

    def interrupt(self) -> None:
        self._stop.set()


def test_camera_unplug_and_replug_without_restart(qtbot: QtBot, make_app: AppMaker,
                                                 data_dir: Path) -> None:
    camera = UnpluggableCamera()

    def source(_spec: str) -> FrameSource:
        return camera

    app = make_app(data_dir, source=source)
    strip, preview = app.window.gate.strip.camera, app.window.gate.preview
    camera.plugged.clear()
    qtbot.waitUntil(lambda: strip.plain() == "Camera lost: retrying", timeout=5000)
    assert strip.state == "bad" and "plug it back in" in preview._message
    camera.plugged.set()
    qtbot.waitUntil(lambda: strip.plain().startswith("Camera") and strip.state == "ok",
                    timeout=10_000)
    assert preview._message == ""


def test_set_pin_on_the_terminal(tmp_path: Path) -> None:
    result = CliRunner().invoke(ui_main, ["--data", str(tmp_path), "run", "--set-pin"],
                                input="4321\n4321\n")
    assert result.exit_code == 0, result.output
    assert UiSettings.load(tmp_path).check_pin("4321")
    short = CliRunner().invoke(ui_main, ["--data", str(tmp_path), "run", "--set-pin"],
                               input="12\n12\n")
    assert short.exit_code != 0 and UiSettings.load(tmp_path).check_pin("4321")


def test_run_help_lists_the_options() -> None:
    result = CliRunner().invoke(ui_main, ["run", "--help"])
    assert result.exit_code == 0
    for option in ("--kiosk", "--camera", "--video", "--gate", "--direction", "--lang"):
        assert option in result.output
    assert "--demo" not in result.output  # the demo is `gatescan-demo gate` (gatescan.demo)
