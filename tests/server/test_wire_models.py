"""The server speaks `gatescan.protocol.wire` byte for byte; its pydantic models agree."""

from __future__ import annotations

import json
from typing import Any, get_args

from hypothesis import given
from nacl.signing import SigningKey

from gatescan.protocol.wire import (
    ENTRY_KINDS,
    PUSH_STATUSES,
    FeedPage,
    PushAnswer,
    PushedScan,
    PushStatus,
    Unreadable,
)
from gatescan.server.api.sync_models import Change, ItemResultOut, ScanItem
from gatescan.server.wallet import links
from tests.protocol.test_wire import pushed_scans
from tests.server.client import Gate, Organizer, general_event, scan


def _compact(obj: Any) -> str:
    """What Starlette's JSONResponse sends for `obj`."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def test_every_feed_page_and_push_answer_is_exactly_a_wire_record(server: str,
                                                                  org: Organizer) -> None:
    event_id = org.event(general_event(attendee_data=True) | {"name": "Wire Night"})
    (t1, _, _), (t2, _, _), (t3, _, _) = org.issue(event_id, 3)
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b", "Gate 2")["code"]) as b:
        pushed = [scan(t1, 1000.0, seq=1, hash="a" * 64), scan(t2, 1001.0, outcome="exited",
                                                                direction="exit")]
        first = a.http.post("/api/v1/device/scans", json={"scans": pushed})
        second = b.http.post("/api/v1/device/scans", json={"scans": [
            scan(t1, 1010.0, "Gate 2"), {"scan_id": "nope"}]})  # a conflict, and a rejection
        for r in (first, second):
            answer = PushAnswer.from_json(r.json())
            assert not any(isinstance(x, Unreadable) for x in answer.results)
            assert _compact(answer.to_json()) == r.text
        org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/{t2}/revoke",
               json={"reason": "refund"})
        org.ok("POST", f"/api/v1/admin/events/{event_id}/tickets/{t3}/transfer",
               json={"holder_public_key": bytes(SigningKey.generate().verify_key).hex()})
        org.ok("POST", f"/api/v1/admin/events/{event_id}/keys", 201)  # an endorsed key
        org.ok("PUT", f"/api/v1/admin/events/{event_id}", json=general_event("Renamed"))
        made = org.ok("POST", f"/api/v1/admin/events/{event_id}/wallet-tickets", 201,
                      json={"type_id": 1, "valid_from": 0, "valid_until": 2**32 - 1})
        claim, phone = made["url"].split("#claim=")[1], SigningKey.generate()
        claimed = org.http.post("/api/v1/wallet/claim", json={  # a `credential` change
            "claim": claim, "holder_public_key": bytes(phone.verify_key).hex(),
            "proof": phone.sign(links.CLAIM_DOMAIN + claim.encode()).signature.hex()})
        assert claimed.status_code == 200, claimed.text
        kinds: set[str] = set()
        cursor = "0"
        while True:
            r = b.http.get("/api/v1/device/changes", params={"cursor": cursor, "limit": 3})
            page = FeedPage.from_json(r.json())
            assert not [e for e in page.entries if isinstance(e, Unreadable)], r.text
            assert _compact(page.to_json()) == r.text  # same bytes, field for field
            kinds |= {type(e).KIND for e in page.entries if not isinstance(e, Unreadable)}
            cursor = page.cursor
            if not page.more:
                break
    assert kinds == set(ENTRY_KINDS)  # every kind was seen, so every kind was checked


def test_the_openapi_models_know_the_same_kinds_and_statuses() -> None:
    kinds = get_args(Change.model_fields["kind"].annotation)
    assert set(kinds) == set(ENTRY_KINDS)
    statuses = get_args(ItemResultOut.model_fields["status"].annotation)
    assert set(statuses) == set(get_args(PushStatus)) == PUSH_STATUSES


@given(pushed_scans())
def test_the_push_model_accepts_every_wire_item_and_converts_it_back(item: PushedScan) -> None:
    # (the model also strips blanks around a gate name or reason: the strategy makes none)
    model = ScanItem.model_validate(json.loads(json.dumps(item.to_json())))
    assert model.to_wire() == item
