"""The gate's scan export files read back: CSV (the kiosk) and JSON Lines (export-scans).

Property tests: no bytes make the reader raise anything but `ExportFileError`, and a
CSV the gate's writer makes reads back to the same scans, whatever the text in it.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.protocol import scan_export as se

ROW = {"seq": "1", "scan_id": "ab" * 16, "device_time": "1751389200.25", "gate": "North",
       "direction": "entry", "ticket_id": "0123456789abcdef", "serial": "2", "type": "VIP",
       "outcome": "admitted", "admit": "1", "reason": "Welcome", "source": "camera",
       "uploaded": "0", "device_id": "dev_0123456789ab", "local_time": "2026-07-01T19:00:00+02:00"}


def kiosk_csv(*rows: dict[str, str], bom: bool = False) -> bytes:
    """A CSV as the kiosk writes it (csv.writer, the gate's columns, CRLF rows)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(se.CSV_COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in se.CSV_COLUMNS])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def test_a_kiosk_csv_row_becomes_a_push_item() -> None:
    got = se.read_export(kiosk_csv(ROW))
    assert got.form == se.CSV
    (line,) = got.lines
    assert line.line == 2 and line.error is None and line.skip is None
    assert line.item == {"scan_id": ROW["scan_id"], "ticket_id": ROW["ticket_id"], "serial": "2",
                         "gate": "North", "direction": "entry", "outcome": "admitted",
                         "device_time": "1751389200.25", "source": "camera",
                         "reason": "Welcome", "device_id": "dev_0123456789ab"}


def test_other_gates_scans_and_unverified_codes_are_skipped_and_local_ids_dropped() -> None:
    remote = {**ROW, "source": "remote", "scan_id": "cd" * 16}
    forged = {**ROW, "ticket_id": "", "serial": "", "type": "", "outcome": "bad_signature"}
    local = {**ROW, "device_id": "dev-0123456789ab"}  # the gate's own id, unknown to servers
    lines = se.read_export(kiosk_csv(remote, forged, local, bom=True)).lines
    assert [(x.line, x.skip) for x in lines] == [(2, se.SKIP_REMOTE), (3, se.SKIP_UNVERIFIED),
                                                 (4, None)]
    assert lines[0].scan_id == "cd" * 16
    assert lines[2].item is not None and "device_id" not in lines[2].item


def test_line_numbers_count_physical_lines_of_quoted_fields() -> None:
    two_lines = {**ROW, "reason": "first\nsecond", "gate": 'Gate "A", east'}
    lines = se.read_export(kiosk_csv(two_lines, ROW)).lines
    assert [x.line for x in lines] == [2, 4]
    assert lines[0].item is not None and lines[0].item["gate"] == 'Gate "A", east'


def test_jsonl_lines_as_export_scans_writes_them() -> None:
    item = {"scan_id": "ab" * 16, "ticket_id": "0" * 16, "serial": 0, "gate": "G",
            "direction": "entry", "outcome": "admitted", "device_time": 1.5, "event_id": 7}
    data = (se.jsonl_line(item) + "\n" + "{broken\n" + "[1, 2]\n" + se.jsonl_line(item)).encode()
    got = se.read_export(data)
    assert got.form == se.JSONL and got.event_ids() == {7}
    assert [(x.line, x.error) for x in got.lines] == [
        (1, None), (3, "not a JSON object"), (4, "not a JSON object"), (5, None)]
    assert got.lines[0].item == item and got.lines[0].scan_id == "ab" * 16


@pytest.mark.parametrize(("data", "code"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_export"),
    (b"hello\nworld\n", "not_export"),
    (b"seq,scan_id,device_time,gate\n1,x,2,G\n", "not_export"),  # columns missing
    (b"seq,scan_id,device_time,gate,direction,ticket_id,serial,outcome,source\n\xff\xfe\n",
     "not_text"),
    (b" " * (se.MAX_FILE + 1), "too_large"),
])
def test_files_that_are_no_export_are_refused_with_a_reason(data: bytes, code: str) -> None:
    with pytest.raises(se.ExportFileError) as caught:
        se.read_export(data)
    assert caught.value.code == code and caught.value.message


def test_an_empty_file_or_a_bare_header_holds_no_scans() -> None:
    assert se.read_export(b"").lines == ()
    assert se.read_export(kiosk_csv()).lines == ()


def test_bad_rows_are_errors_of_their_own_line() -> None:
    header = ",".join(se.CSV_COLUMNS)
    good = kiosk_csv(ROW).decode().splitlines()[1]
    data = "\r\n".join([header, good, "1,2,3", good, '"unclosed,' + good]).encode()
    lines = se.read_export(data).lines
    assert [x.line for x in lines][:3] == [2, 3, 4]
    assert lines[0].item is not None and lines[2].item is not None
    assert lines[1].error == f"3 fields, the header has {len(se.CSV_COLUMNS)}"
    assert lines[3].error is not None and lines[3].error.startswith("not a CSV row")


@given(st.binary(max_size=2000))
def test_any_bytes_give_rows_or_one_file_error(data: bytes) -> None:
    try:
        got = se.read_export(data)
    except se.ExportFileError as exc:
        assert exc.code in ("not_export", "not_text", "too_large")
        return
    for x in got.lines:
        assert (x.item is None) != (x.error is None and x.skip is None)


@given(st.lists(st.text(max_size=30), min_size=1, max_size=20))
def test_any_text_after_the_header_gives_rows_or_one_file_error(cells: list[str]) -> None:
    text = ",".join(se.CSV_COLUMNS) + "\n" + "\n".join(",".join(cells[i:i + 3])
                                                      for i in range(0, len(cells), 3))
    try:
        got = se.read_export(text.encode("utf-8", "surrogatepass"))
    except se.ExportFileError as exc:
        assert exc.code == "not_text"
        return
    assert all(x.line >= 2 for x in got.lines)


printable = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(st.lists(st.fixed_dictionaries({
    "gate": printable, "reason": printable, "type": printable,
    "device_time": st.floats(0, 2**32, allow_nan=False).map(repr),
    "source": st.sampled_from(["camera", "wedge", "manual", "cli"]),
}), max_size=8))
def test_what_the_gate_writes_reads_back_unchanged(rows: list[dict[str, str]]) -> None:
    full = [{**ROW, **r, "scan_id": f"{i:032x}"} for i, r in enumerate(rows)]
    got = se.read_export(kiosk_csv(*full))
    assert [x.item for x in got.lines] == [
        {"scan_id": r["scan_id"], "ticket_id": r["ticket_id"], "serial": r["serial"],
         "gate": r["gate"], "direction": r["direction"], "outcome": r["outcome"],
         "device_time": r["device_time"], "source": r["source"], "reason": r["reason"],
         "device_id": r["device_id"]} for r in full]


@given(st.dictionaries(st.text(max_size=10), st.integers() | st.text(max_size=10),
                       max_size=6))
def test_jsonl_round_trip(item: dict[str, object]) -> None:
    got = se.read_export(se.jsonl_line(item).encode())
    assert [x.item for x in got.lines] == [item]
    assert json.loads(se.jsonl_line(item)) == item
