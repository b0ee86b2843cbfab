"""A manager's evening in real headless Chromium against the real server on loopback.

Add a gate device; a real gate enrolls from the QR on the page (the gate's own decoder
reads the screenshot); it scans and syncs; the live view's counts and lane chart move
without a reload; a second gate that never had network brings its scans on a USB stick
(the kiosk's CSV), uploaded in the page; the double admission appears in the live view.
Nothing is loaded from another host. Screenshots at desktop and phone size
(GATESCAN_CONSOLE_SHOTS=docs/screenshots/console keeps them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gatescan.gate.camera.decoders import make_decoder
from gatescan.gate.camera.images import decode_image_bytes
from gatescan.gate.ledger import reports as gate_reports
from gatescan.protocol.verdict import Outcome
from gatescan.server import admins
from gatescan.server.console.roles import Role
from gatescan.server.settings import ServerSettings, load_settings
from gatescan.server.store import IssuerStore
from tests.gate.sync.conftest import Gate
from tests.server.client import Organizer, general_event, phone_code
from tests.server.console_helpers import account
from tests.server.live import serving
from tests.server.test_console_browser import (
    DESKTOP,
    PHONE,
    _go,
    _only_local,
    _shots,
    _sign_in,
    browser,
)

pytestmark = pytest.mark.slow
__all__ = ["browser"]  # the fixture


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[tuple[str, IssuerStore, Organizer]]:
    """A fresh server (SQLite), an every-event owner account and an organizer API client."""
    settings: ServerSettings = load_settings(tmp_path / "data", {})
    with IssuerStore.open(settings) as store, serving(settings, store) as url:
        account(store, "boss@example.org", Role.OWNER)
        token = admins.create_admin_token(store, "tests", now=time.time())[1]
        with Organizer(url, token) as org:
            yield url, store, org


@pytest.fixture
def gates(tmp_path: Path) -> Iterator[Callable[[str, str], Gate]]:
    """Real gates in tmp_path, closed at teardown even when the test fails half-way."""
    made: list[Gate] = []

    def make(name: str, gate: str) -> Gate:
        made.append(Gate(tmp_path / name, gate))
        return made[-1]

    yield make
    for gate in made:
        gate.close()


def _inside(page: Any) -> int:
    return int(page.inner_text("[data-k=inside]"))


def _read_qr(png: bytes) -> str:
    image = decode_image_bytes(png)
    assert not isinstance(image, str), image
    found = make_decoder("zxing").decode(image)
    assert len(found) == 1
    return found[0].text


def test_enroll_from_the_page_live_counts_move_and_a_usb_stick_brings_the_conflict(
        venue: tuple[str, IssuerStore, Organizer], browser: Any,
        gates: Callable[[str, str], Gate], tmp_path: Path) -> None:
    base, _, org = venue
    shots = _shots(tmp_path)
    event_id = org.event(general_event("Riverside Night", tz="Europe/Berlin"))
    tickets = org.issue(event_id, 6)
    ctx = browser(DESKTOP)
    outside = _only_local(ctx, base)
    page = ctx.new_page()
    _sign_in(page, base, "boss@example.org")

    page.goto(f"{base}/console/events/{event_id}/devices")
    page.fill("#dev_name", "North lane 1")
    page.select_option("#dev_gate", "Gate 1")
    _go(page, "button:has-text('Add and show its QR')")
    page.screenshot(path=str(shots / "device-qr-desktop.png"))
    north = gates("north", "Gate 1")
    enrolled = north.enroll(_read_qr(page.locator("figure.qr").screenshot()))
    assert enrolled.gate == "Gate 1" and enrolled.tickets == 6
    south = gates("south", "Gate 2")  # the USB-only gate
    page.goto(f"{base}/console/events/{event_id}/devices")
    page.fill("#dev_name", "South (USB only)")
    page.select_option("#dev_gate", "Gate 2")
    _go(page, "button:has-text('Add and show its QR')")
    south_id = south.enroll(_read_qr(page.locator("figure.qr").screenshot())).device_id

    now = time.time()
    for i, (ticket, phone, credential) in enumerate(tickets[:3]):
        at = now - 240 + 60 * i
        verdict = north.scan(phone_code(credential, phone, at), at)
        assert verdict.outcome is Outcome.ADMITTED, (ticket, verdict)
    assert north.engine.sync_once().error is None

    page.goto(f"{base}/console/events/{event_id}/live")
    assert _inside(page) == 3
    page.evaluate("window.__sameDocument = true")
    ticket, phone, credential = tickets[3]
    assert north.scan(phone_code(credential, phone, now), now).outcome is Outcome.ADMITTED
    assert north.engine.sync_once().error is None
    page.wait_for_function("document.querySelector('[data-k=inside]').textContent === '4'",
                           timeout=20_000)
    assert page.evaluate("window.__sameDocument") is True  # moved without a reload
    bars = page.locator("#lanes article").first.locator("rect")
    heights = [float(bars.nth(i).get_attribute("height") or 0) for i in range(bars.count())]
    # Four entries in four different minutes: four bars, whichever minute the page is in now.
    assert len(heights) == 30 and sum(h > 0 for h in heights) == 4, heights
    page.screenshot(path=str(shots / "live-desktop.png"), full_page=True)

    # South never had network: it admits ticket 0 again and hands over a USB stick.
    ticket0, phone0, credential0 = tickets[0]
    later = now + 30
    assert south.scan(phone_code(credential0, phone0, later), later).outcome is Outcome.ADMITTED
    stick = tmp_path / "usb" / "scans-south.csv"
    stick.parent.mkdir()
    with south.ledger() as ledger:
        gate_reports.export_scans(ledger, stick)
    upload = ctx.new_page()
    upload.goto(f"{base}/console/events/{event_id}/scans/import")
    upload.set_input_files("#file", str(stick))
    upload.select_option("#device_id", south_id)
    _go(upload, "button:has-text('Import')")
    text = upload.inner_text("main")
    assert "1\nstored" in text.replace(" stored", "\nstored") and "in a conflict" in text
    upload.screenshot(path=str(shots / "import-desktop.png"), full_page=True)
    upload.close()

    page.wait_for_selector("#conflicts article.conflict", timeout=20_000)
    assert page.evaluate("window.__sameDocument") is True
    side = page.inner_text("#conflicts article.conflict")
    assert ticket0 in side and "Gate 1" in side and "Gate 2" in side and "via import" in side
    assert "alarm" in (page.get_attribute("[data-alarm=conflicts_total]", "class") or "")
    page.screenshot(path=str(shots / "live-conflict-desktop.png"), full_page=True)

    page.goto(f"{base}/console/events/{event_id}/devices")
    assert "online" in page.inner_text("table.devices")
    page.screenshot(path=str(shots / "devices-desktop.png"), full_page=True)

    phone_ctx = browser(PHONE)
    outside += _only_local(phone_ctx, base)
    small = phone_ctx.new_page()
    _sign_in(small, base, "boss@example.org")
    small.goto(f"{base}/console/events/{event_id}/live")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # no sideways scrolling on a phone
    small.screenshot(path=str(shots / "live-phone.png"), full_page=True)
    small.goto(f"{base}/console/events/{event_id}/devices")
    assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    small.screenshot(path=str(shots / "devices-phone.png"), full_page=True)
    zh = browser(PHONE, locale="zh-CN")
    outside += _only_local(zh, base)
    zpage = zh.new_page()
    _sign_in(zpage, base, "boss@example.org")
    zpage.goto(f"{base}/console/events/{event_id}/live")
    assert "场内人数" in zpage.content()
    zpage.screenshot(path=str(shots / "live-phone-zh.png"), full_page=True)
    assert outside == []
