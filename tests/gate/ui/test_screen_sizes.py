"""Every screen and state of the real gate window at the sizes gate displays have: no text
elided or cut, no widgets on top of each other, no button too small for a gloved finger."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSize
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from pytestqt.exceptions import TimeoutError
from pytestqt.qtbot import QtBot

from gatescan.gate.sync.status import ClockState, SyncStatus
from gatescan.gate.ui import reasons, theme, translations
from gatescan.gate.ui.app import GateApp
from gatescan.gate.ui.display import VerdictDisplay
from gatescan.gate.ui.kinds import ScanSource
from gatescan.gate.ui.verdict_view import VerdictView
from gatescan.protocol.verdict import Level, Outcome, TicketFacts, Verdict
from tests.gate.ui import layout_check
from tests.gate.ui.conftest import AppMaker

SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080)]
NOW = time.time()
EARLY = TicketFacts(0x1001, 1, 1, "Early Bird", None, "main")
VIP = TicketFacts(0x2001, 1, 2, "VIP Weekend Pass", "Row A seat 7", "vip")

VERDICTS: dict[str, Verdict] = {
    "admit": Verdict(Outcome.ADMITTED, "Early Bird: person 1 of 1", VIP, Level.ADMIT),
    "already-used": Verdict(Outcome.ALREADY_USED, "Already used at Gate 1 at 12:08", EARLY,
                            Level.REFUSE, previous_time=NOW - 420, previous_gate="Gate 1"),
    "wrong-gate": Verdict(Outcome.WRONG_GATE, "Early Bird: use Gate 1 or Gate 2", EARLY,
                          Level.REFUSE),
    "screenshot": Verdict(Outcome.STALE_CODE, "Screenshot or old code: it expired 2 min ago",
                          EARLY, Level.REFUSE),
    "revoked": Verdict(Outcome.REVOKED, "Ticket cancelled (refund)", EARLY, Level.REFUSE),
    "forged": Verdict(Outcome.BAD_SIGNATURE, "The code's signature does not match",
                      None, Level.REFUSE),
    "check": Verdict(Outcome.UNKNOWN_TICKET_TYPE,
                     "Unknown ticket type 9 (sync needed?)", None, Level.CHECK),
    "clock-unset": Verdict(Outcome.CLOCK_UNSET, "The gate's clock is not set", EARLY,
                           Level.CHECK),
    "repeat-read": Verdict(Outcome.REPEAT_READ, "Just admitted here (8 s ago)", EARLY,
                           Level.ADMIT, previous_time=NOW - 8, previous_gate="Gate 1"),
    "needs-full-code": Verdict(Outcome.NEEDS_FULL_CODE, "Short code this gate cannot check "
                               "yet: ask for the full code ('Full code' in the wallet)", None,
                               Level.CHECK),
}


def busy_status() -> SyncStatus:
    """The widest the strip gets: offline since a time, never synced, clock not set."""
    return SyncStatus(online=False, offline_since=NOW - 3600, last_sync=None, enrolled=True,
                      clock_state=ClockState.UNSET)


def sized(qtbot: QtBot, app: GateApp, size: tuple[int, int]) -> None:
    window = app.window
    window.resize(*size)
    with contextlib.suppress(TimeoutError):  # a window that stays larger: `check` says so
        qtbot.waitUntil(lambda: window.size() == QSize(*size), timeout=1000)


def check(app: GateApp, size: tuple[int, int], state: str) -> list[str]:
    for _ in range(3):
        QApplication.processEvents()
    window = app.window
    found = [] if window.size() == QSize(*size) else [
        f"the window is {window.width()}x{window.height()}, not {size[0]}x{size[1]} "
        f"(its minimum is {window.minimumSizeHint().width()}x"
        f"{window.minimumSizeHint().height()})"]
    return [f"{size[0]}x{size[1]} {state}: {p}" for p in found + layout_check.problems(window)]


def states(app: GateApp) -> list[tuple[str, Callable[[], None]]]:
    """(name, action that puts the window in that state), in order."""
    window, gate = app.window, app.window.gate

    def verdict(v: Verdict, source: ScanSource = ScanSource.CAMERA) -> Callable[[], None]:
        return lambda: gate.show_display(reasons.describe_verdict(v, source=source))

    def show(display: VerdictDisplay) -> Callable[[], None]:
        return lambda: gate.show_display(display)

    def busy() -> None:
        gate.strip.set_sync(busy_status())
        gate.strip.set_counts(12_345, 12_345)
        gate.strip.set_camera("unavailable", "")
        gate.set_warning(app.tr("The clock of this gate is not set: times are unreliable"))
        gate.show_message("Offline: scans are kept and uploaded later", "warn")
        gate.badge.setText(QCoreApplication.translate("MainWindow", "DEMO · manager PIN {pin}")
                           .format(pin="2468"))
        gate.show_ready()

    out: list[tuple[str, Callable[[], None]]] = [("ready", gate.show_ready), ("busy", busy)]
    out += [(name, verdict(v)) for name, v in VERDICTS.items()]
    out += [("admit-manual", verdict(VERDICTS["admit"], ScanSource.MANUAL)),
            ("not-recorded", show(reasons.describe_failure("disk_full", "disk full"))),
            ("bad-number", show(reasons.describe_bad_ticket_number())),
            ("manual-lookup", lambda: (gate.show_ready(), gate.open_lookup())),
            ("pin", lambda: (gate.lookup.close_panel(), window.request_manager())),
            ("manager", lambda: (window.pin.hide(), window.show_manager())),
            ("setup", window.show_setup)]
    return out


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_screen_fits(qtbot: QtBot, make_app: AppMaker, data_dir: Path,
                           size: tuple[int, int], language: str) -> None:
    app = make_app(data_dir, language=language)
    found: list[str] = []
    try:
        sized(qtbot, app, size)
        for name, action in states(app):
            action()
            if name == "manager":
                qtbot.waitUntil(lambda: app.window.manager.stats is not None, timeout=10_000)
            found += check(app, size, name)
    finally:  # the language stays installed in the QApplication otherwise
        translations.uninstall(QApplication.instance(), app._translator)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_demo_splash_fits(qtbot: QtBot, size: tuple[int, int]) -> None:
    from gatescan.demo.launch import DemoSplash

    splash = DemoSplash("2468")
    qtbot.addWidget(splash)
    splash.resize(*size)
    splash.show()
    qtbot.waitExposed(splash)
    assert splash.size() == QSize(*size)
    assert not layout_check.problems(splash)


def test_the_checker_sees_an_elided_label_and_an_overlap(qtbot: QtBot) -> None:
    """The checks themselves can fail: a label too narrow for its text, two widgets on top
    of each other, a small button."""
    from PySide6.QtWidgets import QLabel, QPushButton, QWidget

    window = QWidget()
    qtbot.addWidget(window)
    window.resize(300, 200)
    label = QLabel("A rather long text that cannot fit", window)
    label.setGeometry(0, 0, 60, 30)
    button = QPushButton("OK", window)
    button.setGeometry(30, 10, 40, 30)
    window.show()
    qtbot.waitExposed(window)
    found = layout_check.problems(window)
    assert any("is cut" in p for p in found), found
    assert any("overlaps" in p for p in found), found
    assert any("< 48" in p for p in found), found


def test_verdict_fonts_survive_a_restyle_of_the_window(qtbot: QtBot) -> None:
    """The window re-styles itself once it is shown and whenever its size class changes,
    which puts the labels' fonts back; the verdict panel, fitted before, fits them again."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.styleSheet()
    app.setStyleSheet(theme.STYLE_SHEET)  # as GateApp does
    try:
        window = QWidget()
        qtbot.addWidget(window)
        panel = VerdictView(window)
        QVBoxLayout(window).addWidget(panel)
        window.resize(800, 400)
        window.show()
        qtbot.waitExposed(window)
        fitted = panel.word.fontInfo().pixelSize()
        window.setStyleSheet(theme.sized_style(400))  # what MainWindow._restyle does
        QApplication.processEvents()
        panel.show_display(reasons.describe_verdict(VERDICTS["admit"]))
        QApplication.processEvents()
        shown = panel.word.fontInfo().pixelSize()
    finally:
        app.setStyleSheet(before)
    assert shown == fitted > 3 * QFontInfo(QApplication.font()).pixelSize(), (fitted, shown)
