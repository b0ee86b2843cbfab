"""The mesh datagram codec: round trips, and outside input never gets past the parser unchecked."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from gatescan.protocol.mesh import (
    DOMAIN,
    MAGIC,
    Heads,
    MeshFormatError,
    PeerScan,
    encode,
    parse,
    verify_signature,
)

KEY = SigningKey(bytes(range(32)))
OTHER = SigningKey(bytes(range(1, 33)))
device_ids = st.text("0123456789abcdef", min_size=12, max_size=12).map(lambda s: "dev_" + s)
times = st.floats(0, 2**32 - 1, allow_nan=False, allow_infinity=False)


@st.composite
def scans(draw: st.DrawFn) -> PeerScan:
    seq = draw(st.integers(1, 2**40))
    return PeerScan(draw(st.text("0123456789abcdef", min_size=32, max_size=32)),
                    draw(st.text("0123456789abcdef", min_size=16, max_size=16)),
                    draw(st.none() | st.integers(0, 0xFFFF)),
                    draw(st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF,
                                               blacklist_characters="\x7f"),
                                 min_size=1, max_size=200)),
                    draw(st.sampled_from(["entry", "exit"])),
                    draw(st.sampled_from(["admitted", "already_used", "exit_recorded"])),
                    draw(times), seq, draw(st.integers(0, seq - 1)))


heads = st.builds(Heads, st.integers(0, 2**40),
                  st.dictionaries(device_ids, st.integers(0, 2**40), max_size=64),
                  st.dictionaries(device_ids, st.integers(0, 2**40), max_size=64))


@given(body=scans() | heads, event=st.integers(0, 2**32 - 1), sender=device_ids,
       counter=st.integers(0, 2**63 - 1), sent_at=times)
def test_a_message_round_trips_and_verifies_only_with_its_key(
        body: PeerScan | Heads, event: int, sender: str, counter: int, sent_at: float) -> None:
    kind = "scan" if isinstance(body, PeerScan) else "heads"
    msg = parse(encode(kind, event, sender, counter, sent_at, body, KEY))
    assert (msg.kind, msg.event_id, msg.sender, msg.counter) == (kind, event, sender, counter)
    assert msg.body == body
    assert abs(msg.sent_at - sent_at) < 1e-5
    assert verify_signature(msg, bytes(KEY.verify_key))
    assert not verify_signature(msg, bytes(OTHER.verify_key))


@settings(max_examples=300)
@given(st.binary(max_size=600))
def test_random_bytes_are_refused_cleanly(data: bytes) -> None:
    for datagram in (data, MAGIC + data, MAGIC + bytes(64) + data):
        with contextlib.suppress(MeshFormatError):
            parse(datagram)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                               max_size=6), max_leaves=20)


@settings(max_examples=300)
@given(doc=json_values, field=st.sampled_from(["v", "k", "e", "d", "n", "t", "b"]))
def test_any_field_replaced_by_any_json_is_refused_or_still_well_formed(
        doc: object, field: str) -> None:
    good = json.loads(encode("heads", 7, "dev_" + "a" * 12, 1, 10.0, Heads(3, {}), KEY)[68:])
    good[field] = doc
    try:
        body = json.dumps(good).encode("ascii")
    except ValueError:
        return
    try:
        msg = parse(MAGIC + bytes(64) + body)
    except MeshFormatError:
        return
    assert not verify_signature(msg, bytes(KEY.verify_key))  # whatever it says, not signed


@given(scan=scans(), flip=st.integers(0, 10_000))
def test_a_changed_byte_is_refused_by_the_parser_or_the_signature(scan: PeerScan,
                                                                  flip: int) -> None:
    data = bytearray(encode("scan", 1, "dev_" + "b" * 12, 5, 1.0, scan, KEY))
    i = len(MAGIC) + flip % (len(data) - len(MAGIC))
    data[i] ^= 0x01
    try:
        msg = parse(bytes(data))
    except MeshFormatError:
        return
    assert not verify_signature(msg, bytes(KEY.verify_key))


def test_the_signature_covers_the_domain_and_the_bytes_as_sent() -> None:
    data = encode("heads", 1, "dev_" + "c" * 12, 1, 1.0, Heads(0, {}), KEY)
    KEY.verify_key.verify(DOMAIN + data[68:], data[4:68])
    with pytest.raises(MeshFormatError):
        parse(data[:40])
    with pytest.raises(MeshFormatError):
        parse(b"GSM2" + data[4:])


@pytest.mark.parametrize("bad", [
    {"prev": 5, "seq": 5}, {"seq": 0}, {"serial": 70000}, {"serial": True},
    {"scan_id": "A" * 32}, {"ticket_id": "1" * 15}, {"gate": ""}, {"gate": "a\nb"},
    {"direction": "in"}, {"device_time": float("inf")}, {"outcome": "Admitted"},
])
def test_scan_fields_out_of_shape_are_refused(bad: dict[str, object]) -> None:
    wire = {"scan_id": "a" * 32, "ticket_id": "1" * 16, "serial": 0, "gate": "Gate 1",
            "direction": "entry", "outcome": "admitted", "device_time": 1.0, "seq": 2,
            "prev": 1, **bad}
    with pytest.raises(MeshFormatError):
        PeerScan.from_json(wire)


def test_heads_without_seen_still_parse_and_seen_is_checked_like_have() -> None:
    """Older gates send heads with `have` only; `seen` takes the same shape and bounds."""
    sender = "dev_" + "d" * 12
    old = encode("heads", 1, sender, 1, 1.0, Heads(3, {sender: 2}), KEY)
    assert b"seen" not in old and parse(old).body == Heads(3, {sender: 2}, {})
    for bad in ({"dev_x": 1}, {sender: -1}, {sender: True}, [], {sender: 2**62 + 1},
                {f"dev_{i:012x}": 1 for i in range(65)}):
        with pytest.raises(MeshFormatError):
            Heads.from_json({"head": 1, "have": {}, "seen": bad})
    with pytest.raises(MeshFormatError):
        Heads.from_json({"head": 1, "have": {}, "seen": {}, "more": 1})
