"""The gate app against the real server: enroll from set-up, scan, and lose the server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from scanner.settings import ScannerSettings
from scanner.sync.engine import ui_services
from scanner.ui.display import Tone
from tests.sync.conftest import Venue, demo_template, venue  # noqa: F401 - fixtures
from tests.ui.conftest import AppMaker
from tests.ui.test_gate_app import scan

pytestmark = pytest.mark.timeout(90)


def test_enroll_scan_and_go_offline_when_the_server_stops(
        qtbot: QtBot, make_app: AppMaker, venue: Venue, tmp_path: Path) -> None:  # noqa: F811
    data = tmp_path / "gate"
    service, enroller = ui_services(ScannerSettings(data))
    shift = [0.0]
    app = make_app(data, sync=service, enroller=enroller,
                   clock_fn=lambda: time.time() + shift[0], wait_ready=False)
    qtbot.waitUntil(lambda: app.window.current_screen() == "setup", timeout=10_000)
    setup = app.setup
    assert setup.enroll_button.isEnabled()
    setup.handshake.setText(venue.handshake("gate-ui", gate="Gate 1"))
    setup.enroll_button.click()
    qtbot.waitUntil(lambda: "GateScan Demo Night" in setup.event_status.text(), timeout=20_000)
    assert setup.gate_combo.currentData() == "Gate 1"
    setup.pin1.setText("8642")
    setup.pin2.setText("8642")
    with qtbot.waitSignal(app.ready_to_scan, timeout=10_000):
        setup.start_button.click()
    strip = app.window.gate.strip
    app.sync_requested.emit()
    qtbot.waitUntil(lambda: strip.link.plain() == "Online", timeout=10_000)
    ticket = venue.demo["special"]["early_bird"]
    assert scan(qtbot, app, venue.token(ticket, time.time())).tone is Tone.ADMIT
    qtbot.waitUntil(lambda: any(s["outcome"] == "admitted" for s in venue.scans()),
                    timeout=10_000)  # pushed up soon after the scan, while online
    venue.server.stop()
    app.sync_requested.emit()
    qtbot.waitUntil(lambda: strip.link.plain().startswith("Offline since"), timeout=15_000)
    assert strip.link.state == "bad"
    # Scanning goes on offline: a minute later the same ticket is refused here.
    shift[0] = 60.0
    again = scan(qtbot, app, venue.token(ticket, time.time() + shift[0]))
    assert again.tone is Tone.REFUSE and again.title == "Already used"
    assert "to upload" in strip.uploads.plain() and strip.uploads.plain() != "0 to upload"
