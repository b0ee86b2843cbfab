"""Sync wire records: every record reads back what it writes; hostile JSON is a WireError."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.protocol.wire import (
    DIRECTIONS,
    MAX_PUSH,
    MAX_PUSH_ADVERTISED,
    OUTCOMES,
    ConflictEntry,
    ConflictScan,
    CredentialEntry,
    FeedPage,
    KeyEntry,
    PolicyEntry,
    PushAnswer,
    PushedScan,
    PushResult,
    RevocationEntry,
    ScanEntry,
    ServerView,
    TicketEntry,
    TransferEntry,
    Unreadable,
    WireError,
    entry_from_json,
    push_limit,
)
from tests.factories import demo_policy

_hex = "0123456789abcdef"
scan_ids = st.text(_hex, min_size=32, max_size=32)
hashes = st.text(_hex, min_size=64, max_size=64)
kids = st.text(_hex, min_size=8, max_size=8)
ticket_ids = st.integers(0, 2**63 - 1)
u16 = st.integers(0, 0xFFFF)
seqs = st.integers(0, 2**63 - 1)
times = st.floats(0, 0xFFFFFFFF, allow_nan=False, allow_infinity=False)
# Printable, no blanks around it (the server's models strip those), at least one character.
names = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
                min_size=1, max_size=200)
free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
                    max_size=300)
directions = st.sampled_from(sorted(DIRECTIONS))
outcomes = st.sampled_from(sorted(OUTCOMES))
devices = st.none() | st.from_regex(r"dev_[0-9a-f]{12}", fullmatch=True)


@st.composite
def pushed_scans(draw: st.DrawFn) -> PushedScan:
    """Any push item a gate may send."""
    chained = draw(st.booleans())
    return PushedScan(
        draw(scan_ids), draw(ticket_ids), draw(u16), draw(names), draw(directions),
        draw(outcomes), draw(times),
        draw(st.none() | st.from_regex(r"[a-z0-9_.-]{0,32}", fullmatch=True)),
        draw(st.none() | free_text), draw(st.integers(1, 2**63 - 1)) if chained else None,
        draw(hashes) if chained else None, draw(st.none() | st.integers(1, 0xFFFFFFFF)))


push_results = st.builds(
    PushResult, st.none() | scan_ids, st.sampled_from(["stored", "duplicate", "rejected"]),
    st.booleans(), st.none() | st.text(max_size=1000),
    st.none() | st.from_regex(r"[a-z0-9_]{1,64}", fullmatch=True))


@st.composite
def server_views(draw: st.DrawFn) -> ServerView:
    """A `server` object, with or without a chain checkpoint."""
    instance, head = draw(st.text(min_size=1, max_size=64)), draw(seqs)
    if draw(st.booleans()):
        return ServerView(instance, head)
    return ServerView(instance, head, draw(seqs), draw(hashes))


@st.composite
def tickets(draw: st.DrawFn) -> TicketEntry:
    """A ticket change, with or without attendee data."""
    attendee = draw(st.booleans())
    extra = (draw(st.none() | st.text(min_size=1, max_size=200)),
             draw(st.none() | st.text(min_size=1, max_size=64))) if attendee else (None, None)
    return TicketEntry(draw(seqs), draw(ticket_ids), draw(u16), draw(u16),
                       draw(st.none() | st.text(max_size=200)), attendee, *extra)


@st.composite
def credentials(draw: st.DrawFn) -> CredentialEntry:
    """A credential change: 125 bytes whose ticket id and serial are the change's own."""
    ticket_id, serial = draw(ticket_ids), draw(u16)
    body = bytearray(draw(st.binary(min_size=125, max_size=125)))
    body[9:17] = ticket_id.to_bytes(8, "big")
    body[19:21] = serial.to_bytes(2, "big")
    return CredentialEntry(draw(seqs), ticket_id, serial, bytes(body))


conflict_scans = st.builds(ConflictScan, scan_ids, st.none() | u16, names, devices, directions,
                           outcomes, times, st.booleans())
entries: st.SearchStrategy[Any] = st.one_of(
    tickets(),
    st.builds(TransferEntry, seqs, ticket_ids, u16, u16, st.none() | st.text(max_size=200),
              st.none() | u16),
    st.builds(RevocationEntry, seqs, ticket_ids, st.none() | u16,
              st.none() | st.text(max_size=1000)),
    st.builds(KeyEntry, seqs, st.binary(min_size=32, max_size=32), st.none() | kids,
              st.none() | kids, st.none() | st.binary(min_size=64, max_size=64)),
    st.builds(PolicyEntry, seqs, st.sampled_from([demo_policy(7), demo_policy(0xFFFFFFFF)])),
    st.builds(ScanEntry, seqs, scan_ids, ticket_ids, st.none() | u16, names, directions,
              outcomes, times, devices),
    st.builds(ConflictEntry, seqs, ticket_ids, st.integers(0, 2**63 - 1),
              st.integers(0, 2**63 - 1), times, st.integers(0, 2**63 - 1),
              st.lists(conflict_scans, max_size=4).map(tuple)),
    credentials())
