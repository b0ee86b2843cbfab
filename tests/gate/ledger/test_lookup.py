"""Attendee data in the manifest (opt-in) and the manual lookup by number, order code or name."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.schema import MIGRATIONS, migrate
from gatescan.protocol.manifest import ManifestError, ManifestReader, ManifestWriter, _load_record
from tests.factories import T0, Issuer, demo_policy

OPTED_IN = replace(demo_policy(), attendee_data=True)
PEOPLE = [(0x1001, 1, "Anna Müller", "ORD-77"), (0x1002, 1, "Jonas Müller", "ORD-78"),
          (0x1003, 2, "Li Wei 李伟", "ORD-78"), (0x1004, 1, None, None)]


def manifest(issuer: Issuer, people: list[tuple[int, int, str | None, str | None]],
             sequence: int = 1) -> bytes:
    out = io.BytesIO()
    w = ManifestWriter(out, issuer.policy, [issuer.public], issuer.key, sequence=sequence,
                       generated_at=T0)
    for tid, type_id, name, order in people:
        w.ticket(tid, type_id, 0, None, name=name, order_code=order)
    w.finish()
    return out.getvalue()


@pytest.fixture
def attendees(tmp_path: Path) -> Iterator[Ledger]:
    """A ledger holding an opted-in event's tickets with names and order codes."""
    with Ledger(tmp_path / "ledger.db") as ledger:
        ledger.import_manifest(io.BytesIO(manifest(Issuer(policy=OPTED_IN), PEOPLE)))
        yield ledger


def ids(matches: list[Any]) -> list[int]:
    return sorted(m.ticket_id for m in matches)


def test_find_by_ticket_number_as_the_wallet_shows_it(attendees: Ledger) -> None:
    (m,) = attendees.find_tickets("0000 0000 0000 1001")
    assert (m.ticket_id, m.matched, m.holder_name, m.order_code) == (
        0x1001, "ticket_id", "Anna Müller", "ORD-77")
    assert ids(attendees.find_tickets("0000-0000-0000-1004")) == [0x1004]


def test_a_mistyped_number_finds_nothing(attendees: Ledger) -> None:
    assert attendees.find_tickets("0000 0000 0000 100") == []   # a digit short
    assert attendees.find_tickets("0000 0000 0000 9999") == []  # not on the list
    assert attendees.find_tickets("   ") == []


def test_find_by_order_code_and_by_part_of_a_name(attendees: Ledger) -> None:
    assert ids(attendees.find_tickets("ord-78")) == [0x1002, 0x1003]  # one order, two tickets
    assert ids(attendees.find_tickets("MÜLLER")) == [0x1001, 0x1002]   # several: a list
    assert ids(attendees.find_tickets("李伟")) == [0x1003]
    assert [m.matched for m in attendees.find_tickets("anna")] == ["name"]
    assert attendees.find_tickets("a") == []  # one letter is no name search


def test_names_stay_off_the_gate_without_the_opt_in(tmp_path: Path) -> None:
    issuer = Issuer()  # attendee_data off (the default)
    with pytest.raises(ValueError):
        manifest(issuer, PEOPLE[:1])
    # A signed manifest that carries names anyway is refused as a whole.
    out = io.BytesIO()
    w = ManifestWriter(out, issuer.policy, [issuer.public], issuer.key, sequence=1,
                       generated_at=T0)
    w._line(json.dumps(["t", 1, 1, 0, None, "Anna", "ORD-1"], separators=(",", ":")))
    w._tickets += 1
    w.finish()
    with Ledger(tmp_path / "l.db") as ledger, pytest.raises(ManifestError) as err:
        ledger.import_manifest(io.BytesIO(out.getvalue()))
    assert err.value.code == "bad_record"


def test_a_newer_manifest_replaces_the_names(attendees: Ledger) -> None:
    issuer = Issuer(policy=OPTED_IN)
    attendees.import_manifest(io.BytesIO(manifest(
        issuer, [(0x1001, 1, "Anna Schmidt", None)], sequence=2)))
    assert ids(attendees.find_tickets("müller")) == [0x1002]
    (m,) = attendees.find_tickets("schmidt")
    assert m.order_code is None


def test_migration_adds_empty_attendee_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:2])
    conn.execute("INSERT INTO tickets (ticket_id, event_id, type_id, serial) VALUES (5, 7, 1, 0)")
    conn.close()
    with Ledger(path) as ledger:
        (m,) = ledger.find_tickets(f"{5:016x}")
        assert (m.holder_name, m.order_code) == (None, None)


_field = st.one_of(st.none(), st.text(max_size=220), st.just("\ud800"), st.integers(),
                   st.booleans(), st.lists(st.text(max_size=3), max_size=2))


@settings(max_examples=150, deadline=None)
@given(name=_field, order=_field)
def test_attendee_fields_are_read_exactly_or_refused(name: Any, order: Any) -> None:
    issuer = Issuer(policy=OPTED_IN)
    out = io.BytesIO()
    w = ManifestWriter(out, issuer.policy, [issuer.public], issuer.key, sequence=1,
                       generated_at=T0)
    w._line(json.dumps(["t", 9, 1, 0, None, name, order]))
    w._tickets += 1
    w.finish()
    reader = ManifestReader(io.BytesIO(out.getvalue()))
    try:
        batches = list(reader.batches())
    except ManifestError as exc:
        assert exc.code == "bad_record"
        return
    got = [a for b in batches for a in b.attendees]
    assert all(isinstance(v, str) and len(v) > 0 for v in (name, order) if v is not None)
    assert got == ([] if name is None and order is None else [(name, order, 9)])


_json_string = st.one_of(
    st.text(max_size=12).map(json.dumps),
    st.text(max_size=12).map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.binary(max_size=8).map(lambda b: '"' + b.decode("latin-1") + '"'),
    st.just("null"), st.just("1"))


@given(_json_string, _json_string, _json_string)
def test_fast_path_with_attendee_fields_matches_json(seat: str, name: str, order: str) -> None:
    line = f'["t",1,2,3,{seat},{name},{order}]\n'.encode("utf-8", "surrogatepass")

    def outcome(fn: Any) -> str:
        try:
            return repr(fn(line))
        except ValueError:
            return "error"

    assert outcome(_load_record) == outcome(json.loads)
