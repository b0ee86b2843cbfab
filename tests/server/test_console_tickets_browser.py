"""The Tickets tab in real headless Chromium against the real server: import a CSV with a
bad row (the script uploads it with a progress bar and shows the per-row results in
place), download the mail-merge CSV, search, open the printable sheet, refund one ticket,
re-send another; nothing is loaded from another host.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from gatescan.server.console import events
from gatescan.server.console.plans import build_plan
from gatescan.server.store import IssuerStore
from tests.server.test_console_browser import (
    DESKTOP,
    PHONE,
    _go,
    _only_local,
    _shots,
    _sign_in,
    browser,
    site,
)

__all__ = ["browser", "site"]  # fixtures used here
pytestmark = pytest.mark.slow
ATTENDEES = """order_code;type;seat;name
A100;Standing;;Ann Lee
A100;Standing;;Bo Chen
B200;Balcony;;Nobody
C300;VIP;R1 S1;Cai Wu
"""


def test_import_search_sheet_refund_resend(site: tuple[str, IssuerStore], browser: Any,
                                           tmp_path: Path) -> None:
    base, store = site
    shots = _shots(tmp_path)
    event_id = events.create(store, build_plan({
        "name": "Riverside", "tz": "UTC", "gates": [{"name": "North"}],
        "ticket_types": [{"name": "Standing"}, {"name": "VIP"}]}))
    ctx = browser(DESKTOP)
    outside = _only_local(ctx, base)
    page = ctx.new_page()
    _sign_in(page, base, "boss@example.org")
    page.goto(f"{base}/console/events/{event_id}")
    _go(page, "nav.tabs a:has-text('Tickets')")
    tickets_url = page.url
    page.set_input_files("#file", files=[{"name": "attendees.csv", "mimeType": "text/csv",
                                          "buffer": ATTENDEES.encode("utf-8-sig")}])
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-result")
    assert page.url == tickets_url  # shown in place by the script, no navigation
    result = page.inner_text("#import-result")
    assert "3 issued" in " ".join(result.split())
    assert "Balcony" in result and "rejected" in result
    page.screenshot(path=str(shots / "tickets-import-desktop.png"), full_page=True)
    with page.expect_download() as got:
        page.click("text=Download the mail-merge CSV of the new tickets")
    rows = list(csv.DictReader(io.StringIO(
        Path(got.value.path()).read_text(encoding="utf-8-sig"))))
    assert [r["name"] for r in rows] == ["Ann Lee", "Bo Chen", "Cai Wu"]
    assert all("/wallet/#claim=gsw_" in r["link"] for r in rows)

    page.fill("#q", "cai")
    with page.expect_navigation():
        page.press("#q", "Enter")
    listed = page.inner_text("#tickets")
    assert "Cai Wu" in listed and "Ann Lee" not in listed

    page.fill("#q", "A100")
    with page.expect_navigation():
        page.press("#q", "Enter")
    _go(page, "button:has-text('Printable sheet…')")
    _go(page, "button:has-text('Make the links and show the sheet')")
    assert page.locator(".ticket-card svg").count() == 2
    assert "Bo Chen" in page.content()
    page.screenshot(path=str(shots / "tickets-sheet-desktop.png"), full_page=True)

    page.goto(f"{base}/console/events/{event_id}/tickets/{rows[1]['ticket']}")
    page.fill("#reason", "refund: order cancelled")
    _go(page, "button:has-text('Refund this ticket')")
    assert "refunded" in page.inner_text("#ticket-state")
    assert page.locator("button:has-text('Make a new link')").count() == 0

    page.goto(f"{base}/console/events/{event_id}/tickets/{rows[2]['ticket']}")
    _go(page, "button:has-text('Make a new link')")
    assert page.locator("#new-link svg").count() == 1
    assert "older links no longer work" in page.inner_text("#new-link")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(shots / "tickets-link-phone.png"), full_page=True)
    assert outside == []