pages = st.builds(FeedPage, st.lists(entries, max_size=6).map(tuple),
                  st.text(min_size=1, max_size=64), st.booleans(), st.none() | server_views(),
                  st.none() | times)
answers = st.builds(PushAnswer, st.lists(push_results, max_size=6).map(tuple),
                    st.none() | server_views(), st.none() | times)
records = st.one_of(pushed_scans(), push_results, server_views(), entries, pages, answers)


def _reader(record: Any) -> Callable[[object], Any]:
    return type(record).from_json  # type: ignore[no-any-return]


def _over_the_wire(obj: Any) -> Any:
    return json.loads(json.dumps(obj, allow_nan=False))


@given(records)
def test_every_record_reads_back_what_it_writes(record: Any) -> None:
    assert _reader(record)(_over_the_wire(record.to_json())) == record


@given(entries)
def test_a_change_is_read_by_its_kind(entry: Any) -> None:
    assert entry_from_json(_over_the_wire(entry.to_json())) == entry


# -- hostile input ----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4), max_leaves=20)
hostile_values = st.one_of(
    json_values, st.sampled_from([2**63, 2**64, -1, 10**400, -(10**400), 1e308, -0.0, "", " ",
                                  "\x00", "0" * 10_000, [], {}, True, False, None,
                                  "ffffffffffffffff", "8000000000000000"]))
readers: list[Callable[[object], Any]] = [
    PushedScan.from_json, PushResult.from_json, ServerView.from_json, entry_from_json,
    FeedPage.from_json, PushAnswer.from_json, TicketEntry.from_json, TransferEntry.from_json,
    RevocationEntry.from_json, KeyEntry.from_json, PolicyEntry.from_json, ScanEntry.from_json,
    ConflictEntry.from_json, ConflictScan.from_json, CredentialEntry.from_json]


def _only_wire_errors(read: Callable[[object], Any], obj: object) -> Any:
    try:
        return read(obj)
    except WireError as exc:
        assert exc.code and exc.message
        return exc


@pytest.mark.parametrize("read", readers, ids=lambda r: r.__qualname__)
@given(obj=json_values)
def test_any_json_is_a_record_or_a_wire_error(read: Callable[[object], Any], obj: Any) -> None:
    _only_wire_errors(read, obj)


@given(records, st.data())
def test_a_missing_key_is_a_wire_error_unless_the_field_is_optional(record: Any,
                                                                    data: st.DataObject) -> None:
    obj = record.to_json()
    key = data.draw(st.sampled_from(sorted(obj)))
    del obj[key]
    got = _only_wire_errors(_reader(record), obj)
    if isinstance(got, WireError):
        assert got.code in ("missing_field", "bad_value")  # seq without hash: bad_value
    else:  # an optional field: reading it back gives the record without it
        assert getattr(got, key, None) in (None, False, 0)


@given(records, st.text(min_size=1, max_size=20), json_values)
def test_an_unknown_key_is_a_wire_error(record: Any, key: str, value: Any) -> None:
    obj = record.to_json()
    if key in obj:
        return
    got = _only_wire_errors(_reader(record), {**obj, key: value})
    assert isinstance(got, WireError) and got.code == "unknown_field"


@given(records, st.data(), hostile_values)
def test_a_hostile_value_is_a_wire_error_or_a_valid_record(record: Any, data: st.DataObject,
                                                           value: Any) -> None:
    obj = record.to_json()
    key = data.draw(st.sampled_from(sorted(obj)))
    got = _only_wire_errors(_reader(record), {**obj, key: value})
    if not isinstance(got, WireError):  # accepted: then it is a record that writes itself back
        assert _reader(record)(got.to_json()) == got


@pytest.mark.parametrize(("field", "value"), [
    ("serial", 2**64), ("serial", 0x10000), ("serial", -1), ("serial", True), ("serial", 1.0),
    ("device_time", math.inf), ("device_time", 10**400), ("device_time", "1000"),
    ("device_time", -1.0), ("ticket_id", "8000000000000000"), ("ticket_id", 0x1001),
    ("ticket_id", "1001"), ("scan_id", "AB" * 16), ("gate", ""), ("gate", "Gate\x001"),
    ("direction", "sideways"), ("outcome", "maybe"), ("seq", 2**63), ("event_id", 0),
    ("source", "Camera!"), ("reason", "x" * 301)])
