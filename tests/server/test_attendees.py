"""Attendee CSV import: every row a result, nothing issued twice, links a phone can claim.

On SQLite and PostgreSQL (the `store` fixture); the parser also under hypothesis.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from gatescan.server import attendees
from gatescan.server.attendees import ALREADY, ISSUED, REJECTED, AttendeeFileError
from gatescan.server.console import events
from gatescan.server.console.plans import build_plan
from gatescan.server.settings import load_settings
from gatescan.server.store import IssuerStore
from gatescan.server.wallet import links

NOW = 1_780_000_000.0
PLAN = {"name": "Riverside", "tz": "Europe/Berlin", "end": "2026-07-01T23:30",
        "gates": [{"name": "North"}],
        "ticket_types": [{"name": "Standing"}, {"name": "VIP", "inventory": 2}]}
GOOD = """order_code,type,seat,name
A100,Standing,,Ann Lee
A100,Standing,,Bo Chen
B200,VIP,Row 1 seat 1,Cai Wu
B200,vip,Row 1 seat 2,
"""


def event(store: IssuerStore) -> int:
    return events.create(store, build_plan(dict(PLAN)))


def statuses(report: attendees.ImportReport) -> list[str]:
    return [r.status for r in report.results]


def test_import_issues_each_row_once_and_again_issues_nothing(store: IssuerStore) -> None:
    event_id = event(store)
    first = attendees.import_file(store, event_id, GOOD.encode(), now=NOW)
    assert statuses(first) == [ISSUED] * 4
    assert [r.line for r in first.results] == [2, 3, 4, 5]
    assert all(r.link is not None and r.link.ticket_id == r.ticket_id for r in first.results)
    assert first.results[3].type_name == "VIP"  # matched by name, whatever the case
    again = attendees.import_file(store, event_id, GOOD.encode(), now=NOW + 60)
    assert statuses(again) == [ALREADY] * 4
    assert [r.ticket_id for r in again.results] == [r.ticket_id for r in first.results]
    assert all(r.link is None for r in again.results)
    longer = GOOD + "A100,1,,Dee\n"  # the type by id; one more ticket of order A100
    third = attendees.import_file(store, event_id, longer.encode(), now=NOW + 120)
    assert statuses(third) == [ALREADY] * 4 + [ISSUED]
    assert len(attendees.search(store, event_id, "A100")) == 3


def test_bad_rows_are_rejected_with_a_reason_and_the_others_issued(store: IssuerStore) -> None:
    event_id = event(store)
    text = ("\ufefforder_code;type;seat;name;valid_from;valid_until;note\n"
            "C1;Standing;;Ann;2026-07-01T17:00;2026-07-02T02:00;ok\n"
            ";Standing;;No order;;;\n"
            "C2;Balcony;;Unknown type;;;\n"
            "C3;Standing;;Bad date;tomorrow;;\n"
            "C4;Standing;;Backwards;2026-07-02T00:00;2026-07-01T00:00;\n"
            "C5;VIP;;v1;;;\nC5;VIP;;v2;;;\nC5;VIP;;v3;;;\n"
            "C6;Standing;;too;many;fields;here;x;y\n")
    report = attendees.import_file(store, event_id, text.encode(), now=NOW)
    assert report.ignored_columns == ["note"]
    got = [(r.line, r.status, r.code) for r in report.results]
    assert got == [(2, ISSUED, None), (3, REJECTED, "no_order_code"),
                   (4, REJECTED, "unknown_type"), (5, REJECTED, "bad_date"),
                   (6, REJECTED, "bad_date"), (7, ISSUED, None), (8, ISSUED, None),
                   (9, REJECTED, "sold_out"), (10, REJECTED, "bad_row")]
    assert "Balcony" in (report.results[2].error or "")
    assert report.totals() == {ISSUED: 3, ALREADY: 0, REJECTED: 6}
    ticket = store.ticket(report.results[0].ticket_id or 0)
    assert ticket is not None and ticket.valid_from == 1_782_918_000  # 17:00 in Berlin (CEST)
    assert len(attendees.search(store, event_id, "")) == 3  # nothing half-issued


def test_a_changed_file_is_told_not_silently_matched(store: IssuerStore) -> None:
    event_id = event(store)
    attendees.import_file(store, event_id, b"order_code,type\nD1,Standing\n", now=NOW)
    report = attendees.import_file(store, event_id, b"order_code,type\nD1,VIP\n", now=NOW)
    assert [(r.status, r.code) for r in report.results] == [(REJECTED, "order_changed")]


def test_an_imported_link_moves_the_ticket_to_the_phone_that_claims_it(
        store: IssuerStore) -> None:
    event_id = event(store)
    report = attendees.import_file(store, event_id, GOOD.encode(), now=time.time())
    made = report.results[0].link
    assert made is not None
    phone = SigningKey.generate()
    proof = phone.sign(links.CLAIM_DOMAIN + made.token.encode()).signature
    claimed = links.claim(store, made.token, bytes(phone.verify_key), proof, now=time.time())
    assert claimed.ticket.serial == 1 and claimed.ticket.holder_key == bytes(phone.verify_key)
    found = attendees.search(store, event_id, "ann")
    assert [t.ticket_id for t in found] == [made.ticket_id] and found[0].holder_name == "Ann Lee"


def test_search_by_ticket_number_order_code_or_part_of_a_name(store: IssuerStore) -> None:
    event_id = event(store)
    report = attendees.import_file(store, event_id, GOOD.encode(), now=NOW)
    cai = report.results[2]
    assert [t.ticket_id for t in attendees.search(store, event_id, cai.ticket)] == \
        [cai.ticket_id]
    assert {t.holder_name for t in attendees.search(store, event_id, "B200")} == \
        {"Cai Wu", None}
    assert attendees.search(store, event_id, "%") == []  # LIKE wildcards are plain text
    assert len(attendees.search(store, event_id, "  ")) == 4


@pytest.mark.parametrize("data, says", [
    (b"", "empty"), (b"name,seat\nx,y\n", "no column order_code or type"),
    (b"order_code,type,type\n", "twice"), (b"order_code,type\n\xff\xfe,x\n", "line 2"),
    (b"order_code,type\nA,\x00\n", "NUL"), (b'order_code,type\n"A,B\n', "line"),
])
def test_a_file_that_is_no_attendee_list_is_refused_whole(data: bytes, says: str) -> None:
    with pytest.raises(AttendeeFileError, match=says):
        attendees.read_file(data)


def test_limits_rows_bytes_and_fields() -> None:
    with pytest.raises(AttendeeFileError, match="larger than"):
        attendees.read_file(b"order_code,type\n" + b"A,B\n" * (attendees.MAX_BYTES // 4))
    with pytest.raises(AttendeeFileError, match="rows"):
        attendees.read_file(b"order_code,type\n" + b"A,B\n" * (attendees.MAX_ROWS + 1))
    parsed = attendees.read_file(b"order_code,type,name\nA,B," + b"x" * 201 + b"\nC,D,e\n")
    assert "longer than 200" in (parsed.rows[0].error or "")
    assert parsed.rows[1].fields == {"order_code": "C", "type": "D", "name": "e"}


def test_mail_merge_quotes_what_a_spreadsheet_would_run() -> None:
    row = attendees.RowResult(2, ISSUED, "=HYPERLINK(1)", "@x", "", "VIP", 0x1F)
    text = attendees.mail_merge_csv([(row, "https://t.example/wallet/#claim=gsw_x")])
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == list(attendees.MAIL_MERGE_COLUMNS)
    assert lines[1][:2] == ["'=HYPERLINK(1)", "'@x"] and lines[1][4] == row.ticket


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_rows_or_a_clear_error(data: bytes) -> None:
    try:
        parsed = attendees.read_file(b"order_code,type\n" + data)
    except AttendeeFileError as exc:
        assert exc.message
    else:
        assert all(r.error or set(r.fields) <= set(attendees.COLUMNS) for r in parsed.rows)


FIELD = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FIELD, FIELD, FIELD), min_size=1, max_size=20),
       st.sampled_from([",", ";"]), st.booleans())
def test_quoted_fields_round_trip(rows: list[tuple[str, str, str]], delimiter: str,
                                  bom: bool) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL)
    writer.writerow(["order_code", "type", "name"])
    writer.writerows(rows)
    data = ("\ufeff" if bom else "").encode() + out.getvalue().encode()
    parsed = attendees.read_file(data)
    kept = [r for r in rows if any(v.strip() for v in r)]
    assert [r.line for r in parsed.rows] == sorted(r.line for r in parsed.rows)
    assert [tuple(r.fields[k] for k in ("order_code", "type", "name")) for r in parsed.rows] \
        == [tuple(v.strip() for v in r) for r in kept]


ROW_TEXT = st.one_of(FIELD, st.sampled_from(["²", "1", "Standing", "vip", "0001-01-01T00:00",
                                             "9999-12-31T23:59+14:00", "4294967296",
                                             "2026-07-01T18:00", "٣"]))


@pytest.fixture(scope="module")
def one_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[IssuerStore, int]]:
    """One SQLite store and event shared by the examples of a property test."""
    data = tmp_path_factory.mktemp("attendees")
    with IssuerStore.open(load_settings(data, {})) as store:
        yield store, event(store)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({k: ROW_TEXT for k in attendees.COLUMNS}),
                min_size=1, max_size=6))
def test_any_row_gets_a_result_never_a_crash(one_store: tuple[IssuerStore, int],
                                             rows: list[dict[str, str]]) -> None:
    store, event_id = one_store
    parsed = attendees.AttendeeFile([attendees.AttendeeRow(i + 2, r)
                                     for i, r in enumerate(rows)])
    report = attendees.import_rows(store, event_id, parsed, now=NOW)
    assert [r.line for r in report.results] == [i + 2 for i in range(len(rows))]
    for r in report.results:
        assert (r.status == REJECTED) == (r.error is not None)
        assert (r.status == ISSUED) == (r.link is not None)
