"""The import's bulk path (a block of canonical ticket lines handed to SQLite as one JSON
array) against the line parser: the same rows, ledgers and refusals, whatever the lines.

Properties: for any block of lines, signed, hostile ones included (big integers, floats,
`1e3`, `true`, nested arrays, escapes, non-ASCII and over-long seats, duplicate ticket ids,
two records on a line, trailing garbage, bad UTF-8), and any block size,
- the reader with `ticket_arrays` yields, once the arrays are read back with json.loads,
  exactly the rows (in order) or the error (code and message) it yields without them;
- importing with the bulk path and with it switched off leaves identical ledgers, or
  raises the same error and leaves both ledgers as they were.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatescan.gate.ledger.importer import import_manifest
from gatescan.gate.ledger.ledger import Ledger
from gatescan.protocol import manifest as mf
from gatescan.protocol.manifest import ManifestError, ManifestReader, ManifestWriter
from tests.factories import T0, Issuer
from tests.gate.ledger.util import dump

ISSUER = Issuer()
BLOCKS = (7, 200, 4096, 1 << 20)


def signed(lines: list[bytes]) -> bytes:
    """A manifest of these record lines, as they are, with a valid signature and counts."""
    out = io.BytesIO()
    ManifestWriter(out, ISSUER.policy, [ISSUER.public], ISSUER.key, sequence=1, generated_at=T0)
    body = out.getvalue() + b"".join(lines)
    sig = ISSUER.key.sign(mf.MANIFEST_DOMAIN + hashlib.sha256(body).digest()).signature
    counts = {"tickets": sum(ln.startswith(b'["t"') for ln in lines),
              "revocations": sum(ln.startswith(b'["r"') for ln in lines)}
    return body + mf._trailer_line({"end": True, **counts, "sig": sig.hex()})


def ticket_line(tid: int, type_id: int, serial: int, seat: str | None, ascii_only: bool) -> bytes:
    return json.dumps(["t", tid, type_id, serial, seat], separators=(",", ":"),
                      ensure_ascii=ascii_only).encode("utf-8", "surrogatepass") + b"\n"


HOSTILE = [
    b'["t",1e3,1,1,null]\n', b'["t",1000.0,1,1,null]\n', b'["t",1,1,1,true]\n',
    b'["t",[1],1,1,null]\n', b'["t",1,1,1,[null]]\n', b'["t",1,1,1,{"a":1}]\n',
    b'["t",99999999999999999999,1,1,null]\n', b'["t",9223372036854775808,1,1,null]\n',
    b'["t",9223372036854775807,65535,65535,null]\n', b'["t",-1,1,1,null]\n',
    b'["t",-0,1,1,null]\n', b'["t",01,1,1,null]\n', b'["t",1,65536,1,null]\n',
    b'["t",1,1,70000,null]\n', b'["t",1,1,1,"a\\"b"]\n', b'["t",1,1,1,"\\u00e9"]\n',
    b'["t",1,1,1,"\\ud800"]\n', b'[ "t",1,1,1,null]\n', b'["t",1,1,1,null] \n',
    b'["t",1,1,1,null]x\n', b'["t",1,1,1]\n', b'["t",1,1,1,null,null,null]\n',
    b'["t",1,1,1,null],["t",2,1,1,null]\n', b'["t",1,\n', b'2,1,null]\n', b'\n', b' \n',
    b'["t",1,1,1,"\xed\xa0\x80"]\n', b'["t",1,1,1,"\xff"]\n', b'\xef\xbb\xbf["t",1,1,1,null]\n',
    b'["t",1,1,1,"' + b"x" * 64 + b'"]\n', b'["t",1,1,1,"' + b"x" * 65 + b'"]\n',
    '["t",1,1,1,"{}"]\n'.format("é" * 64).encode(), '["t",1,1,1,"{}"]\n'.format("é" * 65).encode(),
    b'["t",1,1,1,"tab\there"]\n', b'["t",1,1,1,"\x7f"]\n', b'["t",1,1,1,NaN]\n',
    b'["t",0x10,1,1,null]\n', b'["t",1,1,1,null]\r\n', b'["r",1,null,"refund"]\n',
    b'["r",1,2,"x"]\n', b'["t",1,1,2,"later"]\n', b'["t",1,1,0,"earlier"]\n',
]

seats = st.one_of(st.none(), st.text(max_size=70),
                  st.sampled_from(["", "A-1", "Bloc Ü 7", "A区 3排 12号", "x" * 64, "x" * 65]))
ids = st.one_of(st.integers(0, 2**63 - 1), st.sampled_from([0, 1, 2, 2**63 - 1]))
u16 = st.one_of(st.integers(0, 0xFFFF), st.sampled_from([0, 0xFFFF]))
canonical = st.builds(ticket_line, ids, u16, u16, seats, st.booleans())
lines = st.lists(st.one_of(canonical, canonical, st.sampled_from(HOSTILE)), max_size=40)


def read(data: bytes, arrays: bool) -> tuple[Any, ...]:
    """('ok', rows, revocations, counts) or ('error', code, message)."""
    reader = ManifestReader(io.BytesIO(data), batch_size=7, ticket_arrays=arrays)
    rows: list[Any] = []
    revoked: list[Any] = []
    try:
        for batch in reader.batches():
            if batch.ticket_array is not None:
                assert not batch.tickets and not batch.revocations
                rows += [tuple(r[1:]) for r in json.loads(batch.ticket_array)]
            rows += batch.tickets
            revoked += batch.revocations
    except ManifestError as exc:
        return ("error", exc.code, exc.message)
    return ("ok", rows, revoked, reader.tickets, reader.revocations)


@settings(max_examples=300, deadline=None)
@given(lines=lines, block=st.sampled_from(BLOCKS))
def test_reader_arrays_hold_the_rows_the_line_parser_reads(lines: list[bytes], block: int) -> None:
    data = signed(lines)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mf, "BLOCK", block)
        assert read(data, True) == read(data, False)


def imported(data: bytes, bulk: bool, where: Path) -> tuple[Any, ...]:
    """The ledger after importing `data` into a fresh one, or the error and the ledger."""
    with pytest.MonkeyPatch.context() as mp:
        if not bulk:
            mp.setattr(mf, "_ticket_array", lambda block: None)
        with Ledger(where / f"{bulk}.db") as ledger:
            before = dump(ledger)
            try:
                import_manifest(ledger.conn, io.BytesIO(data), now=T0)
            except ManifestError as exc:
                assert dump(ledger) == before
                return ("error", exc.code, exc.message)
            return ("ok", dump(ledger))


@settings(max_examples=120, deadline=None)
@given(lines=lines, block=st.sampled_from(BLOCKS))
def test_bulk_and_line_imports_leave_identical_ledgers(lines: list[bytes], block: int) -> None:
    data = signed(lines)
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        mp.setattr(mf, "BLOCK", block)
        assert imported(data, True, Path(tmp)) == imported(data, False, Path(tmp))


def test_duplicate_ids_keep_the_listed_order(tmp_path: Path) -> None:
    # The same ticket thrice in one block: the highest serial wins, and among equal
    # serials the one listed last, as the line parser's stable sort does.
    data = signed([ticket_line(5, 1, 1, "first", True), ticket_line(9, 1, 0, None, True),
                   ticket_line(5, 2, 1, "second", True), ticket_line(5, 3, 0, "lower", True)])
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.import_manifest(io.BytesIO(data))
        got = ledger.conn.execute("SELECT type_id, serial, seat FROM tickets WHERE ticket_id = 5")
        assert got.fetchall() == [(2, 1, "second")]


def test_a_manifest_of_canonical_lines_goes_to_sqlite_in_arrays(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [(i * 7919 + 1, 1 + i % 3, i % 2, None if i % 5 else f"S{i}") for i in range(5000)]
    data = ISSUER.manifest(rows, [(rows[0][0], None, "refund")])
    arrays: list[int] = []
    real = mf._ticket_array

    def spy(block: bytes) -> str | None:
        got = real(block)
        arrays.append(0 if got is None else len(json.loads(got)))
        return got

    monkeypatch.setattr(mf, "_ticket_array", spy)
    monkeypatch.setattr(mf, "BLOCK", 16 * 1024)
    with Ledger(tmp_path / "l.db") as ledger:
        result = ledger.import_manifest(io.BytesIO(data))
        assert (result.tickets, result.revocations) == (5000, 1)
        assert ledger.conn.execute("SELECT count(*), sum(revoked) FROM tickets").fetchone() \
            == (5000, 1)
    assert sum(arrays) >= 4500  # all but the block holding the revocation and trailer


@settings(max_examples=200, deadline=None)
@given(limit=st.one_of(st.integers(0, 2**63 - 1), st.sampled_from([0, 9, 10, 65535, 2**63 - 1])),
       value=st.one_of(st.integers(-5, 2**64), st.sampled_from([0, 9, 10, 65535, 65536])))
def test_at_most_matches_exactly_the_integers_up_to_its_limit(limit: int, value: int) -> None:
    pattern = re.compile(mf._at_most(limit))
    assert bool(pattern.fullmatch(str(value).encode())) == (0 <= value <= limit)
    assert pattern.fullmatch(b"0" + str(abs(value)).encode()) is None  # no leading zero


def test_an_error_after_some_arrays_were_written_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = ISSUER.manifest([(i + 1, 1, 0, f"S{i}") for i in range(3000)])
    monkeypatch.setattr(mf, "BLOCK", 1024)  # many blocks: two written as arrays, then the error
    calls: list[int] = []

    def progress(done: int, total: int | None) -> None:
        calls.append(done)
        if len(calls) == 3:
            raise RuntimeError("operator closed the window")

    with Ledger(tmp_path / "l.db") as ledger:
        before = dump(ledger)
        with pytest.raises(RuntimeError):
            ledger.import_manifest(io.BytesIO(data), progress=progress)
        assert dump(ledger) == before
