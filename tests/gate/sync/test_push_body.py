"""A push body encoded ahead is byte for byte what httpx sends for the same JSON."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from gatescan.gate.sync.client import PushBody
from gatescan.protocol.wire import PushedScan
from tests.protocol.test_wire import pushed_scans


@given(st.lists(pushed_scans(), max_size=5))
def test_a_push_body_is_what_httpx_would_send(items: list[PushedScan]) -> None:
    sent = httpx.Request("POST", "http://gate-server.test/",
                         json={"scans": [i.to_json() for i in items]})
    assert PushBody.encode(items).data == sent.content
