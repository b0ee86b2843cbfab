"""The manifest reader under hostile input, and every way to damage a signed manifest.

Property: whatever the bytes, reading raises nothing but `ManifestError`; any
change to a signed manifest (a flipped byte, a cut, a swap) is refused and the
ledger is left exactly as it was.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.manifest import ManifestError, ManifestReader, _load_record
from tests.factories import T0, Issuer
from tests.gate.ledger.util import TICKETS, dump

SMALL = Issuer().manifest(TICKETS[:3], [(0x1002, None, "refund")], sequence=2)
HEADER = SMALL.split(b"\n", 1)[0] + b"\n"
TRAILER = SMALL.splitlines(keepends=True)[-1]


def read_all(data: bytes) -> tuple[int, int]:
    """Read a manifest to the end; returns (tickets, revocations)."""
    reader = ManifestReader(io.BytesIO(data), batch_size=2)
    for _ in reader.batches():
        pass
    return reader.tickets, reader.revocations


def assert_rejected(data: bytes) -> ManifestError:
    with pytest.raises(ManifestError) as err:
        read_all(data)
    return err.value


def test_small_manifest_reads() -> None:
    assert read_all(SMALL) == (3, 1)


# -- hostile bytes ------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=6),
    max_leaves=20)
record_like = st.one_of(
    st.binary(max_size=80),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.tuples(st.sampled_from(["t", "r", "x", 1]), st.lists(json_values, max_size=5)).map(
        lambda kv: json.dumps([kv[0], *kv[1]]).encode()),
)


@given(st.binary(max_size=3000))
@example(b"[" * 50_000 + b"\n")
@example(b"\xff\xfe" + b"{\x00" * 20 + b"\n")
def test_random_bytes_raise_only_manifest_error(data: bytes) -> None:
    assert_rejected(data)


@given(st.lists(record_like, max_size=12), st.booleans())
@example([b"[" * 20_000], True)
@example([b'["t",1,1,0,"\\ud800"]'], True)
@example([b'["r",1,null,"\\udfff"]'], True)
def test_valid_header_then_hostile_lines(lines: list[bytes], with_trailer: bool) -> None:
    body = b"".join(line.replace(b"\n", b"") + b"\n" for line in lines)
    assert_rejected(HEADER + body + (TRAILER if with_trailer else b""))


@given(st.dictionaries(st.sampled_from(["format", "version", "sequence", "generated_at",
                                        "signer", "policy", "keys", "extra"]),
                       json_values, max_size=8))
def test_hostile_headers(changes: dict[str, object]) -> None:
    header = json.loads(HEADER)
    header.update(changes)
    line = json.dumps(header).encode() + b"\n"
    assert_rejected(line + SMALL[len(HEADER):])


@pytest.mark.parametrize("field,value", [("sequence", 2**64), ("generated_at", -1),
                                         ("sequence", True), ("version", 3)])
def test_header_numbers_out_of_range(field: str, value: object) -> None:
    header = json.loads(HEADER)
    header[field] = value
    err = assert_rejected(json.dumps(header).encode() + b"\n" + SMALL[len(HEADER):])
    assert err.code in {"bad_header", "bad_version"}


def test_lone_surrogate_seat_is_a_bad_record() -> None:
    err = assert_rejected(HEADER + b'["t",1,1,0,"\\ud800"]\n' + TRAILER)
    assert err.code == "bad_record"


# The reader's fast path for canonical ticket lines must agree with json.loads.
number_text = st.one_of(st.integers(-5, 2**64).map(str), st.sampled_from(
    ["00", "01", "-0", "1e3", "1.0", "true", "null", "9" * 25, " 1"]))
string_text = st.one_of(
    st.text(max_size=12).map(json.dumps),
    st.text(max_size=12).map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.binary(max_size=8).map(lambda b: b'"' + b + b'"'),
    st.just("null"),
)


@given(number_text, number_text, number_text, string_text, st.sampled_from(["\n", "", " \n"]))
@example("1", "2", "3", b'"\xed\xa0\x80"', "\n")  # a UTF-8 encoded surrogate
@example("1", "2", "3", b'"\x7f\x1f"', "\n")
def test_fast_path_matches_json(a: str, b: str, c: str, seat: str | bytes, end: str) -> None:
    seat_b = seat if isinstance(seat, bytes) else seat.encode("utf-8", "surrogatepass")
    line = b'["t",' + ",".join([a, b, c]).encode() + b"," + seat_b + b"]" + end.encode()

    def outcome(fn: object) -> str:
        try:
            return repr(fn(line))  # type: ignore[operator]
        except ValueError:
            return "error"

    assert outcome(_load_record) == outcome(json.loads)


# -- damaged signed manifests through the ledger --------------------------------------

@pytest.fixture
def busy_ledger(loaded: Ledger, issuer: Issuer) -> Ledger:
    """A ledger with an event, scans and a revocation: something to lose."""
    loaded.redeem(issuer.issue(0x1001).token(T0), T0, GateContext("Gate 1"))
    loaded.redeem("garbage", T0, GateContext("Gate 1"))
    return loaded


def _import_refused(ledger: Ledger, data: bytes) -> None:
    with pytest.raises(ManifestError):
        ledger.import_manifest(io.BytesIO(data))


def test_every_single_byte_flip_is_refused(busy_ledger: Ledger) -> None:
    before = dump(busy_ledger)
    for pos in range(len(SMALL)):
        for mask in (0x01, 0x20):  # 0x20 flips letter case (hex digits, JSON keywords)
            damaged = bytearray(SMALL)
            damaged[pos] ^= mask
            _import_refused(busy_ledger, bytes(damaged))
    assert dump(busy_ledger) == before
    busy_ledger.import_manifest(io.BytesIO(SMALL))  # the undamaged one is accepted
    assert dump(busy_ledger) != before


@settings(max_examples=150)
@given(st.data())
def test_random_byte_changes_are_refused(tmp_path_factory: pytest.TempPathFactory,
                                         data: st.DataObject) -> None:
    path = tmp_path_factory.mktemp("flip") / "ledger.db"
    with Ledger(path) as ledger:
        ledger.import_manifest(io.BytesIO(Issuer().manifest(TICKETS, sequence=1)))
        before = dump(ledger)
        damaged = bytearray(SMALL)
        positions = data.draw(st.lists(st.integers(0, len(SMALL) - 1), min_size=1,
                                       max_size=4, unique=True))
        for pos in positions:
            damaged[pos] ^= data.draw(st.integers(1, 255))
        _import_refused(ledger, bytes(damaged))
        assert dump(ledger) == before


def test_every_truncation_is_refused(busy_ledger: Ledger) -> None:
    before = dump(busy_ledger)
    for cut in range(len(SMALL)):
        _import_refused(busy_ledger, SMALL[:cut])
    assert dump(busy_ledger) == before


def test_reordered_and_spliced_records_are_refused(busy_ledger: Ledger) -> None:
    before = dump(busy_ledger)
    lines = SMALL.splitlines(keepends=True)
    for i in range(1, len(lines) - 2):
        swapped = [*lines]
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        _import_refused(busy_ledger, b"".join(swapped))
    _import_refused(busy_ledger, b"".join([*lines[:2], *lines[3:]]))            # dropped
    _import_refused(busy_ledger, b"".join([*lines[:2], lines[1], *lines[2:]]))  # duplicated
    _import_refused(busy_ledger, SMALL + lines[1])                              # appended
    _import_refused(busy_ledger, SMALL + TRAILER)                               # two trailers
    assert dump(busy_ledger) == before


def test_trailer_must_be_canonical() -> None:
    trailer = json.loads(TRAILER)
    for variant in ({**trailer, "sig": trailer["sig"].upper()},
                    {**trailer, "note": 1},
                    {"sig": trailer["sig"], "end": True, "tickets": 3, "revocations": 1}):
        line = json.dumps(variant, separators=(",", ":")).encode() + b"\n"
        assert assert_rejected(SMALL[: -len(TRAILER)] + line).code == "bad_trailer"


def test_failed_import_of_a_big_manifest_leaves_no_tickets(busy_ledger: Ledger,
                                                           issuer: Issuer,
                                                           tmp_path: Path) -> None:
    """Batches were already inserted when the bad signature shows up at the end."""
    before = dump(busy_ledger)
    big = issuer.manifest([(i, 1, 0, None) for i in range(1, 50_001)], sequence=3)
    damaged = big[:-10] + (b"0" if big[-10:-9] != b"0" else b"1") + big[-9:]
    _import_refused(busy_ledger, damaged)
    assert dump(busy_ledger) == before
