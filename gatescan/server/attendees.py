"""Attendee lists: an organizer's CSV of orders -> tickets with one-time wallet links.

The file: UTF-8 (a BOM is fine), `,` or `;` between fields (whichever the header
row uses more), a header row naming the columns `order_code` and `type` (required;
`type` is a ticket type's id or name) and optionally `seat`, `name`, `valid_from`,
`valid_until` (a unix time, or `2026-07-01T18:00` in the event's time zone, or with
an offset). Other columns are ignored and reported.

Every row gets a result: `issued` (a ticket and its claim link), `already` or
`rejected` with a code and a reason; one bad row never stops the others. The
idempotency key is (event, order code, position of the row among the file's rows of
that order): a store that already holds k tickets of order X answers its first k
rows with those tickets (in issue order) and issues the rest, so importing the same
file again, or a longer version of it, issues nothing twice. A row whose position is
taken by a ticket of another type or seat is rejected (`order_changed`): the file
changed since that order was imported. Refunded tickets keep their place.

Rows are issued in chunks, each one transaction holding the tickets and their links,
so a ticket never exists without its link; inventory limits are checked per row in
file order (`sold_out`), then again by the issuer inside the transaction.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from nacl.signing import SigningKey
from sqlalchemy import and_, func, or_, select

from gatescan.protocol.manifest import MAX_NAME, MAX_ORDER_CODE
from gatescan.protocol.policy import EventPolicy, TicketType
from gatescan.protocol.token import TokenError, format_ticket_id, parse_ticket_id
from gatescan.server import inventory, issuer
from gatescan.server.errors import IssuerError
from gatescan.server.storage import schema as s
from gatescan.server.store import REVOKED, IssuerStore
from gatescan.server.wallet import links

log = logging.getLogger(__name__)

MAX_BYTES = 4 * 1024 * 1024
MAX_ROWS = 20_000
MAX_FIELD = 200
MAX_COLUMNS = 50
CHUNK = 500
DAY = 24 * 3600
END_GRACE = 6 * 3600  # a ticket stays valid this long after the event's end
COLUMNS = ("order_code", "type", "seat", "name", "valid_from", "valid_until")
REQUIRED = ("order_code", "type")
ISSUED, ALREADY, REJECTED = "issued", "already", "rejected"


class AttendeeFileError(Exception):
    """The file as a whole cannot be read (not UTF-8, no header, too big): nothing issued."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class AttendeeRow:
    """One data row as read: its physical line, fields by column, or why it is unreadable."""

    line: int
    fields: dict[str, str]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class AttendeeFile:
    """The rows of a file, in order, and the columns it had that this import ignores."""

    rows: list[AttendeeRow]
    ignored: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RowResult:
    """What became of one row; `link` only for a ticket issued by this import."""

    line: int
    status: str  # issued, already, rejected
    order_code: str = ""
    name: str = ""
    seat: str = ""
    type_name: str = ""
    ticket_id: int | None = None
    link: links.NewLink | None = None
    code: str | None = None
    error: str | None = None

    @property
    def ticket(self) -> str:
        """The ticket number as printed ('' if none)."""
        return format_ticket_id(self.ticket_id) if self.ticket_id is not None else ""


@dataclass(frozen=True, slots=True)
class ImportReport:
    """One result per row, in file order."""

    event_id: int
    results: list[RowResult]
    ignored_columns: list[str] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """How many rows were issued, already there, rejected."""
        counts = Counter(r.status for r in self.results)
        return {k: counts.get(k, 0) for k in (ISSUED, ALREADY, REJECTED)}


def read_file(data: bytes) -> AttendeeFile:
    """Parse an attendee CSV; `AttendeeFileError` for a file no row of which can be used."""
    if len(data) > MAX_BYTES:
        raise AttendeeFileError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise AttendeeFileError(f"line {line} is not UTF-8 text (save the file as UTF-8 "
                                "CSV)") from None
    if "\x00" in text:
        raise AttendeeFileError("the file holds NUL bytes: it is not a CSV text file")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise AttendeeFileError("the file is empty: it needs a header row naming the "
                                    "columns order_code and type")
        names = [h.strip().lower().replace(" ", "_") for h in header]
        if len(names) > MAX_COLUMNS:
            raise AttendeeFileError(f"the header has more than {MAX_COLUMNS} columns")
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise AttendeeFileError("the header row has no column " + " or ".join(missing)
                                    + f" (it has: {', '.join(n[:40] for n in names)[:300]})")
        twice = sorted({n for n in names if n and names.count(n) > 1})
        if twice:
            raise AttendeeFileError(f"the header names the column {twice[0][:40]} twice")
        rows: list[AttendeeRow] = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise AttendeeFileError(f"the file has more than {MAX_ROWS} rows: split it")
            rows.append(_row(reader.line_num, names, values))
    except csv.Error as exc:
        raise AttendeeFileError(f"line {reader.line_num}: {exc}") from None
    ignored = [n[:40] for n in names if n and n not in COLUMNS]
    return AttendeeFile(rows, ignored)


