"""The console in real headless Chromium (Playwright) against the real server on loopback.

An owner signs in with the keyboard, creates an event with two gates and three ticket
types, is told why a bad plan was refused, edits, duplicates and archives; a viewer sees
the event with no form buttons and is refused (403) when posting anyway; a POST without
the CSRF token is refused; no page loads anything from another host (every request the
browser makes is checked). Set GATESCAN_CONSOLE_SHOTS=DIR to keep the screenshots
(desktop 1280x800 and phone 390x844; docs/screenshots/console/ holds the committed ones).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from gatescan.server.console.roles import Role
from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore
from tests.server.console_helpers import PASSWORD, account
from tests.server.live import serving
from tests.server.test_wallet_browser import CHROMIUM, FLAGS, _playwright

pytestmark = pytest.mark.slow
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
URL = re.compile(r"""https?://[^\s"'<>)]+""")
SVG_NS = "http://www.w3.org/2000/svg"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, IssuerStore]]:
    """A fresh server (SQLite) with an every-event owner account."""
    from gatescan.server.settings import load_settings

    settings: ServerSettings = load_settings(tmp_path / "data", {})
    with IssuerStore.open(settings) as store, serving(settings, store) as url:
        account(store, "boss@example.org", Role.OWNER)
        yield url, store


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A function opening a fresh Chromium context of a size and locale; all closed after."""
    sync_playwright = _playwright()
    opened: list[Any] = []
    with sync_playwright() as pw:
        def context(viewport: dict[str, int], locale: str = "en-US") -> Any:
            ctx = pw.chromium.launch_persistent_context(
                str(tmp_path / f"profile-{len(opened)}"), executable_path=str(CHROMIUM),
                headless=True, args=FLAGS, viewport=viewport, locale=locale)
            opened.append(ctx)
            return ctx
        try:
            yield context
        finally:
            for ctx in opened:
                ctx.close()


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("GATESCAN_CONSOLE_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _only_local(ctx: Any, base: str) -> list[str]:
    """Record every request the context makes to a host other than the server (and block it)."""
    outside: list[str] = []
    here = urlsplit(base).netloc

    def check(route: Any) -> None:
        if urlsplit(route.request.url).netloc != here:
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()
    ctx.route("**/*", check)
    return outside


def _go(page: Any, selector: str) -> None:
    """Click a link or submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/console")
    assert page.evaluate("document.activeElement.id") == "email"  # autofocus, keyboard first
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/console/events")


def _fill_event(page: Any) -> None:
    page.fill("#name", "Riverside Festival")
    page.fill("#venue", "Riverside Park")
    page.fill("#tz", "Europe/Berlin")
    page.fill("#doors", "2026-07-01T17:00")
    page.fill("#start", "2026-07-01T18:00")
    page.fill("#end", "2026-07-01T23:30")
    page.fill("#gate_name_1", "North")
    page.fill("#gate_zone_1", "main")
    page.fill("#gate_name_2", "VIP door")
    page.fill("#gate_zone_2", "vip")
    _go(page, "button[type=submit]:has-text('Create event')")  # only 2 type rows: save first
    assert "Early" not in page.content()