def test_a_push_item_out_of_range_names_the_field(field: str, value: Any) -> None:
    item = PushedScan("ab" * 16, 0x1001, 0, "Gate 1", "entry", "admitted", 1e9, "camera",
                      "ok", 3, "c" * 64, 7).to_json()
    with pytest.raises(WireError) as caught:
        PushedScan.from_json({**item, field: value})
    assert field in caught.value.message


def test_seq_and_hash_come_together() -> None:
    item = PushedScan("ab" * 16, 0x1001, 0, "Gate 1", "entry", "admitted", 1e9).to_json()
    with pytest.raises(WireError, match="together"):
        PushedScan.from_json({**item, "seq": 1})


def test_one_bad_item_of_a_page_is_unreadable_in_its_place() -> None:
    good = ScanEntry(4, "ab" * 16, 0x1001, 0, "Gate 2", "entry", "admitted", 1e9).to_json()
    page = FeedPage.from_json({"changes": [good, {"seq": 5, "kind": "teleport"}, "x",
                                           {**good, "serial": "0"}],
                               "cursor": "5", "more": False, "server": None,
                               "server_time": 1e9})
    first, *rest = page.entries
    assert first == ScanEntry.from_json(good)
    assert [e.error.code for e in rest if isinstance(e, Unreadable)] == [
        "unknown_kind", "not_object", "wrong_type"]
    assert page.to_json()["changes"][1:] == [{"seq": 5, "kind": "teleport"}, "x",
                                             {**good, "serial": "0"}]


@pytest.mark.parametrize("body", [
    {"changes": {}, "cursor": "1", "more": False}, {"changes": [], "cursor": "", "more": False},
    {"changes": [], "cursor": "1", "more": "no"}, {"changes": [], "more": False},
    {"changes": [None] * 5001, "cursor": "1", "more": False},
    {"changes": [], "cursor": "1", "more": False, "server": {"head": 1}}])
def test_a_page_that_is_not_the_protocol_is_a_wire_error(body: dict[str, Any]) -> None:
    with pytest.raises(WireError):
        FeedPage.from_json(body)


@pytest.mark.parametrize("field", ["status", "scan_id", "conflict", "error", "code"])
def test_an_unhashable_value_in_a_push_result_is_a_wire_error(field: str) -> None:
    # The usual shape is checked on a fast path: a list there once raised TypeError.
    good = PushResult("ab" * 16, "stored").to_json()
    with pytest.raises(WireError):
        PushResult.from_json({**good, field: []})


@pytest.mark.parametrize("field", ["direction", "outcome", "gate", "ticket_id", "device_id"])
def test_an_unhashable_value_in_a_scan_entry_is_a_wire_error(field: str) -> None:
    good = ScanEntry(4, "ab" * 16, 0x1001, 0, "Gate 2", "entry", "admitted", 1e9).to_json()
    with pytest.raises(WireError):
        ScanEntry.from_json({**good, field: {}})


def test_a_credential_change_must_name_its_own_ticket_and_serial() -> None:
    entry = CredentialEntry(5, 0x1234, 2, bytes(9) + (0x1234).to_bytes(8, "big") + bytes(2)
                            + (2).to_bytes(2, "big") + bytes(104))
    wire = _over_the_wire(entry.to_json())
    assert CredentialEntry.from_json(wire) == entry
    for key, value in (("serial", 3), ("ticket_id", "0000000000001235")):
        with pytest.raises(WireError):
            CredentialEntry.from_json({**wire, key: value})
    text = wire["credential"]
    for bad in (text[:-1], text + "A", text[:-1] + "=", text[:-1] + "B", text.replace("A", "+")):
        with pytest.raises(WireError):
            CredentialEntry.from_json({**wire, "credential": bad})


@given(st.one_of(st.none(), st.text(max_size=30), st.integers(-10, 10**40).map(str),
                 st.integers(0, 10**6).map(lambda n: f" 00{n} ")))
def test_push_limit_header_is_a_count_within_the_protocol_whatever_the_server_sends(
        header: str | None) -> None:
    limit = push_limit(header)
    assert 1 <= limit <= MAX_PUSH_ADVERTISED
    value = (header or "").strip()
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        assert limit == MAX_PUSH  # absent or not a count: what every server takes
    else:  # a server's own limit as it says, never over the protocol's
        assert limit == min(int(value), MAX_PUSH_ADVERTISED)


def test_push_answer_takes_as_many_results_as_a_server_may_advertise() -> None:
    result = {"scan_id": "0" * 32, "status": "stored", "conflict": False, "error": None}
    assert len(PushAnswer.from_json({"results": [result] * MAX_PUSH_ADVERTISED}).results) == 5000
    with pytest.raises(WireError):
        PushAnswer.from_json({"results": [result] * (MAX_PUSH_ADVERTISED + 1)})
