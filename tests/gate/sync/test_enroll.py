"""Enrollment against the real server: the token stored privately, clear refusals."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import time
from contextlib import closing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.gate.sync.client import server_view
from gatescan.gate.sync.credentials import Credentials
from gatescan.gate.sync.errors import EnrollError
from gatescan.gate.sync.handshake import HandshakeError, HandshakeProblem, parse_handshake
from tests.gate.sync.conftest import Venue, server_cli_json
from tests.gate.sync.live import free_port


def test_enrollment_stores_a_private_token_and_loads_the_event(
        venue: Venue, make_gate: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    gate = make_gate("g", "Gate 2")
    done = gate.enroll(venue.handshake("West", "Gate 2"))
    assert done.gate == "Gate 2" and done.event_id == venue.event_id and done.tickets == 40
    assert done.warning is None
    path = Credentials.path(gate.root)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(gate.root).st_mode) == 0o700
    creds = Credentials.load(gate.root)
    assert creds is not None and creds.token.startswith("gsd_")
    assert gate.settings.device_id() == done.device_id  # the gate now scans as that device
    assert creds.token not in caplog.text and creds.token not in repr(creds)
    status = gate.engine.status()
    assert status.enrolled and status.online and status.last_pull is not None


def test_wrong_reused_and_expired_codes_get_clear_messages(venue: Venue, make_gate: Any) -> None:
    handshake = venue.handshake("East", "Gate 1")
    first = make_gate("a")
    first.enroll(handshake)
    with pytest.raises(EnrollError) as reused:
        make_gate("b").enroll(handshake)
    assert reused.value.code == "code_used" and "already used" in reused.value.message

    wrong = json.loads(venue.handshake("South", "Gate 1"))
    wrong["code"] = "AAAA-BBBB-CCCC"
    with pytest.raises(EnrollError) as unknown:
        make_gate("c").enroll(json.dumps(wrong))
    assert unknown.value.code == "code_unknown" and "Unknown enrollment code" in \
        unknown.value.message

    late = venue.handshake("North", "Gate 1")
    with closing(sqlite3.connect(venue.settings.database_path)) as conn, conn:
        conn.execute("UPDATE enrollment_codes SET expires_at = 1 WHERE used_at IS NULL")
    with pytest.raises(EnrollError) as expired:
        make_gate("d").enroll(late)
    assert expired.value.code == "code_expired" and "expired" in expired.value.message
    for name in ("b", "c", "d"):
        assert Credentials.load(first.root.parent / name) is None


def test_unreachable_server_and_unknown_handshake_version(venue: Venue, make_gate: Any) -> None:
    gate = make_gate("g")
    dead = venue.handshake("Nowhere", "Gate 1", url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(EnrollError) as unreachable:
        gate.enroll(dead)
    assert unreachable.value.code == "unreachable" and "Cannot reach the server" in \
        unreachable.value.message
    future = json.loads(venue.handshake("Later", "Gate 1"))
    future["v"] = 2
    with pytest.raises(EnrollError) as version:
        gate.enroll(json.dumps(future))
    assert version.value.code == "unknown_version" and "update" in version.value.message
    assert Credentials.load(gate.root) is None


def test_revoked_device_is_wiped_on_its_next_sync(venue: Venue, make_gate: Any) -> None:
    gate = make_gate("g")
    done = gate.enroll(venue.handshake("Lost tablet", "Gate 1"))
    ticket = venue.demo["special"]["early_bird"]
    now = time.time()
    gate.scan(venue.token(ticket, now), now)
    server_cli_json(venue.data, "device", "revoke", done.device_id)
    st = gate.engine.sync_once()
    assert st.device_revoked and "wiped" in (st.error or "")
    with gate.ledger() as ledger:
        assert ledger.status().tickets == 0 and ledger.status().scans == 1
    assert Credentials.load(gate.root) is None


@given(st.text(max_size=300))
def test_any_text_is_a_handshake_or_a_clear_refusal(text: str) -> None:
    try:
        hs = parse_handshake(text)
    except EnrollError as exc:
        assert exc.code in {"not_a_handshake", "unknown_version", "bad_handshake"}
        assert exc.message
    else:
        assert hs.url.startswith(("http://", "https://"))


@given(st.dictionaries(st.sampled_from(["type", "v", "url", "code"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40),
                                 st.just("gatescan-enroll"), st.just("http://10.0.0.2:8080"))))
def test_handshake_like_objects_never_crash(data: dict[str, Any]) -> None:
    try:
        hs = parse_handshake(json.dumps(data))
    except EnrollError as exc:
        assert exc.code in {"not_a_handshake", "unknown_version", "bad_handshake"}
        assert exc.message
    else:  # only a complete v1 handshake gets through
        assert data["type"] == "gatescan-enroll" and data["v"] == 1
        assert hs.url == str(data["url"]).rstrip("/") and hs.code == str(data["code"]).strip()


@pytest.mark.parametrize("url", ["http://[", "https://[::1", "http://[bad]:80"])
def test_an_unclosed_ipv6_address_is_a_refusal_not_a_crash(url: str) -> None:
    text = json.dumps({"type": "gatescan-enroll", "v": 1, "url": url, "code": "K7QX-M2PA"})
    with pytest.raises(HandshakeError) as refused:
        parse_handshake(text)
    assert refused.value.problem is HandshakeProblem.NO_ADDRESS
    assert refused.value.code == "bad_handshake"


def test_handshake_repr_hides_the_code() -> None:
    hs = parse_handshake('{"type":"gatescan-enroll","v":1,"url":"http://h:1/","code":"ABCD-EFGH"}')
    assert hs.url == "http://h:1" and "ABCD" not in repr(hs)


_fingerprints = st.one_of(st.text("0123456789abcdef", min_size=64, max_size=64),
                          st.text(max_size=70), st.integers(), st.none())


@given(st.one_of(st.lists(_fingerprints, max_size=10), _fingerprints))
def test_handshake_key_fingerprints_are_read_exactly_or_refused(keys: Any) -> None:
    text = json.dumps({"type": "gatescan-enroll", "v": 1, "url": "http://10.0.0.2:8080",
                       "code": "K7QX-M2PA-9RTW", "keys": keys})
    try:
        hs = parse_handshake(text)
    except EnrollError as exc:
        assert exc.code == "bad_handshake"
    else:  # read back exactly what was given: a short list of 64-hex fingerprints
        assert isinstance(keys, list) and hs.keys == tuple(keys) and len(keys) <= 8
        assert all(len(k) == 64 and set(k) <= set("0123456789abcdef") for k in hs.keys)


_views = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.dictionaries(
    st.sampled_from(["instance_id", "head", "chain"]),
    st.one_of(st.none(), st.booleans(), st.integers(-1, 2**64), st.text(max_size=70),
              st.fixed_dictionaries({"seq": st.one_of(st.integers(-1, 2**64), st.text(),
                                                      st.booleans())}))))


@given(_views)
def test_server_view_is_read_exactly_or_ignored(raw: Any) -> None:
    view = server_view(raw)
    if view is not None:
        assert isinstance(raw, dict) and view.instance_id == raw["instance_id"]
        assert view.head == raw["head"] and 0 <= view.head < 2**63
        chain = raw.get("chain")
        assert view.chain_seq == (0 if chain is None else chain["seq"])
