"""One clock on the gate: strip, verdict reasons and manager view all in the event's zone.

The machine runs in another zone (TZ=America/New_York) to show that nothing
falls back to it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from gatescan.gate.ledger.reports import Bucket, GateReport, RecentScan
from gatescan.gate.sync.status import ClockState, SyncStatus
from gatescan.gate.ui.manager_view import ManagerView
from gatescan.gate.ui.reasons import describe_verdict
from gatescan.gate.ui.status_strip import StatusStrip
from gatescan.protocol.clock import EventZone, format_hm
from gatescan.protocol.verdict import Outcome, Verdict
from tests.factories import Issuer, demo_policy
from tests.gate.ui.conftest import AppMaker

pytestmark = pytest.mark.timeout(60)

BERLIN = EventZone("Europe/Berlin")
NOON_UTC = 1_782_900_000  # 2026-07-01T10:00:00Z: 12:00 in Berlin, 06:00 in New York


@pytest.fixture(autouse=True)
def machine_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own zone is not the event's."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def issuer() -> Issuer:
    """A Berlin event (overrides the conftest's UTC one)."""
    return Issuer(policy=replace(demo_policy(), tz="Europe/Berlin", tz_offset_minutes=0))


def test_strip_clock_is_the_event_zone_not_the_machine_zone(qtbot: QtBot, make_app: AppMaker,
                                                            data_dir: Path) -> None:
    app = make_app(data_dir)
    strip = app.window.gate.strip
    before = time.time()
    strip.tick()
    after = time.time()
    shown = strip.time.text()
    assert shown in {format_hm(before, BERLIN), format_hm(after, BERLIN)}
    assert shown != time.strftime("%H:%M", time.localtime(before))  # New York is 6 h behind


def test_strip_sync_times_use_the_event_zone(qtbot: QtBot) -> None:
    strip = StatusStrip(now=lambda: NOON_UTC)
    qtbot.addWidget(strip)
    strip.set_sync(SyncStatus(enrolled=True, online=True, last_sync=NOON_UTC,
                              clock_state=ClockState.SYNCED, clock_offset=0.0))
    assert strip.synced.plain() == "Synced 10:00"  # before the event is known: UTC
    strip.set_zone(BERLIN)
    assert strip.synced.plain() == "Synced 12:00"
    assert strip.time.text() == "12:00" and strip.now_text() == "12:00:00"


def test_translated_reason_uses_the_event_zone() -> None:
    verdict = Verdict(Outcome.ALREADY_USED, "Already used at Gate 2 at 12:00",
                      previous_time=NOON_UTC, previous_gate="Gate 2")
    display = describe_verdict(verdict, zone=BERLIN)
    assert display.reason == "Already used at Gate 2 at 12:00"


def test_manager_view_times_use_the_event_zone(qtbot: QtBot) -> None:
    view = ManagerView()
    qtbot.addWidget(view)
    view.set_zone(BERLIN)
    stats = GateReport(
        event_name="x", total=1, admitted=1, pending_uploads=0,
        by_outcome=[("admitted", 1)], by_type=[("General", 1, 0)],
        buckets=[Bucket(NOON_UTC, 1, 0)],
        recent=[RecentScan(NOON_UTC, "Gate 1", "entry", "T1", "General", "admitted", True,
                           "camera")], conflicts=[])
    view.set_stats(stats)
    assert view.recent.item(0, 0).text() == "12:00:00"
    assert view.chart.zone == BERLIN
