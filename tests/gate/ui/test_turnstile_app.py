"""The turnstile and the supervisor actions in the real gate app (offscreen, real ledger).

The relay is the real command relay (a subprocess appending a line per pulse);
the "passed" sensor is gpiozero's Button on its own mock pins.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gatescan.gate.actuators.spec import RelaySettings, RelaySpec
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.ui.app import AppDeps, GateApp
from gatescan.gate.ui.display import Tone, VerdictDisplay
from gatescan.gate.ui.options import UiOptions
from gatescan.gate.ui.supervisor_dialog import ReasonDialog
from tests.factories import Issuer
from tests.gate.ui.conftest import PIN, FakeClock, SoundLog, blank_source

pytestmark = pytest.mark.timeout(90)
WRITE = "import os, sys; open(sys.argv[1], 'a').write(os.environ['GATESCAN_PULSE_MS'] + '\\n')"




Maker = Callable[..., GateApp]


@pytest.fixture
def turnstile_app(qtbot: QtBot, clock: FakeClock, tmp_path: Path) -> Iterator[Maker]:
    """A started gate app whose relay is a real command writing `pulses.txt`."""
    apps: list[GateApp] = []

    def make(data: Path, *, passed_pin: int | None = None, ledger_factory: object = None,
             passed_timeout: float = 10.0) -> GateApp:
        relay = RelaySpec("cmd", argv=(sys.executable, "-c", WRITE,
                                       str(tmp_path / "pulses.txt")))
        options = UiOptions(sound=False, language="en", camera="test", preview_fps=10.0,
                            relay=RelaySettings(relay, 200, passed_pin, passed_timeout))
        app = GateApp(AppDeps(ScannerSettings.build(data), options, source_factory=blank_source,
                              clock=clock, ledger_factory=ledger_factory,  # type: ignore[arg-type]
                              sound=SoundLog()))  # type: ignore[arg-type]
        apps.append(app)
        qtbot.addWidget(app.window)
        with qtbot.waitSignal(app.ready_to_scan, timeout=10_000):
            app.start()
        return app

    yield make
    for app in apps:
        assert app.stop(), "a worker thread did not stop"
        app.window.allow_close()


def pulses(tmp_path: Path) -> list[str]:
    """The pulses the relay command recorded."""
    path = tmp_path / "pulses.txt"
    return path.read_text().splitlines() if path.exists() else []


def scan(qtbot: QtBot, app: GateApp, text: str) -> VerdictDisplay:
    """A code as the camera decodes it; returns what the screen shows."""
    with qtbot.waitSignal(app.verdict_displayed, timeout=10_000) as blocker:
        app.camera.code_decoded.emit(text, 0.0)
    display = blocker.args[0]
    assert isinstance(display, VerdictDisplay)
    return display


def settle(qtbot: QtBot, app: GateApp, count: int) -> None:
    """Wait until the door has sent `count` pulses (it works one admission at a time)."""
    assert app.supervisor.door is not None
    qtbot.waitUntil(lambda: app.supervisor.door is not None
                    and app.supervisor.door.pulses == count, timeout=10_000)


def dialog(qtbot: QtBot, app: GateApp, button: str, reason: str,
           done: Callable[[], bool]) -> None:
    """Press a supervisor button in the manager view, give the reason, wait until `done`.

    (Waiting on the ledger worker's own signal would race: it is emitted on its thread.)
    """
    app.window.show_manager()
    qtbot.mouseClick(app.window.manager.findChild(type(app.window.manager.undo_button),
                                                  button), Qt.MouseButton.LeftButton)
    found = app.window.findChild(ReasonDialog)
    assert isinstance(found, ReasonDialog) and found.isVisible()
    assert not found.ok.isEnabled()  # no reason, no action
    found.field.setText(reason)
    qtbot.mouseClick(found.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(done, timeout=10_000)
    found.deleteLater()


def test_one_pulse_per_admission_and_never_otherwise(
        qtbot: QtBot, turnstile_app: Maker, data_dir: Path, issuer: Issuer, clock: FakeClock,
        tmp_path: Path) -> None:
    app = turnstile_app(data_dir)
    phone = issuer.issue(0x1001)
    assert scan(qtbot, app, phone.token(clock.now)).tone is Tone.ADMIT
    clock.advance(1)
    scan(qtbot, app, phone.token(clock.now))  # a repeat read: they are already through
    assert scan(qtbot, app, issuer.issue(0x4001).token(clock.now)).tone is Tone.REFUSE
    assert scan(qtbot, app, "not a ticket").tone is Tone.REFUSE
    clock.advance(95)
    assert scan(qtbot, app, phone.token(clock.now)).tone is Tone.REFUSE  # already used
    assert scan(qtbot, app, issuer.issue(0x1002).token(clock.now)).tone is Tone.ADMIT
    settle(qtbot, app, 2)
    assert pulses(tmp_path) == ["200", "200"]


def test_a_scan_that_was_not_recorded_never_pulses(
        qtbot: QtBot, turnstile_app: Maker, data_dir: Path, issuer: Issuer, clock: FakeClock,
        tmp_path: Path) -> None:
    def read_only() -> Ledger:
        ledger = Ledger(data_dir / "ledger.db")
        ledger.conn.execute("PRAGMA query_only = ON")  # every write fails: read_only
        return ledger

    app = turnstile_app(data_dir, ledger_factory=read_only)
    display = scan(qtbot, app, issuer.issue(0x1001).token(clock.now))
    assert display.tone is Tone.ERROR
    assert app.supervisor.door is not None
    assert app.supervisor.door.pulses == 0 and app.supervisor.door.close()
    assert pulses(tmp_path) == []


def test_undo_last_admission_lets_the_ticket_in_again(
        qtbot: QtBot, turnstile_app: Maker, data_dir: Path, issuer: Issuer, clock: FakeClock,
        tmp_path: Path) -> None:
    app = turnstile_app(data_dir)
    phone = issuer.issue(0x1001)
    assert scan(qtbot, app, phone.token(clock.now)).tone is Tone.ADMIT
    clock.advance(20)
    dialog(qtbot, app, "undo_button", "did not go through",
           lambda: "ticket 0000000000001001 can enter again" in app.window.gate.message.text())
    assert app.window.gate.strip.admitted.plain() == "Admitted 0"
    app.window.show_gate()
    clock.advance(5)
    again = scan(qtbot, app, phone.token(clock.now))
    assert again.tone is Tone.ADMIT and again.title == "General"
    settle(qtbot, app, 2)  # the undo itself never pulses
    with Ledger(data_dir / "ledger.db") as ledger:
        rows = ledger.conn.execute("SELECT outcome, reason FROM scans ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == ["admitted", "admission_undone", "admitted"]
    assert rows[1][1] == "did not go through"


def test_admit_anyway_after_a_refusal_opens_the_turnstile(
        qtbot: QtBot, turnstile_app: Maker, data_dir: Path, issuer: Issuer, clock: FakeClock,
        tmp_path: Path) -> None:
    app = turnstile_app(data_dir)
    assert scan(qtbot, app, issuer.issue(0x4001).token(clock.now)).tone is Tone.REFUSE
    seen: list[VerdictDisplay] = []
    app.verdict_displayed.connect(seen.append)
    dialog(qtbot, app, "override_button", "refund reversed by the box office",
           lambda: bool(seen))
    display = seen[0]
    assert display.tone is Tone.ADMIT and display.title == "General"
    assert display.reason == "refund reversed by the box office"
    assert app.window.current_screen() == "gate"
    settle(qtbot, app, 1)
    assert pulses(tmp_path) == ["200"]
    with Ledger(data_dir / "ledger.db") as ledger:
        row = ledger.conn.execute("SELECT outcome, admit, reason FROM scans "
                                  "ORDER BY seq DESC LIMIT 1").fetchone()
        assert row == ("override_admitted", 1, "refund reversed by the box office")
        assert [m.gate for m in ledger.movements(0x4001)] == ["Gate 1"]


def test_no_passage_undoes_the_admission_by_itself(
        qtbot: QtBot, turnstile_app: Maker, data_dir: Path, issuer: Issuer, clock: FakeClock,
        tmp_path: Path, pins: MockFactory) -> None:
    app = turnstile_app(data_dir, passed_pin=27, passed_timeout=1.0)
    phone = issuer.issue(0x1001)
    assert scan(qtbot, app, phone.token(clock.now)).tone is Tone.ADMIT
    qtbot.waitUntil(lambda: "0000000000001001 can enter again"
                    in app.window.gate.message.text(), timeout=15_000)
    # The next person turns the turnstile: their admission stands.
    clock.advance(3)
    app.window.gate.show_message("")
    assert scan(qtbot, app, issuer.issue(0x1002).token(clock.now)).tone is Tone.ADMIT
    qtbot.waitUntil(lambda: pulses(tmp_path) == ["200", "200"], timeout=10_000)
    pins.pin(27).drive_low()
    qtbot.wait(2000)  # past the 1 s passage timeout: nothing more may be recorded
    assert app.window.gate.message.text() == ""
    with Ledger(data_dir / "ledger.db") as ledger:
        rows = ledger.conn.execute("SELECT ticket_id, outcome, reason FROM scans "
                                   "ORDER BY seq").fetchall()
        assert [(r[0], r[1]) for r in rows] == [(0x1001, "admitted"),
                                                (0x1001, "admission_undone"),
                                                (0x1002, "admitted")]
        assert rows[1][2] == "no passage"
        assert ledger.movements(0x1001) == []


def test_f4_on_a_refused_verdict_asks_the_pin_then_admits_anyway(
        qtbot: QtBot, turnstile_app: Maker, data_dir: Path, issuer: Issuer, clock: FakeClock,
        tmp_path: Path) -> None:
    app = turnstile_app(data_dir)
    window = app.window
    qtbot.keyClick(window.gate, Qt.Key.Key_F4)  # nothing refused yet: only a message
    assert not window.pin.isVisible() and "No refused scan" in window.gate.message.text()
    assert scan(qtbot, app, issuer.issue(0x4001).token(clock.now)).tone is Tone.REFUSE
    qtbot.keyClick(window.gate, Qt.Key.Key_F4)
    assert window.pin.isVisible() and window.findChild(ReasonDialog) is None
    window.pin.field.setText("0000")
    window.pin.field.returnPressed.emit()
    assert window.pin.error.text() == "Wrong PIN" and window.findChild(ReasonDialog) is None
    window.pin.field.setText(PIN)
    window.pin.field.returnPressed.emit()
    found = window.findChild(ReasonDialog)
    assert isinstance(found, ReasonDialog) and found.isVisible()
    seen: list[VerdictDisplay] = []
    app.verdict_displayed.connect(seen.append)
    found.field.setText("organizer decision")
    qtbot.mouseClick(found.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert seen[0].tone is Tone.ADMIT
    settle(qtbot, app, 1)
    assert pulses(tmp_path) == ["200"]
