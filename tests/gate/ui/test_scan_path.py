"""The way from a decoded code to the verdict on screen: which thread does what, and what it
paints (real widgets offscreen, real ledger, real tokens)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ui import theme
from gatescan.gate.ui.app import GateApp
from gatescan.gate.ui.camera_worker import to_qimage
from gatescan.gate.ui.display import Tone, VerdictDisplay
from gatescan.gate.ui.gate_screen import GateScreen
from gatescan.gate.ui.verdict_view import CachedLabel
from tests.factories import Issuer
from tests.gate.ledger.util import all_rows
from tests.gate.ui.conftest import AppMaker, FakeClock

pytestmark = pytest.mark.timeout(60)


def scan(qtbot: QtBot, app: GateApp, text: str) -> VerdictDisplay:
    """A code as the camera's decode thread reports it; the verdict shown for it."""
    with qtbot.waitSignal(app.verdict_displayed, timeout=10_000) as blocker:
        app.camera.code_decoded.emit(text, 0.0)
    display = blocker.args[0]
    assert isinstance(display, VerdictDisplay)
    return display


def recorded(data_dir: Path) -> list[int]:
    """Ticket ids of the scans in the ledger, in order."""
    with Ledger(data_dir / "ledger.db") as ledger:
        return [r["ticket_id"] for r in all_rows(ledger.conn, "scans")]


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "via-ui"])
def test_a_camera_code_is_recorded_and_shown_on_either_path(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer, clock: FakeClock,
        direct: bool) -> None:
    app = make_app(data_dir, direct_scans=direct)
    assert scan(qtbot, app, issuer.issue(0x1001).token(clock.now)).tone is Tone.ADMIT
    qtbot.waitUntil(lambda: not app.settling(), timeout=5_000)  # the counters follow
    assert recorded(data_dir) == [0x1001]
    [sample] = app.latency_log.samples
    assert (sample.routed is None) is direct  # the UI thread handed it on only via-ui
    steps = sample.steps_ms()
    assert all(ms >= 0 for ms in steps.values()), steps


def test_camera_codes_while_the_manager_screen_is_open_are_not_recorded(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    """The ledger takes codes from the camera thread itself only while the gate screen shows."""
    app = make_app(data_dir)
    app.window.show_manager()
    app.camera.code_decoded.emit(issuer.issue(0x1001).token(clock.now), 0.0)
    app.window.show_gate()
    # The ledger thread handles requests in order: the second code's verdict comes after
    # the first code was dropped.
    display = scan(qtbot, app, issuer.issue(0x1002).token(clock.now))
    assert display.tone is Tone.ADMIT
    assert recorded(data_dir) == [0x1002]


def test_preview_frames_are_32_bit_with_the_colours_kept() -> None:
    """Frames reach the UI thread in the window's pixel format: painting them is a copy."""
    frame = np.zeros((90, 160, 3), np.uint8)
    frame[:, :] = (10, 20, 200)  # BGR: a red
    image = to_qimage(frame, 80, 45)
    assert image.format() is QImage.Format.Format_RGB32
    assert (image.width(), image.height()) == (80, 45)
    assert QColor(image.pixel(40, 20)).getRgb()[:3] == (200, 20, 10)
    gray = to_qimage(np.full((45, 80), 77, np.uint8))
    assert gray.format() is QImage.Format.Format_RGB32
    assert QColor(gray.pixel(3, 3)).getRgb()[:3] == (77, 77, 77)


def test_a_cached_label_paints_what_a_plain_label_paints(qtbot: QtBot) -> None:
    """The verdict's big words come from a pixmap cache, pixel for pixel a QLabel's paint."""
    pictures = []
    for cls in (QLabel, CachedLabel):
        panel = QWidget()
        qtbot.addWidget(panel)
        panel.resize(900, 300)
        panel.setStyleSheet("background: #137a35;")
        label = cls(panel)
        label.setText("ALREADY ADMITTED HERE")
        label.setWordWrap(True)
        label.setFont(theme.font(120, bold=True))
        label.setStyleSheet("color: #ffffff; background: transparent;")
        label.setGeometry(0, 0, 900, 300)
        panel.show()
        qtbot.waitExposed(panel)
        label.repaint()
        QApplication.processEvents()  # the cache fills after the first paint
        label.repaint()
        pictures.append(panel.grab().toImage())
    plain, cached = pictures
    assert cached == plain


def test_the_inset_starts_from_the_frame_the_code_was_read_in(qtbot: QtBot) -> None:
    """Defect: the verdict's camera inset first showed the previous verdict's picture."""
    screen = GateScreen()
    qtbot.addWidget(screen)
    screen.resize(1280, 800)
    screen.show()
    qtbot.waitExposed(screen)
    red = np.zeros((360, 640, 3), np.uint8)
    red[:, :] = (0, 0, 255)
    screen.show_frame(to_qimage(red))
    screen.show_display(VerdictDisplay(Tone.ADMIT, "ADMIT", "VIP"))
    inset = screen.verdict.inset
    qtbot.waitUntil(lambda: inset.frames_painted > 0, timeout=5_000)
    picture = inset.grab().toImage()
    centre = QColor(picture.pixel(picture.width() // 2, picture.height() // 2))
    assert centre.red() > 200 and centre.green() < 40 and centre.blue() < 40
