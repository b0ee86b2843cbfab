"""The manifest reader's block path (canonical ticket lines a block at a time) against its
line-by-line path: the same rows, counts and refusals, whatever the block boundaries.

Property: for any signed manifest, and any damage to it, reading with blocks of a few
bytes, of a few lines, of the default size, and with the block path switched off gives
the same outcome (the same rows in the same order, or the same error code).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatescan.protocol import manifest as mf
from gatescan.protocol.manifest import ManifestError, ManifestReader
from tests.factories import Issuer

ISSUER = Issuer()
Outcome = tuple[Any, ...]

seats = st.one_of(st.none(), st.text(max_size=70),
                  st.sampled_from(["", "A-1", 'Row "3"', "Bloc Ü 7", "back\\slash", "\x01"]))
tickets = st.tuples(st.integers(0, 2**63 - 1), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF),
                    seats)
revocations = st.tuples(st.integers(0, 2**63 - 1), st.one_of(st.none(), st.integers(0, 0xFFFF)),
                        st.text(max_size=20))


def outcome(data: bytes) -> Outcome:
    """('ok', tickets, revocations, counts) or ('error', code)."""
    reader = ManifestReader(io.BytesIO(data), batch_size=7)
    got_t: list[Any] = []
    got_r: list[Any] = []
    try:
        for batch in reader.batches():
            got_t += batch.tickets
            got_r += batch.revocations
    except ManifestError as exc:
        return ("error", exc.code)
    return ("ok", got_t, got_r, reader.tickets, reader.revocations)


def every_way(data: bytes, monkeypatch: pytest.MonkeyPatch) -> list[Outcome]:
    """The outcome with several block sizes, and with the block path off."""
    found = []
    for block in (7, 200, 4096, 1 << 20):
        monkeypatch.setattr(mf, "BLOCK", block)
        found.append(outcome(data))
    monkeypatch.setattr(mf, "_canonical_tickets", lambda block: None)
    found.append(outcome(data))
    monkeypatch.undo()
    return found


def signed(rows: list[tuple[int, int, int, str | None]],
           revoked: list[tuple[int, int | None, str]]) -> bytes:
    try:
        return ISSUER.manifest(rows, revoked)
    except (ValueError, UnicodeEncodeError):
        return ISSUER.manifest([(r[0], r[1], r[2], None) for r in rows], revoked)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(tickets, max_size=40), revoked=st.lists(revocations, max_size=5))
def test_block_and_line_paths_agree_on_signed_manifests(
        rows: list[tuple[int, int, int, str | None]],
        revoked: list[tuple[int, int | None, str]]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        found = every_way(signed(rows, revoked), mp)
    assert all(f == found[0] for f in found), found


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(tickets, min_size=1, max_size=30), data=st.data())
def test_block_and_line_paths_agree_on_damaged_manifests(
        rows: list[tuple[int, int, int, str | None]], data: st.DataObject) -> None:
    good = signed(rows, [])
    header = good.index(b"\n") + 1
    kind = data.draw(st.sampled_from(["flip", "cut", "append", "insert", "long"]))
    at = data.draw(st.integers(header, len(good) - 1))
    if kind == "flip":
        bad = good[:at] + bytes([good[at] ^ data.draw(st.integers(1, 255))]) + good[at + 1:]
    elif kind == "cut":
        bad = good[:at]
    elif kind == "append":
        bad = good + data.draw(st.binary(min_size=1, max_size=20))
    elif kind == "insert":
        bad = good[:at] + data.draw(st.sampled_from(
            [b"\n", b'["t",1,1,1,null]\n', b'["t",1,70000,1,null]\n', b"{}\n",
             b'["t",99999999999999999999,1,1,null]\n', b'["t",1,1,1,"\xed\xa0\x80"]\n',
             b'["r",1,null,"x"]\n'])) + good[at:]
    else:
        bad = good[:at] + b'["t",1,1,1,"' + b"x" * (mf.MAX_LINE + 10) + b'"]\n' + good[at:]
    with pytest.MonkeyPatch.context() as mp:
        found = every_way(bad, mp)
    assert all(f == found[0] for f in found), found
    assert found[0][0] == "error" or bad == good


def test_a_manifest_of_canonical_lines_takes_the_block_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [(i * 7919 + 1, 1 + i % 3, i % 2, None if i % 5 else f"S{i}") for i in range(5000)]
    data = ISSUER.manifest(rows, [(rows[0][0], None, "refund")])
    calls: list[int] = []
    real = mf._canonical_tickets

    def spy(block: bytes) -> list[Any] | None:
        got = real(block)
        calls.append(0 if got is None else len(got))
        return got

    monkeypatch.setattr(mf, "_canonical_tickets", spy)
    monkeypatch.setattr(mf, "BLOCK", 16 * 1024)
    assert outcome(data) == ("ok", rows, [(rows[0][0], None, "refund")], 5000, 1)
    assert sum(calls) >= 4500  # all but the block holding the revocation and trailer
