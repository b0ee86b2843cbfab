"""The device report headers: whatever a gate (or anyone) sends, the reader never raises."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gatescan.protocol.device_report import (
    APP_HEADER,
    MAX_PENDING,
    PENDING_HEADER,
    Report,
    read_report,
    report_headers,
)

versions = st.from_regex(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}", fullmatch=True)


@given(st.one_of(st.none(), st.text(max_size=200)), st.one_of(st.none(), st.text(max_size=40)))
def test_any_header_values_give_a_report_or_nothing(app: str | None, pending: str | None) -> None:
    report = read_report(app, pending)
    assert report.app_version is None or 1 <= len(report.app_version) <= 64
    assert report.pending_uploads is None or 0 <= report.pending_uploads <= MAX_PENDING


@given(versions, st.integers(0, MAX_PENDING))
def test_what_a_gate_sends_is_what_the_server_reads(version: str, pending: int) -> None:
    headers = report_headers(version, pending)
    assert read_report(headers[APP_HEADER], headers[PENDING_HEADER]) == Report(version, pending)


def test_malformed_values_are_ignored_not_refused() -> None:
    assert read_report("0.1.0\r\nX-Evil: 1", "-3") == Report()
    assert read_report("x" * 65, "12345678901") == Report()
    assert read_report(" 1.2 ", " 7 ") == Report("1.2", 7)
    assert read_report(None, str(MAX_PENDING + 1)) == Report()
    assert PENDING_HEADER not in report_headers("1", None)
