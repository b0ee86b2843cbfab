"""A manager's evening in real headless Chromium against the real server on loopback.

Create tonight's event in the console; import 500 attendees on the Tickets tab and take
the mail-merge CSV; six phones claim their links as the wallet page does; add a gate
device; a real gate enrolls from the QR on the page (the gate's own decoder reads the
screenshot); it scans and syncs; the live view's counts and lane chart move without a
reload; a second gate that never had network brings its scans on a USB stick (the
kiosk's CSV), uploaded in the page; the double admission appears in the live view.
Nothing is loaded from another host. Screenshots at desktop and phone size
(GATESCAN_CONSOLE_SHOTS=docs/screenshots/console keeps them).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from nacl.signing import SigningKey

from gatescan.gate.camera.decoders import make_decoder
from gatescan.gate.camera.images import decode_image_bytes
from gatescan.gate.ledger import reports as gate_reports
from gatescan.protocol.verdict import Outcome
from gatescan.server import admins
from gatescan.server.console.roles import Role
from gatescan.server.settings import ServerSettings, load_settings
from gatescan.server.store import IssuerStore
from gatescan.server.wallet import links
from tests.gate.sync.conftest import Gate
from tests.server.client import Organizer, phone_code
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


def _local(at: float) -> str:
    return dt.datetime.fromtimestamp(at, ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%dT%H:%M")


def _create_event(page: Any) -> int:
    """The manager creates tonight's event in the console: two gates, one ticket type."""
    now = time.time()
    _go(page, "text=New event")
    page.fill("#name", "Riverside Night")
    page.fill("#venue", "Riverside Park")
    page.fill("#tz", "Europe/Berlin")
    page.fill("#doors", _local(now - 3600))
    page.fill("#start", _local(now - 1800))
    page.fill("#end", _local(now + 4 * 3600))
    page.fill("#gate_name_1", "Gate 1")
    page.fill("#gate_zone_1", "main")
    page.fill("#gate_name_2", "Gate 2")
    page.fill("#gate_zone_2", "main")
    _go(page, "button[type=submit]:has-text('Create event')")
    event_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
    page.fill("#type_name_1", "General")
    page.fill("#type_zones_1", "main")
    page.fill("#type_max_1", "1")
    _go(page, "button:has-text('Save')")
    assert "Event saved." in page.content()
    return event_id


def _import_attendees(page: Any, n: int) -> list[dict[str, str]]:
    """Import `n` attendees on the Tickets tab; the mail-merge rows the page hands over."""
    hour_ago = _local(time.time() - 3600)
    text = "order_code,type,name,valid_from\n" + "".join(
        f"R{i // 2:04d},General,Guest {i},{hour_ago}\n" for i in range(n))
    _go(page, "nav.tabs a:has-text('Tickets')")
    page.set_input_files("#file", files=[{"name": "attendees.csv", "mimeType": "text/csv",
                                          "buffer": text.encode("utf-8")}])
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-result", timeout=60_000)
    assert f"{n} issued" in " ".join(page.inner_text("#import-result").split())
    with page.expect_download() as got:
        page.click("text=Download the mail-merge CSV of the new tickets")
    rows = list(csv.DictReader(io.StringIO(
        Path(got.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == n
    return rows


def _claimed(base: str, rows: list[dict[str, str]]) -> list[tuple[str, SigningKey, str]]:
    """Phones claim their links as the wallet page does: (ticket, holder key, credential)."""
    found = []
    for row in rows:
        phone = SigningKey.generate()
        token = row["link"].split("#claim=", 1)[1]
        r = httpx.post(f"{base}/api/v1/wallet/claim", timeout=30, json={
            "claim": token, "holder_public_key": bytes(phone.verify_key).hex(),
            "proof": phone.sign(links.CLAIM_DOMAIN + token.encode()).signature.hex()})
        assert r.status_code == 200, r.text
        found.append((row["ticket"], phone, str(r.json()["credential"])))
    return found


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
    base, _, _ = venue
    shots = _shots(tmp_path)
    ctx = browser(DESKTOP)
    outside = _only_local(ctx, base)
    page = ctx.new_page()
    _sign_in(page, base, "boss@example.org")
    event_id = _create_event(page)
    tickets = _claimed(base, _import_attendees(page, 500)[:6])

    page.goto(f"{base}/console/events/{event_id}/devices")
    page.fill("#dev_name", "North lane 1")
    page.select_option("#dev_gate", "Gate 1")
    _go(page, "button:has-text('Add and show its QR')")
    page.screenshot(path=str(shots / "device-qr-desktop.png"))
    north = gates("north", "Gate 1")
    enrolled = north.enroll(_read_qr(page.locator("figure.qr").screenshot()))
    assert enrolled.gate == "Gate 1" and enrolled.tickets == 500
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
