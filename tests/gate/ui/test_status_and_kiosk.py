"""The status strip follows the sync service; kiosk mode holds the window until the PIN."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gatescan.gate.sync.status import ClockState, SyncStatus
from gatescan.gate.ui.kiosk import AlreadyRunning, single_instance
from tests.gate.ui.conftest import PIN, AppMaker

pytestmark = pytest.mark.timeout(60)


class FakeSync:
    """A sync service whose link the test switches on and off (the dependency, not the SUT)."""

    def __init__(self) -> None:
        self.online = True
        self.calls = 0
        self.offline_since: float | None = None
        self._lock = threading.Lock()

    def status(self) -> SyncStatus:
        with self._lock:
            if self.online:
                return SyncStatus(enrolled=True, online=True, last_sync=time.time(),
                                  clock_state=ClockState.SYNCED, clock_offset=0.0,
                                  pending_uploads=0, conflicts=2)
            return SyncStatus(enrolled=True, online=False, offline_since=self.offline_since,
                              last_sync=time.time() - 600, clock_state=ClockState.SYNCED,
                              error="server unreachable", conflicts=2)

    def sync_once(self) -> SyncStatus:
        with self._lock:
            self.calls += 1
        return self.status()

    def go_offline(self) -> None:
        with self._lock:
            self.online = False
            self.offline_since = time.time()


def test_offline_indicator_follows_the_server(qtbot: QtBot, make_app: AppMaker,
                                              data_dir: Path) -> None:
    sync = FakeSync()
    app = make_app(data_dir, sync=sync)
    strip = app.window.gate.strip
    qtbot.waitUntil(lambda: strip.link.plain() == "Online", timeout=5000)
    assert strip.link.state == "ok" and strip.clock.plain() == "Clock OK"
    sync.go_offline()
    with qtbot.waitSignal(app.sync.sync_failed, timeout=5000):  # type: ignore[union-attr]
        app.sync_requested.emit()  # the manager's "force sync"
    qtbot.waitUntil(lambda: strip.link.plain().startswith("Offline since"), timeout=5000)
    assert strip.link.state == "bad"
    assert app.window.manager.conflicts.value.text() == "2"


def test_without_a_sync_service_the_gate_says_so(qtbot: QtBot, make_app: AppMaker,
                                                 data_dir: Path) -> None:
    app = make_app(data_dir)
    strip = app.window.gate.strip
    assert strip.link.plain() == "No server: manifest file"
    assert not app.window.manager.sync_button.isEnabled()


def test_kiosk_refuses_to_close_without_the_pin(qtbot: QtBot, make_app: AppMaker,
                                                data_dir: Path) -> None:
    app = make_app(data_dir, kiosk=True)
    window = app.window
    assert window.isFullScreen() and QApplication.overrideCursor() is not None
    assert not window.close()
    assert window.isVisible() and window.pin.isVisible()
    window.pin.field.setText("0000")
    window.pin._submit()
    assert window.isVisible() and window.pin.error.text() == "Wrong PIN"
    window.pin._cancel()
    assert not window.close() and window.isVisible()  # still guarded after a cancel
    window.pin.field.setText(PIN)
    window.pin._submit()
    assert not window.isVisible()
    app.stop()
    assert QApplication.overrideCursor() is None


def test_manager_view_needs_the_pin(qtbot: QtBot, make_app: AppMaker, data_dir: Path) -> None:
    app = make_app(data_dir)
    window = app.window
    window.gate.manager_button.click()
    assert window.current_screen() == "gate" and window.pin.isVisible()
    window.pin.field.setText("1111")
    window.pin._submit()
    assert window.current_screen() == "gate"
    window.pin.field.setText(PIN)
    window.pin._submit()
    assert window.current_screen() == "manager"
    qtbot.waitUntil(lambda: window.manager.stats is not None, timeout=5000)


def test_too_many_wrong_pins_lock_the_prompt(qtbot: QtBot, make_app: AppMaker,
                                            data_dir: Path) -> None:
    window = make_app(data_dir).window
    window.request_manager()
    for _ in range(5):
        window.pin.field.setText("9999")
        window.pin._submit()
    window.pin.field.setText(PIN)
    window.pin._submit()
    assert window.current_screen() == "gate" and "wait" in window.pin.error.text()


def test_one_instance_per_data_directory(tmp_path: Path) -> None:
    lock = single_instance(tmp_path)
    try:
        with pytest.raises(AlreadyRunning, match="already running"):
            single_instance(tmp_path)
    finally:
        lock.unlock()
    single_instance(tmp_path).unlock()


class UnsetClockSync(FakeSync):
    """A gate that booted with a clock behind what its ledger has seen, then syncs."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ClockState.UNSET

    def status(self) -> SyncStatus:
        return replace(super().status(), clock_state=self.clock)


def test_an_unset_clock_is_on_screen_until_the_sync_fixes_it(qtbot: QtBot, make_app: AppMaker,
                                                             data_dir: Path) -> None:
    sync = UnsetClockSync()
    app = make_app(data_dir, sync=sync)
    gate = app.window.gate
    qtbot.waitUntil(lambda: gate.strip.clock.plain() == "Clock NOT SET", timeout=5000)
    assert gate.strip.clock.state == "bad"
    assert gate.warning.isVisible() and "clock is not set" in gate.warning.text()
    sync.clock = ClockState.SYNCED
    app.sync_requested.emit()
    qtbot.waitUntil(lambda: gate.strip.clock.plain() == "Clock OK", timeout=5000)
    assert not gate.warning.isVisible()


def test_a_revoked_gate_says_so_on_the_screen(qtbot: QtBot, make_app: AppMaker,
                                              data_dir: Path) -> None:
    sync = FakeSync()
    app = make_app(data_dir, sync=sync)
    gate = app.window.gate
    qtbot.waitUntil(lambda: gate.strip.link.plain() == "Online", timeout=5000)
    assert not gate.warning.isVisible()
    sync.status = lambda: SyncStatus(device_revoked=True)  # type: ignore[method-assign]
    app.sync_requested.emit()
    qtbot.waitUntil(lambda: gate.strip.link.plain() == "Device revoked", timeout=5000)
    assert gate.warning.isVisible() and "revoked" in gate.warning.text()
    assert "revoked" in gate.message.text()


@pytest.mark.parametrize(("status", "words"), [
    (SyncStatus(enrolled=True, online=True, error="the server's manifest was refused",
                error_code="signer_not_pinned"), "signed by a key"),
    (SyncStatus(enrolled=True, online=True, error="behind",
                server_rollback={"kinds": ["scans"], "resent": 3}), "restored from an older"),
])
def test_pinning_and_server_rollback_say_so_on_the_screen(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path, status: SyncStatus,
        words: str) -> None:
    sync = FakeSync()
    app = make_app(data_dir, sync=sync)
    gate = app.window.gate
    qtbot.waitUntil(lambda: gate.strip.link.plain() == "Online", timeout=5000)
    assert not gate.warning.isVisible()
    sync.status = lambda: status  # type: ignore[method-assign]
    app.sync_requested.emit()
    qtbot.waitUntil(lambda: words in gate.warning.text(), timeout=5000)
    assert gate.warning.isVisible()
