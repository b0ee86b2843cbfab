"""Wallet routes: the page and its files, the phone's API, and the organizer's link routes.

Phone routes (`/api/v1/wallet/…`) need no account: a claim carries the
one-time token from the link, later requests a signature by the holder key.
Organizer routes need the admin token like every other `/api/v1/admin` route.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import RedirectResponse

from gatescan.protocol.token import parse_ticket_id
from gatescan.server.api.deps import AdminDep, SettingsDep, StoreDep, event_or_404
from gatescan.server.api.errors import ApiError, error_responses
from gatescan.server.api.routes.events import EventId
from gatescan.server.api.routes.tickets import TicketId
from gatescan.server.errors import IssuerError
from gatescan.server.settings import ServerSettings
from gatescan.server.wallet import links
from gatescan.server.wallet import models as w
from gatescan.server.wallet.assets import CSP, WalletAssets

# Wallet refusals and their HTTP status (the codes are in docs/wallet.md).
STATUS = {"claim_unknown": 404, "unknown_ticket": 404, "unknown_event": 404,
          "claim_used": 409, "claim_stale": 409, "ticket_used": 409, "revoked": 409,
          "superseded": 409, "replayed": 409, "serial_exhausted": 409, "claim_expired": 410,
          "forbidden": 403, "key_missing": 503, "key_damaged": 503, "no_key": 503}
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer",
                "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
PAGE_DOC: dict[int | str, dict[str, Any]] = {
    200: {"description": "a file of the wallet page"}, 304: {"description": "not modified"}}


@contextmanager
def _refusals() -> Iterator[None]:
    """Issuer refusals as API errors with the wallet's status codes."""
    try:
        yield
    except IssuerError as exc:
        raise ApiError(STATUS.get(exc.code, 422), exc.code, exc.message) from None


def base_url(settings: ServerSettings, request: Request) -> str:
    """Where phones reach this server: the configured public URL, else the request's."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def _link_out(link: links.NewLink, url_base: str) -> w.LinkOut:
    return w.LinkOut(ticket_id=f"{link.ticket_id:016x}", kind=link.kind,  # type: ignore[arg-type]
                     url=links.link_url(url_base, link.token), expires_at=link.expires_at,
                     server_time=time.time())


def _facts(event: Any, ticket: Any) -> w.TicketFacts:
    return w.TicketFacts(**links.ticket_facts(event, ticket))


def api_router() -> APIRouter:
    """The phone's routes: claim, status, transfer link."""
    r = APIRouter(prefix="/api/v1/wallet", tags=["wallet"],
                  responses=error_responses(403, 404, 409, 410, 422))

    @r.post("/claim", response_model=w.ClaimOut)
    def claim(body: w.ClaimIn, store: StoreDep) -> w.ClaimOut:
        """Claim a ticket with a one-time link: binds it to this phone's public key."""
        with _refusals():
            done = links.claim(store, body.claim, bytes.fromhex(body.holder_public_key),
                               bytes.fromhex(body.proof), now=time.time())
        return w.ClaimOut(credential=done.signed.hex(), ticket=_facts(done.event, done.ticket),
                          again=done.again, server_time=time.time())

    @r.post("/status", response_model=w.StatusOut)
    def status(body: w.HolderRequestIn, store: StoreDep) -> w.StatusOut:
        """Does this phone still hold the ticket? (signed `GATESCAN/v1/wallet/status`)."""
        with _refusals():
            found = links.status(store, bytes.fromhex(body.credential), body.at,
                                 bytes.fromhex(body.signature), now=time.time())
        return w.StatusOut(state=found.state,  # type: ignore[arg-type]
                           ticket=_facts(found.event, found.ticket),
                           transfer_pending=found.transfer_pending,
                           used=None if found.used is None else w.UsedOut(
                               at=found.used.at, gate=found.used.gate),
                           compact_ready=found.compact_ready, server_time=time.time())

    @r.post("/transfer", status_code=201, response_model=w.LinkOut)
    def transfer(body: w.HolderRequestIn, store: StoreDep, settings: SettingsDep,
                 request: Request) -> w.LinkOut:
        """A link to hand the ticket to a friend (signed `GATESCAN/v1/wallet/transfer`)."""
        with _refusals():
            link = links.transfer_link(store, bytes.fromhex(body.credential), body.at,
                                       bytes.fromhex(body.signature), now=time.time())
        return _link_out(link, base_url(settings, request))

    return r


