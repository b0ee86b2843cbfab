"""Organizer routes: issue (one or 10,000 at once), look up, revoke and transfer tickets."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from gatescan.protocol.token import format_ticket_id, parse_ticket_id
from gatescan.server import issuer
from gatescan.server.api import models as m
from gatescan.server.api.deps import AdminDep, SettingsDep, StoreDep, event_or_404
from gatescan.server.api.errors import ApiError, error_responses
from gatescan.server.api.routes.events import EventId
from gatescan.server.api.views import issued_fields, ticket_fields
from gatescan.server.store import IssuerStore, StoredTicket

TicketId = Annotated[str, Path(pattern=r"^[0-7][0-9a-f]{15}$",
                               description="ticket id, 16 lowercase hex digits")]


class TicketList(BaseModel):
    """A page of tickets by id; pass `next_after` as `after` for the next page."""

    tickets: list[m.TicketOut]
    next_after: str | None
    server_time: float


def _ticket(store: IssuerStore, event_id: int, ticket_hex: str) -> StoredTicket:
    ticket = store.ticket(parse_ticket_id(ticket_hex))
    if ticket is None or ticket.event_id != event_id:
        raise ApiError(404, "unknown_ticket", f"event {event_id} has no ticket {ticket_hex}")
    return ticket


def _request(t: m.TicketIn) -> issuer.TicketRequest:
    return issuer.TicketRequest(t.type_id, bytes.fromhex(t.holder_public_key), t.valid_from,
                                t.valid_until, t.seat, t.holder_name, t.order_code)


def router() -> APIRouter:
    """The ticket routes."""
    r = APIRouter(prefix="/api/v1/admin/events/{event_id}/tickets",
                  tags=["organizer: tickets"], responses=error_responses(401, 403, 404, 422))

    @r.post("", status_code=201, response_model=m.IssuedOne)
    def issue_one(event_id: EventId, body: m.TicketIn, store: StoreDep,
                  _: AdminDep) -> m.IssuedOne:
        """Issue one ticket to a holder public key: returns the signed credential."""
        event_or_404(store, event_id)
        issued = issuer.issue_tickets(store, event_id, [_request(body)])[0]
        return m.IssuedOne(**issued_fields(issued, body.seat), server_time=time.time())

    @r.post("/bulk", status_code=201, response_model=m.BulkOut,
            responses=error_responses(413))
    def issue_bulk(event_id: EventId, body: m.BulkIn, store: StoreDep, settings: SettingsDep,
                   _: AdminDep) -> m.BulkOut:
        """Issue up to 10,000 tickets in one transaction (all or none)."""
        event_or_404(store, event_id)
        if len(body.tickets) > settings.max_bulk:
            raise ApiError(413, "too_large", f"at most {settings.max_bulk} tickets per call")
        issued = issuer.issue_tickets(store, event_id, [_request(t) for t in body.tickets])
        return m.BulkOut(tickets=[m.IssuedOut(**issued_fields(i, t.seat))
                                  for i, t in zip(issued, body.tickets, strict=True)],
                         server_time=time.time())

    @r.get("", response_model=TicketList)
    def list_tickets(event_id: EventId, store: StoreDep, _: AdminDep,
                     after: Annotated[str | None, Query(pattern=r"^[0-7][0-9a-f]{15}$")] = None,
                     limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> TicketList:
        """Tickets of the event by id, a page at a time."""
        event_or_404(store, event_id)
        page = store.tickets_page(event_id, parse_ticket_id(after) if after else -1, limit)
        return TicketList(tickets=[m.TicketOut(**ticket_fields(t)) for t in page],
                          next_after=format_ticket_id(page[-1].ticket_id)
                          if len(page) == limit else None, server_time=time.time())

    @r.get("/{ticket_id}", response_model=m.TicketOut)
    def get_ticket(event_id: EventId, ticket_id: TicketId, store: StoreDep,
                   _: AdminDep) -> m.TicketOut:
        """A ticket's current state."""
        return m.TicketOut(**ticket_fields(_ticket(store, event_id, ticket_id)))

    @r.post("/{ticket_id}/revoke", response_model=m.RevokedOut)
    def revoke(event_id: EventId, ticket_id: TicketId, body: m.RevokeIn, store: StoreDep,
               _: AdminDep) -> m.RevokedOut:
        """Revoke (refund) a ticket; revoking twice changes nothing."""
        before = _ticket(store, event_id, ticket_id)
        after = issuer.revoke(store, before.ticket_id, body.reason)
        return m.RevokedOut(**ticket_fields(after),
                            already_revoked=before.status == after.status)

    @r.post("/{ticket_id}/transfer", response_model=m.IssuedOne,
            responses=error_responses(409))
    def transfer(event_id: EventId, ticket_id: TicketId, body: m.TransferIn, store: StoreDep,
                 _: AdminDep) -> m.IssuedOne:
        """Rebind the ticket to a new holder key: serial + 1, the old credential is superseded."""
        ticket = _ticket(store, event_id, ticket_id)
        moved = issuer.transfer(store, ticket.ticket_id, bytes.fromhex(body.holder_public_key))
        return m.IssuedOne(**issued_fields(moved, ticket.seat), server_time=time.time())

    return r