def _row(line: int, names: list[str], values: list[str]) -> AttendeeRow:
    if len(values) > len(names):
        return AttendeeRow(line, {}, f"{len(values)} fields, but the header has "
                                     f"{len(names)} columns")
    fields = {n: v.strip() for n, v in zip(names, values, strict=False) if n in COLUMNS}
    long = next((n for n, v in fields.items() if len(v) > MAX_FIELD), None)
    if long is not None:
        return AttendeeRow(line, {}, f"the {long} field is longer than {MAX_FIELD} "
                                     "characters")
    return AttendeeRow(line, fields)


@dataclass(frozen=True, slots=True)
class _Wanted:
    row: AttendeeRow
    ticket_type: TicketType
    request: issuer.TicketRequest


def whole_number(text: str) -> bool:
    """True for ASCII digits only (`str.isdigit` also takes '²' and '٣', which `int` refuses
    or reads as another number)."""
    return text.isascii() and text.isdigit()


def _type_of(policy: EventPolicy, text: str) -> TicketType | None:
    by_name = {t.name.strip().lower(): t for t in policy.ticket_types}
    if whole_number(text):
        found = policy.ticket_type(int(text))
        if found is not None:
            return found
    return by_name.get(text.strip().lower())


def _time(text: str, zone: ZoneInfo, what: str) -> int:
    if whole_number(text):
        stamp = int(text)
    else:
        try:
            when = dt.datetime.fromisoformat(text)
        except ValueError:
            raise IssuerError("bad_date", f"{what} {text[:40]!r} is not a date and time like "
                              "2026-07-01T18:00 or a unix time") from None
        stamp = int((when if when.tzinfo else when.replace(tzinfo=zone)).timestamp())
    if not 0 <= stamp <= issuer.MAX_TIME:
        raise IssuerError("bad_date", f"{what} is out of range")
    return stamp


@dataclass(frozen=True, slots=True)
class EventFrame:
    """What an import needs to know about the event: its policy, zone and default validity."""

    policy: EventPolicy
    zone: ZoneInfo
    valid_from: int
    valid_until: int


def event_frame(store: IssuerStore, event_id: int, now: float) -> EventFrame:
    """The event's policy, time zone, and the validity a row without dates gets: from now
    until 6 hours after the event's end (or 7 days, as `ticket issue`, without an end)."""
    from gatescan.server.console import events  # the console keeps the zone and times

    stored = store.event(event_id)
    if stored is None:
        raise IssuerError("unknown_event", f"no event {event_id}")
    view = events.view(store, stored)
    start = int(now)
    end = view.ends_at + END_GRACE if view.ends_at and view.ends_at > start else start + 7 * DAY
    return EventFrame(stored.policy, ZoneInfo(view.tz), start, end)


def _wanted(frame: EventFrame, row: AttendeeRow) -> _Wanted:
    f = row.fields
    order, kind = f.get("order_code", ""), f.get("type", "")
    if not order:
        raise IssuerError("no_order_code", "the order_code is empty")
    if len(order) > MAX_ORDER_CODE:
        raise IssuerError("bad_order_code", f"order_code is longer than {MAX_ORDER_CODE}")
    if not kind:
        raise IssuerError("no_type", "the type is empty")
    found = _type_of(frame.policy, kind)
    if found is None:
        names = ", ".join(f"{t.id} {t.name}" for t in frame.policy.ticket_types)[:200]
        raise IssuerError("unknown_type", f"the event has no ticket type {kind[:40]!r} "
                          f"(it has: {names})")
    seat, name = f.get("seat") or None, f.get("name") or None
    if seat is not None and len(seat) > issuer.MAX_SEAT:
        raise IssuerError("bad_seat", f"seat is longer than {issuer.MAX_SEAT} characters")
    if name is not None and len(name) > MAX_NAME:
        raise IssuerError("bad_name", f"name is longer than {MAX_NAME} characters")
    start = _time(f["valid_from"], frame.zone, "valid_from") if f.get("valid_from") \
        else frame.valid_from
    end = _time(f["valid_until"], frame.zone, "valid_until") if f.get("valid_until") \
        else max(frame.valid_until, start)
    if end < start:
        raise IssuerError("bad_date", "valid_until is before valid_from")
    return _Wanted(row, found, issuer.TicketRequest(
        found.id, b"", start, end, seat, holder_name=name, order_code=order))


