"""The Tickets tab against the real server (SQLite and PostgreSQL): import with per-row
results, search, bulk issue, one ticket's QR link, re-send (the older link expires),
refund, the printable sheet, the mail-merge CSV; owner changes, a viewer only looks;
links only on POST; every change audited.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import re
import time
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from nacl.signing import SigningKey

from gatescan.protocol.verdict import Outcome
from gatescan.server import attendees
from gatescan.server.console import audit, events
from gatescan.server.console.plans import build_plan
from gatescan.server.console.roles import Role
from gatescan.server.errors import IssuerError
from gatescan.server.store import IssuerStore
from gatescan.server.wallet import links
from tests.gate.sync.conftest import Venue, demo_template, gates, make_gate, venue
from tests.server.client import phone_code
from tests.server.console_helpers import account, csrf_of, sign_in

__all__ = ["demo_template", "gates", "make_gate", "venue"]  # fixtures used here

ATTENDEES = """order_code,type,seat,name
A100,Standing,,Ann Lee
A100,Standing,,Bo Chen
B200,Balcony,,Nobody
C300,VIP,R1 S1,Cai Wu
"""
TOKEN = re.compile(r"#claim=(gsw_[A-Za-z0-9_-]+)")


def setup(store: IssuerStore) -> int:
    event_id = events.create(store, build_plan({
        "name": "Riverside", "tz": "UTC", "gates": [{"name": "North"}],
        "ticket_types": [{"name": "Standing"}, {"name": "VIP"}]}))
    account(store, "boss@example.org", Role.OWNER, event_id)
    account(store, "look@example.org", Role.VIEWER, event_id)
    return event_id


def upload(client: httpx.Client, event_id: int, data: bytes) -> httpx.Response:
    path = f"/console/events/{event_id}/tickets"
    return client.post(f"{path}/import", data={"csrf": csrf_of(client, path)},
                       files={"file": ("attendees.csv", data, "text/csv")})


def totals(page: str) -> dict[str, int]:
    found = dict((label, int(n)) for n, label in re.findall(
        r"<li(?: class=\"bad\")?><strong>(\d+)</strong> ([^<]+)</li>", page))
    return {k: found[k] for k in ("issued", "already issued", "rejected")}


def mail_merge(page: str) -> list[dict[str, str]]:
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', page)
    assert href is not None, page
    text = base64.b64decode(unquote(href.group(1))).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def claim(store: IssuerStore, url: str) -> links.Claimed:
    found = TOKEN.search(html.unescape(url))
    assert found is not None, url
    phone = SigningKey.generate()
    proof = phone.sign(links.CLAIM_DOMAIN + found.group(1).encode()).signature
    return links.claim(store, found.group(1), bytes(phone.verify_key), proof, now=time.time())


def test_import_search_link_refund_sheet_and_csv(server: str, store: IssuerStore) -> None:
    event_id = setup(store)
    base = f"/console/events/{event_id}/tickets"
    with sign_in(server, "boss@example.org") as boss:
        page = upload(boss, event_id, ATTENDEES.encode())
        assert page.status_code == 200, page.text
        assert totals(page.text) == {"issued": 3, "already issued": 0, "rejected": 1}
        assert "has no ticket type &#39;Balcony&#39;" in page.text
        rows = mail_merge(page.text)
        assert [r["name"] for r in rows] == ["Ann Lee", "Bo Chen", "Cai Wu"]
        assert all(r["link"].startswith(server + "/wallet/#claim=gsw_") for r in rows)
        again = upload(boss, event_id, ATTENDEES.encode())
        assert totals(again.text) == {"issued": 0, "already issued": 3, "rejected": 1}
        assert "data:text/csv" not in again.text  # no new links, none shown

        assert "Cai Wu" in boss.get(base, params={"q": "cai"}).text
        by_order = boss.get(base, params={"q": "A100"}).text
        assert "Ann Lee" in by_order and "Bo Chen" in by_order and "Cai Wu" not in by_order
        ann = rows[0]["ticket"]
        assert ann in boss.get(base, params={"q": ann}).text

        shown = boss.get(f"{base}/{ann}")
        assert shown.status_code == 200 and "<svg" not in shown.text  # no link on a GET
        made = boss.post(f"{base}/{ann}/link",
                         data={"csrf": csrf_of(boss, f"{base}/{ann}"), "kind": "issue"})
        assert made.status_code == 200 and "<svg" in made.text
        assert "older links no longer work" in made.text
        with pytest.raises(IssuerError) as old:
            claim(store, rows[0]["link"])
        assert old.value.code == "claim_expired"
        new_url = TOKEN.search(made.text)
        assert new_url is not None and claim(store, new_url.group(0)).ticket.serial == 1
        assert "on a phone" in boss.get(f"{base}/{ann}").text

        bo = rows[1]["ticket"]
        refunded = boss.post(f"{base}/{bo}/refund",
                             data={"csrf": csrf_of(boss, f"{base}/{bo}"), "reason": "refund"})
        assert refunded.status_code == 303
        assert "refunded" in boss.get(refunded.headers["location"]).text
        assert store.ticket(int(bo, 16)) is not None
        assert store.ticket(int(bo, 16)).status == "revoked"  # type: ignore[union-attr]

        form = boss.get(f"{base}/sheet")
        assert form.status_code == 200 and "<svg" not in form.text
        assert "<strong>1</strong>" in form.text  # Ann's is on her phone, Bo's refunded
        sheet = boss.post(f"{base}/sheet", data={"csrf": csrf_of(boss, base), "q": ""})
        assert sheet.status_code == 200 and sheet.text.count("<svg") == 1
        assert "Cai Wu" in sheet.text

        merged = boss.post(f"{base}/links.csv", data={"csrf": csrf_of(boss, base), "q": ""})
        assert merged.status_code == 200
        assert merged.headers["content-disposition"].startswith("attachment")
        lines = list(csv.DictReader(io.StringIO(merged.text.lstrip("\ufeff"))))
        assert [r["name"] for r in lines] == ["Cai Wu"]
        with pytest.raises(IssuerError) as replaced:  # the sheet's link replaced the import's
            claim(store, rows[2]["link"])
        assert replaced.value.code == "claim_expired"
        assert claim(store, lines[0]["link"]).ticket.serial == 1

        bulk = {"csrf": csrf_of(boss, base), "type_id": "2", "count": "3",
                "order_code": "BULK-1", "name": ""}
        first = boss.post(f"{base}/bulk", data=bulk)
        assert totals(first.text) == {"issued": 3, "already issued": 0, "rejected": 0}
        assert totals(boss.post(f"{base}/bulk", data=bulk).text)["already issued"] == 3
        for count in ("²", "0", "1001", "9" * 5000, ""):
            assert boss.post(f"{base}/bulk", data={**bulk, "count": count}).status_code == 422

        assert boss.post(f"{base}/import", files={"file": ("a.csv", b"x", "text/csv")},
                         data={"csrf": "wrong"}).status_code == 403
    actions = [e.action for e in audit.recent(store, events={event_id})]
    for action in ("tickets_import", "ticket_link", "ticket_refund", "tickets_sheet",
                   "tickets_links_csv", "tickets_bulk"):
        assert action in actions
    assert not any("gsw_" in e.details for e in audit.recent(store, events={event_id}))


def test_a_viewer_may_search_but_not_change(server: str, store: IssuerStore) -> None:
    event_id = setup(store)
    base = f"/console/events/{event_id}/tickets"
    with sign_in(server, "boss@example.org") as boss:
        upload(boss, event_id, ATTENDEES.encode())
    ann = attendees.search(store, event_id, "Ann")[0]
    with sign_in(server, "look@example.org") as look:
        page = look.get(base, params={"q": "Ann"})
        assert page.status_code == 200 and "Ann Lee" in page.text
        assert "import-form" not in page.text and "Refund" not in look.get(
            f"{base}/{ann.ticket}").text
        csrf = csrf_of(look, base)
        assert look.post(f"{base}/{ann.ticket}/refund",
                         data={"csrf": csrf, "reason": "x"}).status_code == 403
        assert look.post(f"{base}/bulk", data={"csrf": csrf, "count": "1",
                                               "order_code": "X", "type_id": "1"}
                         ).status_code == 403
        assert look.get(f"{base}/sheet").status_code == 403
        assert look.get(f"{base}/ffff").status_code == 404
    assert store.ticket(ann.ticket_id).status == "valid"  # type: ignore[union-attr]


def test_a_mail_merge_link_claimed_by_a_phone_is_admitted_at_a_real_gate(
        venue: Venue, make_gate: Any) -> None:
    with IssuerStore.open(venue.settings) as store:
        account(store, "boss@example.org", Role.OWNER, venue.event_id)
    gate = make_gate("north", "Gate 1")
    gate.enroll(venue.handshake("North", "Gate 1"))
    with sign_in(venue.server.url, "boss@example.org") as boss:
        page = upload(boss, venue.event_id, b"order_code,type,name\nM1,Early Bird,Dana\n")
        assert totals(page.text)["issued"] == 1
    row = mail_merge(page.text)[0]
    phone = SigningKey.generate()
    found = TOKEN.search(row["link"])
    assert found is not None
    token = found.group(1)
    claimed = httpx.post(f"{venue.server.url}/api/v1/wallet/claim", json={
        "claim": token, "holder_public_key": bytes(phone.verify_key).hex(),
        "proof": phone.sign(links.CLAIM_DOMAIN + token.encode()).signature.hex()})
    assert claimed.status_code == 200, claimed.text
    assert gate.engine.sync_once().error is None  # the gate learns the new ticket
    now = time.time()
    code = phone_code(claimed.json()["credential"], phone, now,
                      int(venue.demo["rotation_period"]))
    assert gate.scan(code, now).outcome is Outcome.ADMITTED
    assert gate.scan(phone_code(claimed.json()["credential"], phone, now + 120,
                                int(venue.demo["rotation_period"])),
                     now + 120).outcome is Outcome.ALREADY_USED