def admin_router() -> APIRouter:
    """The organizer's routes: a claim link for a ticket, or a new ticket with its link."""
    r = APIRouter(prefix="/api/v1/admin/events/{event_id}", tags=["organizer: wallet"],
                  responses=error_responses(401, 403, 404, 409, 422))

    @r.post("/tickets/{ticket_id}/wallet-link", status_code=201, response_model=w.LinkOut)
    def wallet_link(event_id: EventId, ticket_id: TicketId, store: StoreDep,
                    settings: SettingsDep, request: Request, _: AdminDep) -> w.LinkOut:
        """A one-time link for the holder's phone; earlier unused links stop working."""
        ticket = store.ticket(parse_ticket_id(ticket_id))
        if ticket is None or ticket.event_id != event_id:
            raise ApiError(404, "unknown_ticket", f"event {event_id} has no ticket {ticket_id}")
        with _refusals():
            link = links.create_link(store, ticket.ticket_id, now=time.time())
        return _link_out(link, base_url(settings, request))

    @r.post("/wallet-tickets", status_code=201, response_model=w.LinkOut)
    def wallet_ticket(event_id: EventId, body: w.WalletTicketIn, store: StoreDep,
                      settings: SettingsDep, request: Request, _: AdminDep) -> w.LinkOut:
        """Issue a ticket to be claimed by a phone, and its one-time link."""
        event_or_404(store, event_id)
        with _refusals():
            link = links.issue_with_link(store, event_id, body.type_id, body.valid_from,
                                         body.valid_until, body.seat, now=time.time())[1]
        return _link_out(link, base_url(settings, request))

    return r


def page_router(assets: WalletAssets) -> APIRouter:
    """The page and its files under `/wallet/` (not in the API document)."""
    r = APIRouter(prefix="/wallet", include_in_schema=False)

    def serve(name: str, accept_encoding: str | None, if_none_match: str | None) -> Response:
        asset = assets.files.get(name)
        if asset is None:
            raise ApiError(404, "not_found", "no such wallet file")
        headers = dict(PAGE_HEADERS, ETag=asset.etag, Vary="Accept-Encoding")
        if name == "sw.js":
            headers["Service-Worker-Allowed"] = "/wallet/"
        if if_none_match is not None and asset.etag in if_none_match:
            return Response(status_code=304, headers=headers)
        if asset.gzipped is not None and "gzip" in (accept_encoding or "").lower():
            headers["Content-Encoding"] = "gzip"
            return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)

    @r.get("", responses={307: {"description": "to /wallet/"}})
    def to_page() -> RedirectResponse:
        return RedirectResponse("/wallet/")

    @r.get("/", responses=PAGE_DOC)
    def page(accept_encoding: Annotated[str | None, Header()] = None,
             if_none_match: Annotated[str | None, Header()] = None) -> Response:
        return serve("index.html", accept_encoding, if_none_match)

    @r.get("/{name:path}", responses=PAGE_DOC)
    def file(name: str, accept_encoding: Annotated[str | None, Header()] = None,
             if_none_match: Annotated[str | None, Header()] = None) -> Response:
        return serve(name, accept_encoding, if_none_match)

    return r


def router() -> APIRouter:
    """Every wallet route; the page's files are read here, once per app."""
    r = APIRouter()
    r.include_router(api_router())
    r.include_router(admin_router())
    r.include_router(page_router(WalletAssets.load()))
    return r
