"""The sync client's push body: encoded ahead of time, the same bytes httpx sends for it."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from gatescan.gate.sync.client import push_body
from gatescan.protocol.wire import PushedScan

HEX = "0123456789abcdef"
TEXT = st.characters(blacklist_categories=("Cc", "Cs"))
scans = st.builds(
    PushedScan, scan_id=st.text(HEX, min_size=32, max_size=32),
    ticket_id=st.integers(0, 2**63 - 1), serial=st.integers(0, 0xFFFF),
    gate=st.text(TEXT, min_size=1, max_size=20).filter(str.strip),
    direction=st.sampled_from(["entry", "exit"]),
    outcome=st.sampled_from(["admitted", "already_used"]),
    device_time=st.floats(0, 0xFFFFFFFF), source=st.sampled_from([None, "camera"]),
    reason=st.one_of(st.none(), st.text(TEXT, max_size=20)), event_id=st.none())


@given(items=st.lists(scans, max_size=5))
def test_push_body_is_the_json_httpx_would_send(items: list[PushedScan]) -> None:
    request = httpx.Request("POST", "http://127.0.0.1/", json={
        "scans": [i.to_json() for i in items]})
    assert push_body(items) == request.content
    assert [PushedScan.from_json(x) for x in httpx.Response(200, content=push_body(items))
            .json()["scans"]] == items