def _existing(store: IssuerStore, event_id: int, orders: set[str]
              ) -> dict[str, list[tuple[int, int, str | None]]]:
    """The stored tickets of these orders, in issue order: (ticket id, type id, seat)."""
    found: dict[str, list[tuple[int, int, str | None]]] = defaultdict(list)
    t = s.tickets.c
    batch = sorted(orders)
    with store.snapshot() as conn:
        for i in range(0, len(batch), 500):
            rows = conn.execute(select(t.order_code, t.ticket_id, t.type_id, t.seat)
                                .where(and_(t.event_id == event_id,
                                            t.order_code.in_(batch[i:i + 500])))
                                .order_by(t.issue_seq)).all()
            for r in rows:
                found[str(r.order_code)].append((int(r.ticket_id), int(r.type_id), r.seat))
    return found


def _result(row: AttendeeRow, status: str, *, ticket_type: TicketType | None = None,
            ticket_id: int | None = None, link: links.NewLink | None = None,
            error: IssuerError | None = None) -> RowResult:
    f = row.fields
    return RowResult(row.line, status, f.get("order_code", ""), f.get("name", ""),
                     f.get("seat", ""), ticket_type.name if ticket_type else f.get("type", ""),
                     ticket_id, link, error.code if error else None,
                     error.message if error else None)


def import_rows(store: IssuerStore, event_id: int, parsed: AttendeeFile, *,
                now: float) -> ImportReport:
    """Issue a ticket and a link for every new row of a parsed file (see the module doc)."""
    frame = event_frame(store, event_id, now)
    results: dict[int, RowResult] = {}
    wanted: list[_Wanted] = []
    for i, row in enumerate(parsed.rows):
        if row.error is not None:
            results[i] = _result(row, REJECTED, error=IssuerError("bad_row", row.error))
            continue
        try:
            wanted.append(_wanted(frame, row))
        except IssuerError as exc:
            results[i] = _result(row, REJECTED, error=exc)
    index = {id(row): i for i, row in enumerate(parsed.rows)}
    existing = _existing(store, event_id, {w.request.order_code or "" for w in wanted})
    position: Counter[str] = Counter()
    caps = inventory.limits(store, event_id)
    sold = inventory.issued(store, event_id) if caps else {}
    left = {t: cap - sold.get(t, 0) for t, cap in caps.items()}
    fresh: list[_Wanted] = []
    for w in wanted:
        order = w.request.order_code or ""
        position[order] += 1
        have = existing.get(order, [])
        i = index[id(w.row)]
        if position[order] <= len(have):
            ticket_id, type_id, seat = have[position[order] - 1]
            if type_id != w.ticket_type.id or (seat or None) != w.request.seat:
                results[i] = _result(w.row, REJECTED, ticket_type=w.ticket_type, error=IssuerError(
                    "order_changed", f"order {order[:40]}'s ticket {position[order]} is "
                    f"{format_ticket_id(ticket_id)} (type {type_id}, seat {seat or 'none'}): "
                    "the file changed since this order was imported"))
            else:
                results[i] = _result(w.row, ALREADY, ticket_type=w.ticket_type,
                                     ticket_id=ticket_id)
            continue
        if w.ticket_type.id in left:
            if left[w.ticket_type.id] <= 0:
                results[i] = _result(w.row, REJECTED, ticket_type=w.ticket_type, error=IssuerError(
                    "sold_out", f"ticket type {w.ticket_type.name[:40]} has reached its "
                    f"inventory limit of {caps[w.ticket_type.id]}"))
                continue
            left[w.ticket_type.id] -= 1
        fresh.append(w)
    for start in range(0, len(fresh), CHUNK):
        chunk = fresh[start:start + CHUNK]
        try:
            made = _issue(store, event_id, chunk, now)
        except IssuerError:
            made = []  # someone issued meanwhile: row by row, so only the losers are refused
            for w in chunk:
                try:
                    made += _issue(store, event_id, [w], now)
                except IssuerError as exc:
                    results[index[id(w.row)]] = _result(w.row, REJECTED,
                                                        ticket_type=w.ticket_type, error=exc)
        for w, link in made:
            results[index[id(w.row)]] = _result(w.row, ISSUED, ticket_type=w.ticket_type,
                                                ticket_id=link.ticket_id, link=link)
    report = ImportReport(event_id, [results[i] for i in sorted(results)], parsed.ignored)
    log.info("attendee import for event %d: %s", event_id, report.totals())
    return report


