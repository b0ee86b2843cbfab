"""Console pages: an event's tickets. Search (any role), import an attendee CSV, issue in
bulk, one ticket's wallet link as a QR, refund, a new link (re-send or transfer), the
printable sheet and the mail-merge CSV (owner).

A link is a secret shown once (only its hash is stored), so every page that shows one
makes it on an explicit POST, never on a GET, and says that the ticket's older links
stop working. Every change goes to the audit log (names and ids only, never a link).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from gatescan.protocol.token import TokenError, parse_ticket_id
from gatescan.server import attendees, issuer
from gatescan.server.api.deps import SettingsDep, StoreDep
from gatescan.server.api.routes.devices import server_url
from gatescan.server.console import audit
from gatescan.server.console.roles import Role
from gatescan.server.console.web import (
    EventId,
    FormDep,
    NotFound,
    UploadDep,
    User,
    UserDep,
    event_or_404,
    render,
    see_other,
)
from gatescan.server.errors import IssuerError
from gatescan.server.settings import ServerSettings
from gatescan.server.store import REVOKED, IssuerStore
from gatescan.server.wallet import links

MAX_BULK = 1000
MAX_LISTED = 1000  # result rows a page lists (the CSV download has them all)
MAX_SHEET = 200
MAX_MAIL_MERGE = 20_000
TicketText = Annotated[str, Path(min_length=1, max_length=40)]
FLASH = {"refunded": "Ticket refunded: gates refuse it from their next sync.",
         "already": "The ticket was already refunded."}


def _log(store: IssuerStore, user: User, action: str, event_id: int, **details: Any) -> None:
    audit.record(store, user.session.email, action, event_id=event_id, details=details,
                 now=time.time())


def _types(store: IssuerStore, event_id: int) -> list[tuple[int, str]]:
    event = store.event(event_id)
    return [] if event is None else [(t.id, t.name) for t in event.policy.ticket_types]


def _ticket(store: IssuerStore, event_id: int, text: str) -> attendees.TicketRow:
    try:
        ticket_id = parse_ticket_id(text)
    except TokenError:
        raise NotFound() from None
    found = attendees.search(store, event_id, "", ids=[ticket_id])
    if not found:
        raise NotFound()
    return found[0]


def qr_svg(url: str) -> str:
    """A wallet link as an inline SVG QR code, dark on white whatever the page's colours."""
    return str(segno.make(url, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", omitsize=True,
        title="Wallet link QR code"))


def _csv_href(text: str) -> str:
    """A data: URL the page offers as a download (links made by this POST exist nowhere else)."""
    return "data:text/csv;charset=utf-8;base64," + base64.b64encode(
        ("\ufeff" + text).encode("utf-8")).decode("ascii")


