"""The gate app against the real server: enroll from set-up, scan, push at once, lose the server,
and a gate that restarts with its clock unset."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytestqt.qtbot import QtBot

from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.client import make_http_client
from gatescan.gate.sync.clock import GateClock
from gatescan.gate.sync.credentials import Credentials
from gatescan.gate.sync.engine import SyncEngine
from gatescan.gate.sync.enroll import ui_services
from gatescan.gate.ui.app import GateApp
from gatescan.gate.ui.display import Tone
from gatescan.gate.ui.ui_settings import UiSettings
from tests.gate.sync.conftest import Venue, demo_template, venue  # noqa: F401 - fixtures
from tests.gate.ui.conftest import PIN, AppMaker
from tests.gate.ui.test_gate_app import scan, shown

pytestmark = pytest.mark.timeout(90)
PUSH_WITHIN_MS = 5000  # "within moments": far below the engine's interval (set to 300 s here)


@pytest.fixture
def clients() -> Iterator[list[httpx.Client]]:
    """HTTP clients to close at the end (request it first: it outlives the app's threads)."""
    made: list[httpx.Client] = []
    yield made
    for client in made:
        client.close()


def server_scans(at: Venue) -> list[dict[str, Any]]:
    """The server's scans with the columns this test checks."""
    conn = sqlite3.connect(f"file:{at.settings.database_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(
            "SELECT scan_id, device_id, gate, outcome, source FROM scans ORDER BY seq")]
    finally:
        conn.close()


def local_scan(data: Path, source: str) -> sqlite3.Row:
    """The gate's newest scan from `source`."""
    conn = sqlite3.connect(data / "ledger.db")
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM scans WHERE source = ? ORDER BY seq DESC LIMIT 1",
                           (source,)).fetchone()
    finally:
        conn.close()
    assert row is not None
    return row


def enroll_from_set_up(qtbot: QtBot, app: GateApp, handshake: str) -> None:
    """Paste the handshake, enroll, finish set-up with a PIN, and wait until ready to scan."""
    setup = app.setup
    setup.handshake.setText(handshake)
    setup.enroll_button.click()
    qtbot.waitUntil(lambda: "GateScan Demo Night" in setup.event_status.text(), timeout=20_000)
    assert setup.enroll_button.isEnabled() and setup.enroll_button.text() == "Enroll"
    assert setup.gate_combo.currentData() == "Gate 1"
    setup.pin1.setText("8642")
    setup.pin2.setText("8642")
    with qtbot.waitSignal(app.ready_to_scan, timeout=10_000):
        setup.start_button.click()


