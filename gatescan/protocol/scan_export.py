"""A gate's scan export file, both forms: what the gate writes and what the server reads back.

Two files leave a gate on a USB stick (docs/console.md, "USB round trip"):

- JSON Lines (`gatescan export-scans`): one push item per line (docs/sync-protocol.md),
  with `device_id` and a `local_time` for people (ignored when read back).
- CSV (the kiosk's "Export scans…"): the whole scan log with a header row, `CSV_COLUMNS`.

`read_export` turns either file into one `ExportLine` per scan row: a push item to
validate (the server's scan item checker does that), a per-row error, or a skip
with its reason: a CSV row of another gate's scan pulled from the server
(`source = remote`), or of a code that did not verify (the CSV leaves its ticket id
empty). Only a file that is no export at all (too big, not text, neither header
nor a JSON object on any line) raises `ExportFileError`. The reader never raises
anything else, whatever the bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

CSV = "csv"
JSONL = "jsonl"
# The kiosk's CSV, in this order (`local_time`: device_time as ISO 8601 in the event's zone).
CSV_COLUMNS = ("seq", "scan_id", "device_time", "gate", "direction", "ticket_id", "serial",
               "type", "outcome", "admit", "reason", "source", "uploaded", "device_id",
               "local_time")
# What a row needs to become a scan item; the other columns are for people.
REQUIRED_COLUMNS = ("scan_id", "device_time", "gate", "direction", "ticket_id", "serial",
                    "outcome", "source")
MAX_FILE = 64 * 1024 * 1024
MAX_LINE = 64 * 1024  # one JSON line, or one CSV field
MAX_ROWS = 200_000
REMOTE_SOURCE = "remote"
SKIP_REMOTE = "remote"  # another gate's scan this gate pulled from the server
SKIP_UNVERIFIED = "unverified"  # a code that did not verify: the CSV has no ticket id
# A device id the server gave (a gate's own local id, `dev-…`, is unknown to the server).
SERVER_DEVICE_ID = re.compile(r"dev_[0-9a-f]{12}")
_HEADER_KEYS = frozenset({"seq", "scan_id", "device_time"})


class ExportFileError(ValueError):
    """A file that is not a gate's scan export at all: `code` for programs, `message` for
    people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ExportLine:
    """One row of the file (1-based physical line): a push item, an error, or a skip."""

    line: int
    item: dict[str, Any] | None = None
    error: str | None = None
    skip: str | None = None  # SKIP_REMOTE or SKIP_UNVERIFIED
    scan_id: str | None = None  # as the row gave it, if it looks like one


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A whole export file: its form (CSV or JSONL) and its rows in order."""

    form: str
    lines: tuple[ExportLine, ...]

    def event_ids(self) -> set[int]:
        """The event ids the rows name (JSON Lines items carry one; CSV rows do not)."""
        found: set[int] = set()
        for x in self.lines:
            ev = x.item.get("event_id") if x.item is not None else None
            if isinstance(ev, int) and not isinstance(ev, bool):
                found.add(ev)
        return found


def jsonl_line(item: Mapping[str, Any]) -> str:
    """One line of the JSON Lines export (ASCII, compact, with its newline)."""
    return json.dumps(item, separators=(",", ":"), ensure_ascii=True) + "\n"


def read_export(data: bytes) -> ExportFile:
    """Read a gate's export file, CSV or JSON Lines (told apart by the CSV header)."""
    if len(data) > MAX_FILE:
        raise ExportFileError("too_large", f"the file is larger than {MAX_FILE // 2**20} MiB")
    if data.startswith(b"\xef\xbb\xbf"):  # a BOM, as spreadsheet programs save CSV
        data = data[3:]
    first = next((ln for ln in data.split(b"\n", 50) if ln.strip()), b"")
    form = CSV if _is_header(first) else JSONL
    if form == CSV:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ExportFileError("not_text", f"the CSV is not UTF-8 text (byte "
                                  f"{exc.start + 1})") from None
        lines = tuple(_csv_lines(text))
    else:
        lines = tuple(_jsonl_lines(data))
        if lines and all(x.item is None for x in lines):
            raise ExportFileError("not_export", "this is not a gate's scan export: expected "
                                  "the CSV header (" + ",".join(CSV_COLUMNS[:4]) + ",…) or "
                                  "JSON Lines of scans")
    if len(lines) > MAX_ROWS:
        raise ExportFileError("too_large", f"at most {MAX_ROWS:,} scans per file")
    return ExportFile(form, lines)


def _is_header(line: bytes) -> bool:
    text = line.decode("utf-8", "replace").strip()
    names = {c.strip().lower() for c in text.split(",")}
    return len(text) < 1000 and names >= _HEADER_KEYS


def _jsonl_lines(data: bytes) -> Iterator[ExportLine]:
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        if number > MAX_ROWS * 2:
            raise ExportFileError("too_large", f"at most {MAX_ROWS:,} scans per file")
        if len(raw) > MAX_LINE:
            yield ExportLine(number, error=f"line is longer than {MAX_LINE} bytes")
            continue
        try:
            item = json.loads(raw)
        except (ValueError, RecursionError):
            item = None
        if not isinstance(item, dict):
            yield ExportLine(number, error="not a JSON object")
            continue
        yield ExportLine(number, item=item, scan_id=_scan_id(item.get("scan_id")))


def _scan_id(value: object) -> str | None:
    return value if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{32}", value) else None


def _csv_lines(text: str) -> Iterator[ExportLine]:
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream, strict=True)
    header: list[str] | None = None
    done = 0  # physical lines consumed so far
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader moves past the bad record; report where it started.
            yield ExportLine(done + 1, error=f"not a CSV row: {exc}")
            if reader.line_num <= done:  # cannot move on: give up on the rest
                return
            done = reader.line_num
            continue
        start, done = done + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise ExportFileError("not_export", "the CSV header lacks the column(s) "
                                      + ", ".join(missing))
            continue
        if len(row) != len(header):
            yield ExportLine(start, error=f"{len(row)} fields, the header has {len(header)}")
            continue
        if any(len(cell) > MAX_LINE for cell in row):
            yield ExportLine(start, error=f"a field is longer than {MAX_LINE} characters")
            continue
        yield _csv_item(start, dict(zip(header, row, strict=True)))


def _csv_item(line: int, row: dict[str, str]) -> ExportLine:
    """A CSV row as a push item; values stay text where the scan item checker converts them."""
    scan_id = _scan_id(row["scan_id"])
    if row["source"] == REMOTE_SOURCE:
        return ExportLine(line, skip=SKIP_REMOTE, scan_id=scan_id)
    if not row["ticket_id"]:
        return ExportLine(line, skip=SKIP_UNVERIFIED, scan_id=scan_id)
    item: dict[str, Any] = {
        "scan_id": row["scan_id"], "ticket_id": row["ticket_id"],
        "serial": row["serial"] or "0", "gate": row["gate"], "direction": row["direction"],
        "outcome": row["outcome"], "device_time": row["device_time"],
        "source": row["source"], "reason": row.get("reason", ""),
    }
    # The CSV has the place in the gate's chain but not its hash: a place alone proves nothing.
    device = row.get("device_id", "")
    if SERVER_DEVICE_ID.fullmatch(device):
        item["device_id"] = device
    return ExportLine(line, item=item, scan_id=scan_id)