def router() -> APIRouter:
    """The tickets pages (included by the console's router, under its prefix)."""
    r = APIRouter(include_in_schema=False)

    def listing(request: Request, store: IssuerStore, user: User, event_id: int,
                q: str = "", status: int = 200, **extra: Any) -> Response:
        found = event_or_404(store, user, event_id)
        return render(request, "tickets.html", user, status=status, title="Tickets",
                      event=found, tab="tickets", q=q, types=dict(_types(store, event_id)),
                      tickets=attendees.search(store, event_id, q),
                      editable=user.can(event_id, Role.OWNER),
                      bulk_order=time.strftime("BULK-%Y%m%d-%H%M%S"), **extra)

    def results(request: Request, store: IssuerStore, settings: ServerSettings, user: User,
                event_id: int, report: attendees.ImportReport, source: str) -> Response:
        base = server_url(settings, request)
        made = [(x, links.link_url(base, x.link.token)) for x in report.results if x.link]
        return listing(request, store, user, event_id, report=report, source=source,
                       totals=report.totals(), rows=report.results[:MAX_LISTED],
                       more=max(0, len(report.results) - MAX_LISTED),
                       csv_href=_csv_href(attendees.mail_merge_csv(made)) if made else None)

    @r.get("/events/{event_id}/tickets", response_class=HTMLResponse)
    def tickets_page(request: Request, event_id: EventId, store: StoreDep, user: UserDep,
                     q: Annotated[str, Query(max_length=200)] = "") -> Response:
        return listing(request, store, user, event_id, q)

    @r.post("/events/{event_id}/tickets/import", response_class=HTMLResponse)
    def import_file(request: Request, event_id: EventId, store: StoreDep,
                    settings: SettingsDep, upload: UploadDep) -> Response:
        user = upload.user
        event_or_404(store, user, event_id)
        user.require(event_id, Role.OWNER)
        if not upload.data:
            return listing(request, store, user, event_id, status=422,
                           error="Choose the file to import.")
        try:
            report = attendees.import_file(store, event_id, upload.data, now=time.time())
        except attendees.AttendeeFileError as exc:
            return listing(request, store, user, event_id, status=422, error=exc.message)
        _log(store, user, "tickets_import", event_id, file=upload.filename,
             **report.totals())
        return results(request, store, settings, user, event_id, report, upload.filename)

    @r.post("/events/{event_id}/tickets/bulk", response_class=HTMLResponse)
    def bulk(request: Request, event_id: EventId, store: StoreDep, settings: SettingsDep,
             user: FormDep) -> Response:
        event_or_404(store, user, event_id)
        user.require(event_id, Role.OWNER)
        count, order = user.value("count").strip(), user.value("order_code").strip()
        if not (attendees.whole_number(count) and len(count) <= 4 and 1 <= int(count) <= MAX_BULK
                and order):
            return listing(request, store, user, event_id, status=422,
                           error=f"Give a number of tickets from 1 to {MAX_BULK} and an "
                                 "order code.")
        rows = attendees.bulk_rows(int(count), user.value("type_id"), order[:200],
                                   user.value("name")[:200])
        report = attendees.import_rows(store, event_id, rows, now=time.time())
        _log(store, user, "tickets_bulk", event_id, order_code=order[:64], **report.totals())
        return results(request, store, settings, user, event_id, report, order)

    def ticket_page(request: Request, store: IssuerStore, user: User, event_id: int,
                    ticket: attendees.TicketRow, **extra: Any) -> Response:
        return render(request, "ticket.html", user, title="Ticket",
                      event=event_or_404(store, user, event_id), tab="tickets",
                      ticket=ticket, types=dict(_types(store, event_id)),
                      editable=user.can(event_id, Role.OWNER), revoked=REVOKED, **extra)

    @r.get("/events/{event_id}/tickets/sheet", response_class=HTMLResponse)
    def sheet_form(request: Request, event_id: EventId, store: StoreDep, user: UserDep,
                   q: Annotated[str, Query(max_length=200)] = "") -> Response:
        found = event_or_404(store, user, event_id)
        user.require(event_id, Role.OWNER)
        chosen = [t for t in attendees.search(store, event_id, q, limit=MAX_SHEET)
                  if attendees.unclaimed(t)]
        return render(request, "tickets_sheet_form.html", user, title="Printable sheet",
                      event=found, tab="tickets", q=q, tickets=chosen,
                      types=dict(_types(store, event_id)), limit=MAX_SHEET)

    def new_links(store: IssuerStore, event_id: int, base: str,
                  chosen: Sequence[attendees.TicketRow]) -> list[tuple[attendees.TicketRow, str]]:
        made = attendees.fresh_links(store, event_id, list(reversed(chosen)),  # issue order
                                     now=time.time())
        return [(t, links.link_url(base, m.token)) for t, m in made]

    @r.post("/events/{event_id}/tickets/sheet", response_class=HTMLResponse)
    def sheet(request: Request, event_id: EventId, store: StoreDep, settings: SettingsDep,
              user: FormDep) -> Response:
        found = event_or_404(store, user, event_id)
        user.require(event_id, Role.OWNER)
        q = user.value("q")[:200]
        chosen = [t for t in attendees.search(store, event_id, q, limit=MAX_SHEET)
                  if attendees.unclaimed(t)]
        made = new_links(store, event_id, server_url(settings, request), chosen)
        _log(store, user, "tickets_sheet", event_id, query=q, tickets=len(made))
        return render(request, "tickets_sheet.html", user, title="Printable sheet",
                      event=found, types=dict(_types(store, event_id)),
                      cards=[(t, url, qr_svg(url)) for t, url in made])

    @r.post("/events/{event_id}/tickets/links.csv")
    def mail_merge(request: Request, event_id: EventId, store: StoreDep,
                   settings: SettingsDep, user: FormDep) -> Response:
        event_or_404(store, user, event_id)
        user.require(event_id, Role.OWNER)
        q = user.value("q")[:200]
        types = dict(_types(store, event_id))
        chosen = [t for t in attendees.search(store, event_id, q, limit=MAX_MAIL_MERGE)
                  if attendees.unclaimed(t)]
        made = new_links(store, event_id, server_url(settings, request), chosen)
        _log(store, user, "tickets_links_csv", event_id, query=q, tickets=len(made))
        text = attendees.mail_merge_csv([
            (attendees.RowResult(0, "", t.order_code or "", t.holder_name or "",
                                 t.seat or "", types.get(t.type_id, str(t.type_id)),
                                 t.ticket_id), url) for t, url in made])
        return Response("\ufeff" + text, media_type="text/csv; charset=utf-8", headers={
            "content-disposition": f'attachment; filename="tickets-{event_id}-links.csv"',
            "cache-control": "no-store"})

    @r.get("/events/{event_id}/tickets/{ticket_text}", response_class=HTMLResponse)
    def show(request: Request, event_id: EventId, ticket_text: TicketText, store: StoreDep,
             user: UserDep, done: str = "") -> Response:
        event_or_404(store, user, event_id)
        return ticket_page(request, store, user, event_id,
                           _ticket(store, event_id, ticket_text), flash=FLASH.get(done))

    @r.post("/events/{event_id}/tickets/{ticket_text}/link", response_class=HTMLResponse)
    def new_link(request: Request, event_id: EventId, ticket_text: TicketText,
                 store: StoreDep, settings: SettingsDep, user: FormDep) -> Response:
        event_or_404(store, user, event_id)
        user.require(event_id, Role.OWNER)
        ticket = _ticket(store, event_id, ticket_text)
        kind = links.TRANSFER if user.value("kind") == links.TRANSFER else links.ISSUE
        try:
            made = links.create_link(store, ticket.ticket_id, kind=kind, now=time.time())
        except IssuerError as exc:
            return ticket_page(request, store, user, event_id, ticket, error=exc.message)
        url = links.link_url(server_url(settings, request), made.token)
        _log(store, user, "ticket_link", event_id, ticket=ticket.ticket, kind=kind)
        return ticket_page(request, store, user, event_id, ticket, link=made, url=url,
                           qr=qr_svg(url))

    @r.post("/events/{event_id}/tickets/{ticket_text}/refund")
    def refund(request: Request, event_id: EventId, ticket_text: TicketText,
               store: StoreDep, user: FormDep) -> Response:
        event_or_404(store, user, event_id)
        user.require(event_id, Role.OWNER)
        ticket = _ticket(store, event_id, ticket_text)
        reason = user.value("reason").strip() or "refund"
        try:
            after = issuer.revoke(store, ticket.ticket_id, reason)
        except IssuerError as exc:
            return ticket_page(request, store, user, event_id, ticket, error=exc.message)
        already = ticket.status == REVOKED
        if not already:
            _log(store, user, "ticket_refund", event_id, ticket=ticket.ticket,
                 reason=after.revoked_reason)
        return see_other(f"/console/events/{event_id}/tickets/{ticket.ticket}"
                         f"?done={'already' if already else 'refunded'}")

    return r
