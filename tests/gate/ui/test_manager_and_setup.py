"""Manager view figures and actions; the first-run set-up screen."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.errors import EnrollError
from gatescan.gate.sync.handshake import Handshake
from gatescan.gate.sync.status import PINNED_KEYS
from gatescan.gate.ui.kinds import Direction
from gatescan.gate.ui.ui_settings import UiSettings
from tests.factories import Issuer
from tests.gate.ui.conftest import AppMaker, FakeClock
from tests.gate.ui.test_gate_app import scan

pytestmark = pytest.mark.timeout(60)


def test_manager_counts_chart_recent_and_export(qtbot: QtBot, make_app: AppMaker,
                                               data_dir: Path, issuer: Issuer,
                                               clock: FakeClock, tmp_path: Path) -> None:
    app = make_app(data_dir)
    for ticket, type_id in ((0x1001, 1), (0x2001, 2), (0x1002, 1)):
        scan(qtbot, app, issuer.issue(ticket, type_id=type_id).token(clock.now))
    clock.advance(8)
    scan(qtbot, app, issuer.issue(0x1002).token(clock.now))  # a repeat read: not counted
    clock.advance(90)
    scan(qtbot, app, issuer.issue(0x1001).token(clock.now))  # already used
    scan(qtbot, app, "not a ticket at all")
    app.window.show_manager()
    manager = app.window.manager
    qtbot.waitUntil(lambda: manager.total.value.text() == "6", timeout=5000)
    assert manager.admitted.value.text() == "3"
    assert manager.refused.value.text() == "2"  # the repeat read is neither
    by_type = {manager.by_type.item(r, 0).text(): manager.by_type.item(r, 1).text()
               for r in range(manager.by_type.rowCount())}
    assert by_type == {"General": "2", "VIP": "1"}
    assert manager.recent.rowCount() == 6
    assert manager.recent.item(0, 3).text() == "Not a ticket code"
    assert manager.recent.item(2, 3).text() == "Already admitted here"
    buckets = manager.chart.buckets()
    assert sum(b.admitted for b in buckets) == 3 and buckets[-1].start <= clock.now
    out = tmp_path / "scans.csv"
    manager.export_requested.emit(str(out))
    qtbot.waitUntil(lambda: "Exported 6 scans" in app.window.gate.message.text(), timeout=5000)
    with out.open(encoding="utf-8") as exported:
        rows = list(csv.DictReader(exported))
    assert [r["outcome"] for r in rows] == ["admitted", "admitted", "admitted",
                                           "repeat_read", "already_used", "malformed"]
    assert rows[1]["type"] == "VIP" and rows[0]["ticket_id"] == "0000000000001001"


def test_switch_event_from_the_manager_view(qtbot: QtBot, make_app: AppMaker, data_dir: Path,
                                           tmp_path: Path) -> None:
    from dataclasses import replace

    from tests.factories import seeded_key

    other = Issuer(policy=replace(Issuer().policy, event_id=99, name="Other Night"),
                   key=seeded_key("other"))
    manifest = other.write_manifest(tmp_path / "other.gsm", [(1, 1, 0, None)])
    app = make_app(data_dir)
    app.window.show_manager()
    app.window.manager.switch_event_requested.emit(str(manifest))
    qtbot.waitUntil(lambda: app.window.gate.event_label.text() == "Other Night", timeout=5000)


def test_first_run_set_up_from_a_manifest_file(qtbot: QtBot, make_app: AppMaker,
                                              tmp_path: Path, issuer: Issuer,
                                              clock: FakeClock) -> None:
    data = tmp_path / "fresh"
    app = make_app(data, wait_ready=False)
    qtbot.waitUntil(lambda: app.window.current_screen() == "setup", timeout=5000)
    setup = app.setup
    setup.start_button.click()
    assert "Load the event first" in setup.error.text()
    manifest = issuer.write_manifest(tmp_path / "usb.gsm", [(0x1001, 1, 0, None)])
    setup.manifest_chosen.emit(str(manifest))
    qtbot.waitUntil(lambda: "Test Festival" in setup.event_status.text(), timeout=5000)
    assert setup.gate_combo.count() == 3
    setup.gate_combo.setCurrentIndex(setup.gate_combo.findData("Gate 2"))
    setup.exit_radio.setChecked(True)
    setup.pin1.setText("12")
    setup.start_button.click()
    assert "at least 4 digits" in setup.error.text()
    setup.pin1.setText("5555")
    setup.pin2.setText("5556")
    setup.start_button.click()
    assert "differ" in setup.error.text()
    setup.pin2.setText("5555")
    with qtbot.waitSignal(app.ready_to_scan, timeout=5000):
        setup.start_button.click()
    assert app.window.current_screen() == "gate"
    assert app.window.gate.strip.gate.plain() == "Gate 2 · Exit"
    saved = UiSettings.load(data)
    assert saved.gate == "Gate 2" and saved.direction is Direction.EXIT and saved.check_pin("5555")
    assert '"direction": "exit"' in (data / "ui.json").read_text()
    assert "5555" not in (data / "ui.json").read_text()
    display = scan(qtbot, app, issuer.issue(0x1001).token(clock.now))
    assert display.word == "EXIT OK"


def test_set_up_takes_an_enrollment_code_from_the_camera(qtbot: QtBot, make_app: AppMaker,
                                                        tmp_path: Path) -> None:
    app = make_app(tmp_path / "fresh", wait_ready=False)
    qtbot.waitUntil(lambda: app.window.current_screen() == "setup", timeout=5000)
    handshake = ('{"type": "gatescan-enroll", "v": 1, "url": "http://10.0.0.2:8080", '
                 '"code": "ABCD-EFGH-JKLM"}')
    app.camera.code_decoded.emit(handshake, 0.0)
    qtbot.waitUntil(lambda: app.setup.handshake.text() == handshake, timeout=3000)
    assert not app.setup.enroll_button.isEnabled()  # no sync engine in this build
    app.camera.code_decoded.emit("a concert ticket from another system", 0.0)
    qtbot.waitUntil(lambda: "not an enrollment code" in app.setup.error.text(), timeout=3000)


def test_choosing_chinese_in_set_up_rebuilds_the_window(qtbot: QtBot, make_app: AppMaker,
                                                       data_dir: Path, issuer: Issuer,
                                                       clock: FakeClock) -> None:
    app = make_app(data_dir)
    old = app.window
    app.window.show_setup()
    setup = app.setup
    setup.language_combo.setCurrentIndex(setup.language_combo.findData("zh_CN"))
    setup.start_button.click()
    try:
        assert app.window is not old and app.language == "zh_CN"
        qtbot.addWidget(app.window)
        assert app.window.current_screen() == "gate"
        assert app.window.gate.strip.gate.plain() == "Gate 1 · 入场"
        display = scan(qtbot, app, issuer.issue(0x1001).token(clock.now))
        assert display.word == "通过" and app.window.gate.verdict.word.text() == "通过"
        assert UiSettings.load(data_dir).language == "zh_CN"
    finally:
        from PySide6.QtWidgets import QApplication

        from gatescan.gate.ui import translations

        translations.uninstall(QApplication.instance(), app._translator)  # type: ignore[arg-type]


class RefusingEnroller:
    """The engine's enroller as it fails: `error` is raised from `enroll`."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def enroll(self, handshake: object) -> object:
        self.calls += 1
        raise self.error