def test_owner_flow_viewer_and_csrf(site: tuple[str, IssuerStore], browser: Any,
                                    tmp_path: Path) -> None:
    base, store = site
    shots = _shots(tmp_path)
    ctx = browser(DESKTOP)
    outside = _only_local(ctx, base)
    page = ctx.new_page()
    page.goto(f"{base}/console/login")
    page.screenshot(path=str(shots / "login-desktop.png"))
    _sign_in(page, base, "boss@example.org")
    _go(page, "text=New event")
    _fill_event(page)
    event_url = page.url.split("?")[0]
    event_id = int(event_url.rsplit("/", 1)[1])
    assert "Event created." in page.content() and page.input_value("#gate_name_2") == "VIP door"
    for i, (name, zones, gates, size) in enumerate([("Early bird", "main", "", "1"),
                                                    ("VIP", "vip", "", "1"),
                                                    ("Family (4)", "main", "North", "4")],
                                                   start=1):
        if i == 3:  # two empty rows per save: save, then the third row is there
            _go(page, "button:has-text('Save')")
        page.fill(f"#type_name_{i}", name)
        page.fill(f"#type_zones_{i}", zones)
        page.fill(f"#type_gates_{i}", gates)
        page.fill(f"#type_max_{i}", size)
    page.fill("#type_inventory_1", "500")
    page.select_option("#type_reentry_2", "yes")
    _go(page, "button:has-text('Save')")
    assert "Event saved." in page.content()
    policy = store.event(event_id).policy  # type: ignore[union-attr]
    assert [t.name for t in policy.ticket_types] == ["Early bird", "VIP", "Family (4)"]
    assert [g.zone for g in policy.gates] == ["main", "vip"] and policy.tz_offset_minutes == 120
    assert policy.ticket_types[1].reentry and policy.ticket_types[2].max_entries == 4
    page.screenshot(path=str(shots / "event-desktop.png"), full_page=True)

    page.fill("#type_zones_2", "vipp")  # a zone no gate opens into: refused, with the reason
    _go(page, "button:has-text('Save')")
    assert "no gate opens into: vipp" in page.inner_text("[role=alert]")
    page.screenshot(path=str(shots / "bad-plan-desktop.png"))
    page.goto(event_url)
    page.fill("#venue", "Riverside Park, east lawn")
    _go(page, "button:has-text('Save')")
    assert page.input_value("#venue") == "Riverside Park, east lawn"

    _go(page, "button:has-text('Duplicate')")
    assert "Event duplicated" in page.content()
    assert page.input_value("#name") == "Riverside Festival (copy)"
    copy_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
    assert copy_id != event_id and page.input_value("#type_inventory_1") == "500"
    _go(page, "button:has-text('Archive')")
    assert "Event archived." in page.content()
    page.goto(f"{base}/console/events")
    assert "Riverside Festival (copy)" not in page.content()
    page.screenshot(path=str(shots / "events-desktop.png"))
    _go(page, "text=Show archived events")
    assert "Riverside Festival (copy)" in page.content()

    # A form POST without the session's CSRF token is refused and changes nothing.
    r = page.request.post(f"{event_url}/archive", form={"x": "1"})
    assert r.status == 403 and "nothing was changed" in r.text()
    page.goto(f"{base}/console/audit")
    assert "event_duplicate" in page.content() and "event_archive" in page.content()
    page.screenshot(path=str(shots / "audit-desktop.png"))

    # A viewer: read-only, no buttons in the page body, a posted form anyway is 403.
    account(store, "look@example.org", Role.VIEWER, event_id)
    phone = browser(PHONE, locale="zh-CN")
    outside += _only_local(phone, base)
    vpage = phone.new_page()
    vpage.goto(f"{base}/console/login")
    assert "电子邮箱" in vpage.content()
    vpage.screenshot(path=str(shots / "login-phone-zh.png"))
    _sign_in(vpage, base, "look@example.org")
    vpage.screenshot(path=str(shots / "events-phone-zh.png"))
    vpage.goto(event_url)
    assert vpage.locator("main button").count() == 0
    assert vpage.locator("main input:not([type=hidden]):enabled").count() == 0
    vpage.screenshot(path=str(shots / "event-viewer-phone-zh.png"), full_page=True)
    csrf = vpage.get_attribute("input[name=csrf]", "value")
    r = vpage.request.post(event_url, form={"csrf": csrf, "name": "Hacked", "tz": "UTC"})
    assert r.status == 403
    assert store.event(event_id).name == "Riverside Festival"  # type: ignore[union-attr]

    # Phone size, English, the owner's event form.
    ophone = browser(PHONE)
    outside += _only_local(ophone, base)
    opage = ophone.new_page()
    _sign_in(opage, base, "boss@example.org")
    opage.screenshot(path=str(shots / "events-phone.png"))
    opage.goto(event_url)
    opage.screenshot(path=str(shots / "event-phone.png"), full_page=True)

    # The API docs work with every file from this server.
    page.goto(f"{base}/docs")
    page.wait_for_selector(".swagger-ui .information-container", timeout=20_000)
    assert "GateScan issuing and sync server" in page.inner_text(".swagger-ui .info")
    page.screenshot(path=str(shots / "docs-desktop.png"))
    assert outside == []


def test_no_page_names_another_host(site: tuple[str, IssuerStore]) -> None:
    base, _ = site
    with httpx.Client(base_url=base) as client:
        client.post("/console/login", data={"email": "boss@example.org",
                                            "password": PASSWORD})
        for path in ("/docs", "/console/login", "/console/events", "/console/events/new",
                     "/console/audit", "/wallet/", "/dashboard", "/dashboard/login",
                     "/console/static/console.css"):
            r = client.get(path, follow_redirects=True)
            assert r.status_code == 200, path
            found = [u for u in URL.findall(r.text)
                     if not u.startswith(base) and not u.startswith(SVG_NS)]
            assert found == [], (path, found)
        assert client.get("/redoc").status_code == 404
