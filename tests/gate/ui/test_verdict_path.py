"""The verdict's way to the screen (issue 15): nothing shows before the durable commit, the
verdict paints ahead of queued work, 'shown' is stamped when the whole panel is painted,
and the quick path looks exactly like the one before it (real app, real ledger, real
widgets offscreen)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ui.app import GateApp
from gatescan.gate.ui.camera_worker import to_qimage
from gatescan.gate.ui.display import Tone, VerdictDisplay
from gatescan.gate.ui.preview import CameraPreview
from tests.factories import Issuer
from tests.gate.ui.conftest import AppMaker, FakeClock

pytestmark = pytest.mark.timeout(60)


def decode_on_a_thread(app: GateApp, text: str) -> tuple[threading.Thread, list[float]]:
    """Report `text` as the pipeline's decode thread does (the camera intake runs on it, and
    queues it to the ledger thread); the list gets when it returned."""
    returned: list[float] = []

    def run() -> None:
        app.camera.code_decoded.emit(text, time.perf_counter())
        returned.append(time.perf_counter())

    thread = threading.Thread(target=run, name="test-decode")
    thread.start()
    return thread, returned


def recorded(data_dir: Path) -> int:
    """How many scans the ledger holds."""
    with Ledger(data_dir / "ledger.db") as ledger:
        return ledger.status().scans


def test_nothing_shows_before_the_scan_is_committed(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    """While the ledger cannot commit (another writer holds it), the screen stays READY."""
    app = make_app(data_dir)
    seen: list[VerdictDisplay] = []
    app.verdict_displayed.connect(seen.append)
    writer = sqlite3.connect(data_dir / "ledger.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the gate's transaction waits for this one
    try:
        thread, _ = decode_on_a_thread(app, issuer.issue(0x1001).token(clock.now))
        qtbot.wait(600)
        assert seen == [] and app.window.gate.is_ready()
        assert app.window.gate.pages.currentWidget() is not app.window.gate.verdict
    finally:
        writer.execute("COMMIT")
        writer.close()
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert seen[0].tone is Tone.ADMIT and recorded(data_dir) == 1
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10_000)


class PaintTimes(QObject):
    """Records when a widget starts each paint."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.times.append(time.perf_counter())
        return False


def test_shown_is_stamped_after_the_words_are_painted(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    """Defect: 'verdict shown' was stamped when the panel's background was painted, before
    its word, icon and reason (children paint after their parent)."""
    app = make_app(data_dir)
    word = PaintTimes()
    app.window.gate.verdict.word.installEventFilter(word)
    with qtbot.waitSignal(app.verdict_displayed, timeout=10_000):
        app.camera.code_decoded.emit(issuer.issue(0x1001).token(clock.now), 0.0)
    qtbot.waitUntil(lambda: len(app.latency_log.samples) == 1, timeout=10_000)
    [sample] = app.latency_log.samples
    first_word_paint = min(t for t in word.times if t >= sample.updated)
    assert sample.updated < first_word_paint <= sample.painted


def test_a_verdicts_first_paint_paints_the_panel_once(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    """Defect (issue 15): with the panel marked opaque, the page switch painted it twice
    before the verdict was on screen: the whole panel, then again under its words and icon."""
    app = make_app(data_dir)
    panel = PaintTimes()
    app.window.gate.verdict.installEventFilter(panel)
    for n, ticket in enumerate((0x1001, 0x1002)):
        panel.times.clear()
        with qtbot.waitSignal(app.verdict_displayed, timeout=10_000):
            app.camera.code_decoded.emit(issuer.issue(ticket).token(clock.now), 0.0)
        qtbot.waitUntil(lambda n=n: len(app.latency_log.samples) == n + 1, timeout=10_000)
        sample = app.latency_log.samples[-1]
        assert len([t for t in panel.times if sample.updated <= t <= sample.painted]) == 1
        app.window.gate.show_ready()


def difference(a: QImage, b: QImage) -> int:
    """The largest difference of any colour channel of any pixel."""
    assert (a.width(), a.height()) == (b.width(), b.height())

    def pixels(image: QImage) -> np.ndarray:
        image = image.convertToFormat(QImage.Format.Format_RGB32)
        return np.frombuffer(image.constBits(), np.uint8).reshape(
            image.height(), image.bytesPerLine())[:, :image.width() * 4].astype(int)

    return int(np.abs(pixels(a) - pixels(b)).max())


def test_the_quick_path_looks_the_same_as_the_one_before(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    app = make_app(data_dir)
    gate = app.window.gate
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[200:500, 400:900] = (40, 160, 90)
    gate.show_frame(to_qimage(frame, gate.preview.width(), gate.preview.height()))

    def both() -> tuple[QImage, QImage]:
        gate.set_quick(True)
        quick = app.window.grab().toImage()
        gate.set_quick(False)
        before = app.window.grab().toImage()
        gate.set_quick(True)
        return quick, before

    ready_quick, ready_before = both()
    assert difference(ready_quick, ready_before) <= 2  # the aiming frame drawn once
    with qtbot.waitSignal(app.verdict_displayed, timeout=10_000):
        app.camera.code_decoded.emit(issuer.issue(0x1001).token(clock.now), 0.0)
    qtbot.waitUntil(lambda: len(app.latency_log.samples) == 1, timeout=10_000)
    verdict_quick, verdict_before = both()
    assert difference(verdict_quick, verdict_before) == 0  # the same panel
    assert difference(verdict_quick, ready_quick) > 100  # a verdict, not the ready page


@pytest.mark.parametrize("size", [(640, 360), (500, 420), (300, 300)])
def test_the_aiming_frame_from_its_pixmap_matches_the_strokes(
        qtbot: QtBot, size: tuple[int, int]) -> None:
    """At any size and frame shape, also after a resize (the pixmap is redrawn)."""
    cached, stroked = CameraPreview(), CameraPreview(cache_guides=False)
    image = to_qimage(np.full((480, 640, 3), 90, np.uint8), 400, 300)
    for preview in (cached, stroked):
        qtbot.addWidget(preview)
        preview.resize(800, 450)
        preview.show_frame(image)
    cached.grab()  # its pixmap for 800 x 450 first
    for preview in (cached, stroked):
        preview.resize(*size)
    assert difference(cached.grab().toImage(), stroked.grab().toImage()) <= 2


def test_the_verdict_is_painted_before_work_queued_behind_it(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, issuer: Issuer,
        clock: FakeClock) -> None:
    """Defect: the verdict waited for the window's paint request, after every camera frame
    and timer already queued for the UI thread when it arrived."""
    app = make_app(data_dir)
    order: list[str] = []
    marker = Marker(order)
    # Posted to the UI thread just after the verdict (on the ledger thread, as it is sent),
    # as a camera frame arriving meanwhile would be.
    app.ledger.scan_decided.connect(lambda _result: marker.poked.emit(),
                                    Qt.ConnectionType.DirectConnection)
    app.window.gate.verdict.painted.connect(lambda: order.append("painted"))
    with qtbot.waitSignal(app.verdict_displayed, timeout=10_000):
        app.camera.code_decoded.emit(issuer.issue(0x1001).token(clock.now), 0.0)
    qtbot.waitUntil(lambda: "queued" in order and "painted" in order, timeout=10_000)
    assert order.index("painted") < order.index("queued")


class Marker(QObject):
    """Notes 'queued' when its signal, emitted on another thread, reaches the UI thread."""

    poked = Signal()

    def __init__(self, order: list[str]) -> None:
        super().__init__()
        self._order = order
        self.poked.connect(self.note)

    def note(self) -> None:
        self._order.append("queued")