def test_enroll_scan_push_at_once_and_go_offline_when_the_server_stops(
        clients: list[httpx.Client], qtbot: QtBot, make_app: AppMaker, venue: Venue,  # noqa: F811
        tmp_path: Path) -> None:
    data = tmp_path / "gate"
    service, enroller = ui_services(ScannerSettings(data))
    clients.append(enroller.http)
    service.config = replace(service.config, interval=300.0)  # only a scan can push soon
    shift = [0.0]
    app = make_app(data, sync=service, enroller=enroller,
                   clock_fn=lambda: time.time() + shift[0], wait_ready=False)
    qtbot.waitUntil(lambda: app.window.current_screen() == "setup", timeout=10_000)
    setup = app.setup
    first_id = ScannerSettings(data).device_id()
    # A server that is not there: the engine's own words, in the set-up screen, and retry.
    setup.handshake.setText(venue.handshake("gate-gone", url="http://127.0.0.1:9"))
    setup.enroll_button.click()
    assert not setup.enroll_button.isEnabled() and setup.enroll_button.text() == "Enrolling…"
    qtbot.waitUntil(lambda: setup.error.text().startswith("Enrollment failed: Cannot reach "
                                                          "the server at http://127.0.0.1:9"),
                    timeout=15_000)
    assert setup.enroll_button.isEnabled()
    enroll_from_set_up(qtbot, app, venue.handshake("gate-ui", gate="Gate 1"))
    device_id = Credentials.load(data).device_id  # type: ignore[union-attr]
    assert device_id != first_id
    strip = app.window.gate.strip
    # Enrolling started a round: the strip shows the engine's state without being asked.
    qtbot.waitUntil(lambda: strip.link.plain() == "Online", timeout=10_000)
    assert strip.link.state == "ok" and strip.synced.plain().startswith("Synced ")
    assert strip.clock.plain() == "Clock OK" and not app.window.gate.warning.isVisible()

    ticket = venue.demo["special"]["early_bird"]
    assert scan(qtbot, app, venue.token(ticket, time.time())).tone is Tone.ADMIT
    qtbot.waitUntil(lambda: any(s["outcome"] == "admitted" for s in server_scans(venue)),
                    timeout=PUSH_WITHIN_MS)  # pushed right after the scan, not at the interval
    [pushed] = server_scans(venue)
    # The scan carries the enrolled (server's) device id, here and on the server.
    assert local_scan(data, "camera")["device_id"] == device_id == pushed["device_id"]
    qtbot.waitUntil(lambda: strip.uploads.plain() == "0 to upload", timeout=5_000)

    # A dead phone: typed in, admitted, recorded as manual, and on the server within moments.
    typed = venue.demo["special"]["vip"]
    gate = app.window.gate
    gate.open_lookup()
    gate.lookup.field.setText(typed)
    gate.lookup._submit()
    # The demo event carries attendee names: the match is listed to check photo ID first.
    qtbot.waitUntil(gate.lookup.photo_id.isVisible, timeout=5_000)
    assert gate.lookup.photo_id.text().startswith("Check photo ID: ")
    assert shown(qtbot, app, gate.lookup._submit).tone is Tone.ADMIT
    qtbot.waitUntil(lambda: len(server_scans(venue)) == 2, timeout=PUSH_WITHIN_MS)
    manual = server_scans(venue)[-1]
    assert (manual["source"], manual["outcome"], manual["device_id"]) == (
        "manual", "admitted", device_id)
    assert local_scan(data, "manual")["scan_id"] == manual["scan_id"]

    venue.server.stop()
    app.sync_requested.emit()
    qtbot.waitUntil(lambda: strip.link.plain().startswith("Offline since"), timeout=15_000)
    assert strip.link.state == "bad"
    # Scanning goes on offline: a minute later the same ticket is refused here.
    shift[0] = 60.0
    again = scan(qtbot, app, venue.token(ticket, time.time() + shift[0]))
    assert again.tone is Tone.REFUSE and again.title == "Already used"
    qtbot.waitUntil(lambda: not app.settling(), timeout=5_000)  # the counters follow
    assert strip.uploads.plain() == "1 to upload" and strip.uploads.state == "warn"


def test_a_gate_restarted_with_its_clock_unset_warns_until_it_syncs(
        clients: list[httpx.Client], qtbot: QtBot, make_app: AppMaker, venue: Venue,  # noqa: F811
        tmp_path: Path) -> None:
    data = tmp_path / "gate"
    settings = ScannerSettings(data)
    _, enroller = ui_services(settings)
    clients.append(enroller.http)
    enroller.enroll(venue.handshake("gate-pi", gate="Gate 1"))
    ui = UiSettings.load(data)
    ui.gate, ui.language = "Gate 1", "en"
    ui.set_pin(PIN)
    ui.save()
    # A Raspberry Pi without a real-time clock boots three days behind, with the Wi-Fi down.
    venue.server.stop()
    behind = 3 * 86400.0
    clients.append(make_http_client())
    engine = SyncEngine(settings, clients[-1],
                        clock=GateClock(wall=lambda: time.time() - behind,
                                        boot_id_fn=lambda: None))  # a new boot: no offset
    app = make_app(data, sync=engine, clock_fn=lambda: time.time() - behind)
    gate = app.window.gate
    strip = gate.strip
    qtbot.waitUntil(lambda: strip.clock.plain() == "Clock NOT SET", timeout=10_000)
    assert strip.clock.state == "bad"
    assert gate.warning.isVisible() and "clock is not set" in gate.warning.text()
    qtbot.waitUntil(lambda: strip.link.plain().startswith("Offline"), timeout=10_000)
    ticket = venue.demo["special"]["early_bird"]
    unset = scan(qtbot, app, venue.token(ticket, time.time()))
    assert unset.tone is Tone.CHECK and unset.title == "Gate clock not set"
    # The Wi-Fi comes back: the gate learns the server's time, the warning goes away.
    venue.server.start()
    app.sync_requested.emit()
    qtbot.waitUntil(lambda: strip.clock.plain() == "Clock OK", timeout=15_000)
    assert not gate.warning.isVisible() and strip.link.plain() == "Online"
    assert scan(qtbot, app, venue.token(ticket, time.time())).tone is Tone.ADMIT