def _issue(store: IssuerStore, event_id: int, chunk: Sequence[_Wanted],
           now: float) -> list[tuple[_Wanted, links.NewLink]]:
    """Tickets and their links, atomically. As `links.issue_with_link` does, the tickets are
    bound to a throw-away key whose private half is dropped at once; one per chunk (key
    generation was a sixth of the import's time), which is as safe: nobody can sign for it,
    and claiming moves each ticket to its phone's own key."""
    placeholder = bytes(SigningKey.generate().verify_key)
    requests = [issuer.TicketRequest(
        w.request.type_id, placeholder, w.request.valid_from,
        w.request.valid_until, w.request.seat, w.request.holder_name, w.request.order_code)
        for w in chunk]
    with store.transaction():
        issued = issuer.issue_tickets(store, event_id, requests, now=int(now))
        made = links.bulk_links(store, [(i.ticket_id, 0) for i in issued], now=now)
    return list(zip(chunk, made, strict=True))


def import_file(store: IssuerStore, event_id: int, data: bytes, *, now: float) -> ImportReport:
    """Read and import an attendee CSV (`AttendeeFileError` if the file cannot be read)."""
    return import_rows(store, event_id, read_file(data), now=now)


def bulk_rows(count: int, type_text: str, order_code: str, name: str = "") -> AttendeeFile:
    """`count` identical rows of one order: what "issue N tickets" imports (idempotent too)."""
    fields = {"order_code": order_code, "type": type_text, "name": name}
    return AttendeeFile([AttendeeRow(i + 1, dict(fields)) for i in range(count)])


MAIL_MERGE_COLUMNS = ("order_code", "name", "seat", "type", "ticket", "link")


def mail_merge_csv(rows: Sequence[tuple[RowResult, str]]) -> str:
    """The mail-merge CSV: one line per (result, link URL) with a link."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MAIL_MERGE_COLUMNS)
    for r, url in rows:
        writer.writerow([_cell(r.order_code), _cell(r.name), _cell(r.seat),
                         _cell(r.type_name), r.ticket, url])
    return out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet would run a cell starting with = + - @ as a formula: quote it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True, slots=True)
class TicketRow:
    """A ticket as the console lists it."""

    ticket_id: int
    type_id: int
    seat: str | None
    status: str
    serial: int
    holder_name: str | None
    order_code: str | None
    issued_at: int
    revoked_reason: str | None

    @property
    def ticket(self) -> str:
        """The ticket number as printed."""
        return format_ticket_id(self.ticket_id)


def search(store: IssuerStore, event_id: int, query: str, *, limit: int = 100,
           ids: Sequence[int] | None = None) -> list[TicketRow]:
    """The event's tickets matching a ticket number, an order code or part of a name
    (the newest first; an empty query: the newest tickets); or exactly `ids`."""
    t = s.tickets.c
    sel = select(t.ticket_id, t.type_id, t.seat, t.status, t.serial, t.holder_name,
                 t.order_code, t.issued_at, t.revoked_reason).where(t.event_id == event_id)
    query = query.strip()[:MAX_FIELD]
    if ids is not None:
        sel = sel.where(t.ticket_id.in_(list(ids)[:limit]))
    elif query:
        like = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        matches = [t.order_code == query, func.lower(t.holder_name).like(like, escape="\\")]
        with contextlib.suppress(TokenError):  # not a ticket number: order code or name
            matches.append(t.ticket_id == parse_ticket_id(query))
        sel = sel.where(or_(*matches))
    with store.snapshot() as conn:
        rows = conn.execute(sel.order_by(t.issue_seq.desc()).limit(limit)).all()
    return [TicketRow(int(r.ticket_id), int(r.type_id), r.seat, str(r.status), int(r.serial),
                      r.holder_name, r.order_code, int(r.issued_at), r.revoked_reason)
            for r in rows]


def unclaimed(t: TicketRow) -> bool:
    """A ticket no phone holds yet (and not refunded): sheets and mail merges are for these;
    a claimed ticket moves only by its own transfer link."""
    return t.serial == 0 and t.status != REVOKED


def fresh_links(store: IssuerStore, event_id: int, chosen: Sequence[TicketRow], *,
                now: float) -> list[tuple[TicketRow, links.NewLink]]:
    """New claim links for the tickets of `chosen` still unclaimed, in the order given;
    their older unused links stop working. Re-read in the transaction: a ticket claimed or
    refunded meanwhile is left out."""
    with store.transaction():
        still = {t.ticket_id for t in search(store, event_id, "",
                                             ids=[t.ticket_id for t in chosen],
                                             limit=len(chosen)) if unclaimed(t)}
        fresh = [t for t in chosen if t.ticket_id in still]
        made = links.bulk_links(store, [(t.ticket_id, 0) for t in fresh], now=now)
    return list(zip(fresh, made, strict=True))