HANDSHAKE = ('{"type": "gatescan-enroll", "v": 1, "url": "http://10.0.0.2:8080", '
             '"code": "ABCD-EFGH"}')


def test_a_refused_enrollment_shows_the_engines_words_in_set_up(
        qtbot: QtBot, make_app: AppMaker, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    enroller = RefusingEnroller(EnrollError(
        "code_used", "This enrollment code was already used: ask the organizer for a new one."))
    app = make_app(tmp_path / "fresh", wait_ready=False, enroller=enroller)
    qtbot.waitUntil(lambda: app.window.current_screen() == "setup", timeout=5000)
    setup = app.setup
    setup.handshake.setText(HANDSHAKE)
    setup.enroll_button.click()
    assert not setup.enroll_button.isEnabled()
    qtbot.waitUntil(lambda: setup.enroll_button.isEnabled(), timeout=5000)
    assert setup.error.text() == ("Enrollment failed: This enrollment code was already used: "
                                  "ask the organizer for a new one.")
    assert enroller.calls == 1 and app.window.current_screen() == "setup"
    assert not [r for r in caplog.records if r.exc_info], "a refusal is not a crash"


class RecordingEnroller(RefusingEnroller):
    """A refusing enroller that keeps the handshakes it was given."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.handshakes: list[object] = []

    def enroll(self, handshake: object) -> object:
        self.handshakes.append(handshake)
        return super().enroll(handshake)


def test_the_set_up_screen_hands_the_qr_codes_key_pins_to_the_enroller(
        qtbot: QtBot, make_app: AppMaker, tmp_path: Path) -> None:
    enroller = RecordingEnroller(EnrollError("code_used", "used"))
    app = make_app(tmp_path / "fresh", wait_ready=False, enroller=enroller)
    qtbot.waitUntil(lambda: app.window.current_screen() == "setup", timeout=5000)
    pins = ["ab" * 32, "cd" * 32]
    app.setup.handshake.setText(json.dumps({**json.loads(HANDSHAKE), "keys": pins,
                                            "url": "http://10.0.0.2:8080/"}))
    app.setup.enroll_button.click()
    qtbot.waitUntil(lambda: app.setup.enroll_button.isEnabled(), timeout=5000)
    [handshake] = enroller.handshakes
    assert handshake == Handshake("http://10.0.0.2:8080", "ABCD-EFGH", tuple(pins))


def test_damaged_key_pins_are_refused_before_the_server_is_asked(
        qtbot: QtBot, make_app: AppMaker, tmp_path: Path) -> None:
    enroller = RecordingEnroller(EnrollError("code_used", "used"))
    app = make_app(tmp_path / "fresh", wait_ready=False, enroller=enroller)
    qtbot.waitUntil(lambda: app.window.current_screen() == "setup", timeout=5000)
    app.setup.handshake.setText(json.dumps({**json.loads(HANDSHAKE), "keys": ["not-hex"]}))
    app.setup.enroll_button.click()
    assert app.setup.error.text() == "Enrollment code's key fingerprints are damaged"
    assert enroller.handshakes == []


def test_a_bug_in_enrollment_goes_to_the_crash_handler(qtbot: QtBot, make_app: AppMaker,
                                                       tmp_path: Path) -> None:
    app = make_app(tmp_path / "fresh", wait_ready=False,
                   enroller=RefusingEnroller(KeyError("device_token")))
    qtbot.waitUntil(lambda: app.window.current_screen() == "setup", timeout=5000)
    setup = app.setup
    setup.handshake.setText(HANDSHAKE)
    with qtbot.capture_exceptions() as crashes:
        setup.enroll_button.click()
        qtbot.waitUntil(lambda: setup.enroll_button.isEnabled(), timeout=5000)
    assert "unexpected error in this program" in setup.error.text()
    assert [type(e[1]) for e in crashes] == [KeyError]


def test_manager_lists_conflicts_the_server_reported(qtbot: QtBot, make_app: AppMaker,
                                                    data_dir: Path, issuer: Issuer,
                                                    clock: FakeClock) -> None:
    app = make_app(data_dir)
    scan(qtbot, app, issuer.issue(0x1001).token(clock.now))
    with Ledger(data_dir / "ledger.db") as ledger:
        [ours] = [s.scan_id for s in ledger.unsent_scans()]
        ledger.apply_changes(7, [{  # the same ticket at Gate 2, while both were offline
            "seq": 1, "kind": "scan", "scan_id": "ab" * 16, "ticket_id": "0000000000001001",
            "serial": 0, "gate": "Gate 2", "direction": "entry", "outcome": "admitted",
            "device_time": clock.now - 120, "device_id": "dev_00000000000b"}], "1")
        ledger.record_upload_results([ours], conflicts=[ours], at=clock.now + 5)
    app.window.show_manager()
    manager = app.window.manager
    qtbot.waitUntil(lambda: manager.conflict_table.rowCount() == 1, timeout=5000)
    assert manager.conflict_box.isVisible()
    row = [manager.conflict_table.item(0, c).text() for c in range(4)]
    assert row[:2] == ["0000000000001001", "General"]
    assert row[2].startswith("Gate 1 at ") and row[3].startswith("Gate 2 at ")
    assert manager.total.value.text() == "1"  # Gate 2's scan is not this gate's


def test_set_up_without_an_event_shows_the_pinned_key_fingerprint(
        qtbot: QtBot, make_app: AppMaker, tmp_path: Path) -> None:
    data = tmp_path / "enrolled-no-event"
    fingerprint = "0123456789abcdef" * 4
    ScannerSettings(data).ensure_dir()
    with Ledger(ScannerSettings(data).ledger_path) as ledger:  # what enrollment leaves
        ledger.update_sync_state({PINNED_KEYS: fingerprint})
    app = make_app(data, wait_ready=False)
    qtbot.waitUntil(lambda: app.window.current_screen() == "setup", timeout=5000)
    shown = app.setup.event_status.text()
    assert "No event loaded yet" in shown
    assert "01234567 89abcdef 01234567" in shown  # grouped for a person to compare
