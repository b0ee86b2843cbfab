"""Wallet links: one-time claim links, and the requests a phone signs with its holder key.

A link carries a 256-bit claim token (only its SHA-256 is stored). Claiming
rebinds the ticket to the phone's public key exactly like a transfer (serial
+ 1, `issuer.transfer`), so any earlier credential is superseded and gates
learn it on sync. A link works once, for one ticket at the serial it was made
at; a newer link for the same ticket expires the older ones. The same phone
(same key) claiming again gets its credential again, so a lost answer is
harmless; another phone gets `claim_used`.

Once a phone holds a credential it proves itself by signing
`domain ‖ credential ‖ u32 at` with its holder key (no account, no password):
that is how it asks for its status or for a transfer link. Refusals raise
`IssuerError` with a stable code (see docs/wallet.md).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import SigningKey, VerifyKey
from sqlalchemy import Connection, and_, func, insert, select, update

from gatescan.protocol.movements import MOVEMENT_OUTCOMES, UNDONE, Logged, without_undone
from gatescan.protocol.token import (
    CREDENTIAL_LEN,
    TOKEN_LEN,
    Credential,
    Token,
    TokenError,
    encode_text,
    format_ticket_id,
    parse_token,
    sign_credential,
)
from gatescan.server import authtokens, compact, issuer
from gatescan.server.errors import IssuerError
from gatescan.server.storage import schema as s
from gatescan.server.store import REVOKED, IssuerStore, StoredEvent, StoredTicket

log = logging.getLogger(__name__)

LINK_PREFIX = "gsw_"
ISSUE = "issue"
TRANSFER = "transfer"
ISSUE_TTL = 180 * 24 * 3600  # organizer links travel by e-mail weeks before the event
TRANSFER_TTL = 48 * 3600
REQUEST_SKEW = 300  # a signed request's time may be this far from the server's clock
CLAIM_DOMAIN = b"GATESCAN/v1/wallet/claim"
STATUS_DOMAIN = b"GATESCAN/v1/wallet/status"
TRANSFER_DOMAIN = b"GATESCAN/v1/wallet/transfer"
CURRENT = "current"
SUPERSEDED = "superseded"
_AT = struct.Struct(">I")
NOT_OURS = "this request is not signed by a holder of a ticket of this server"


@dataclass(frozen=True, slots=True)
class NewLink:
    """A fresh one-time link token (shown once, stored hashed)."""

    ticket_id: int
    token: str
    kind: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed ticket: the phone's signed credential and what the page shows."""

    signed: bytes
    ticket: StoredTicket
    event: StoredEvent
    again: bool


@dataclass(frozen=True, slots=True)
class HolderStatus:
    """What a phone learns about the credential it holds."""

    state: str
    ticket: StoredTicket
    event: StoredEvent
    transfer_pending: bool
    used: FirstUse | None = None
    compact_ready: bool = False  # every gate holds this credential: show the compact code


@dataclass(frozen=True, slots=True)
class FirstUse:
    """When and where a ticket was first admitted (undone admissions left out)."""

    at: float
    gate: str


def new_link_token() -> str:
    """A fresh claim token: `gsw_` + 43 URL-safe characters (256 bits)."""
    return authtokens.new_token(LINK_PREFIX)


def link_url(base_url: str, token: str) -> str:
    """The link a phone opens; the token sits in the fragment, which browsers never send."""
    return f"{base_url.rstrip('/')}/wallet/#claim={token}"


def _event(store: IssuerStore, event_id: int) -> StoredEvent:
    event = store.event(event_id)
    if event is None:  # pragma: no cover - tickets always belong to an event
        raise IssuerError("unknown_event", f"no event {event_id}")
    return event


def create_link(store: IssuerStore, ticket_id: int, *, kind: str = ISSUE, now: float,
                ttl: float | None = None, auth_at: int | None = None) -> NewLink:
    """A one-time link for the ticket at its current serial; older unused links expire.

    `auth_at` is the time a holder signed the request for a transfer link: it
    must be newer than any earlier such request at this serial (no replays).
    """
    if kind not in (ISSUE, TRANSFER):
        raise ValueError(f"unknown link kind {kind!r}")
    life = (ISSUE_TTL if kind == ISSUE else TRANSFER_TTL) if ttl is None else ttl
    token = new_link_token()
    with store.transaction() as conn:
        ticket = issuer.existing_ticket(store, ticket_id)
        if ticket.status == REVOKED:
            raise IssuerError("revoked", f"ticket {format_ticket_id(ticket_id)} is revoked")
        links = s.wallet_links.c
        if auth_at is not None:
            last = conn.execute(select(func.max(links.auth_at)).where(and_(
                links.ticket_id == ticket_id, links.serial == ticket.serial))).scalar()
            if last is not None and auth_at <= last:
                raise IssuerError("replayed", "this request was already used: sign a new one")
        conn.execute(update(s.wallet_links).where(and_(
            links.ticket_id == ticket_id, links.used_at.is_(None), links.expires_at > now))
            .values(expires_at=now))
        conn.execute(insert(s.wallet_links).values(
            link_hash=authtokens.token_hash(token), ticket_id=ticket_id, kind=kind,
            serial=ticket.serial, auth_at=auth_at, created_at=now, expires_at=now + life))
    log.info("made a %s link for ticket %s (serial %d)", kind, format_ticket_id(ticket_id),
             ticket.serial)
    return NewLink(ticket_id, token, kind, now + life)


def bulk_links(store: IssuerStore, tickets: Sequence[tuple[int, int]], *,
               now: float) -> list[NewLink]:
    """Issue links for many (ticket id, current serial) at once, as `create_link` does for
    one: the tickets' older unused links expire. The caller has checked the tickets (not
    revoked, serial current) in this transaction; a bulk import or sheet needs the speed."""
    made = [NewLink(t, new_link_token(), ISSUE, now + ISSUE_TTL) for t, _ in tickets]
    links = s.wallet_links.c
    with store.transaction() as conn:
        for i in range(0, len(tickets), 500):
            ids = [t for t, _ in tickets[i:i + 500]]
            conn.execute(update(s.wallet_links).where(and_(
                links.ticket_id.in_(ids), links.used_at.is_(None), links.expires_at > now))
                .values(expires_at=now))
        if made:
            conn.execute(insert(s.wallet_links), [
                {"link_hash": authtokens.token_hash(m.token), "ticket_id": m.ticket_id,
                 "kind": ISSUE, "serial": serial, "auth_at": None, "created_at": now,
                 "expires_at": m.expires_at} for m, (_, serial) in zip(made, tickets,
                                                                        strict=True)])
    return made


def issue_with_link(store: IssuerStore, event_id: int, type_id: int, valid_from: int,
                    valid_until: int, seat: str | None = None, *,
                    now: float) -> tuple[issuer.IssuedCredential, NewLink]:
    """Issue a ticket for a phone that has no key yet, plus its claim link.

    The ticket is issued to a throw-away key whose private half is dropped at
    once, so its serial-0 credential can never show a code; claiming moves the
    ticket to the phone's key (serial 1).
    """
    placeholder = bytes(SigningKey.generate().verify_key)
    with store.transaction():
        issued = issuer.issue_ticket(store, event_id, type_id, placeholder, valid_from,
                                     valid_until, seat, now=int(now))
        link = create_link(store, issued.ticket_id, now=now)
    return issued, link


def _verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        VerifyKey(public_key).verify(message, signature)
    except (BadSignatureError, CryptoError, ValueError, TypeError):
        return False
    return True


def claim(store: IssuerStore, token: str, holder_key: bytes, proof: bytes, *,
          now: float) -> Claimed:
    """Bind the link's ticket to the phone's public key; `proof` signs `CLAIM_DOMAIN ‖ token`."""
    if len(holder_key) != 32 or not _verify(holder_key, CLAIM_DOMAIN + token.encode("ascii"),
                                            proof):
        raise IssuerError("bad_proof", "the phone's key did not sign this claim")
    links = s.wallet_links.c
    with store.transaction() as conn:
        row = conn.execute(select(s.wallet_links).where(
            links.link_hash == authtokens.token_hash(token))).first()
        if row is None or not authtokens.same_hash(row.link_hash, token):
            raise IssuerError("claim_unknown", "this ticket link is not known (mistyped, or "
                              "made on another server)")
        ticket = issuer.existing_ticket(store, row.ticket_id)
        event = _event(store, ticket.event_id)
        if row.used_at is not None:
            if (row.claimed_key is not None and bytes(row.claimed_key) == holder_key
                    and ticket.holder_key == holder_key and ticket.serial == row.claimed_serial
                    and ticket.status != REVOKED):
                return Claimed(current_credential(store, ticket), ticket, event, again=True)
            raise IssuerError("claim_used", "this ticket was already claimed on another phone")
        if now >= row.expires_at:
            raise IssuerError("claim_expired", "this ticket link has expired or was replaced "
                              "by a newer one")
        if ticket.status == REVOKED:
            raise IssuerError("revoked", f"ticket {format_ticket_id(ticket.ticket_id)} is "
                              "revoked")
        if ticket.serial != row.serial:
            raise IssuerError("claim_stale", "the ticket changed hands after this link was "
                              "made")
        issued = issuer.transfer(store, ticket.ticket_id, holder_key, now=int(now))
        # For compact codes: gates learn the phone's credential from the feed.
        compact.publish_credential(conn, ticket.event_id, ticket.ticket_id, issued.signed,
                                   now=int(now))
        _mark_used(conn, row.link_hash, holder_key, issued.credential.serial, now)
        ticket = issuer.existing_ticket(store, ticket.ticket_id)
    log.info("ticket %s claimed by a phone (serial %d)", format_ticket_id(ticket.ticket_id),
             ticket.serial)
    return Claimed(issued.signed, ticket, event, again=False)


def _mark_used(conn: Connection, link_hash: str, holder_key: bytes, serial: int,
               now: float) -> None:
    conn.execute(update(s.wallet_links).where(s.wallet_links.c.link_hash == link_hash)
                 .values(used_at=now, claimed_key=holder_key, claimed_serial=serial))


def current_credential(store: IssuerStore, ticket: StoredTicket) -> bytes:
    """The ticket's current signed credential again (Ed25519 is deterministic: same bytes)."""
    key = next((k for k in store.keys(ticket.event_id) if k.kid == ticket.kid), None)
    if key is None:
        raise IssuerError("no_key", f"event {ticket.event_id} has no key {ticket.kid.hex()}")
    signer = store.keys_files.load(ticket.event_id, key.public_key)
    cred = Credential(ticket.kid, ticket.event_id, ticket.ticket_id, ticket.type_id,
                      ticket.serial, ticket.valid_from, ticket.valid_until, ticket.holder_key)
    return sign_credential(cred, signer)


def read_credential(signed: bytes) -> Token:
    """Parse a 125-byte signed credential with the gate's own codec (step and holder
    signature zeroed); `IssuerError("bad_credential")` if it is not one."""
    if len(signed) != CREDENTIAL_LEN:
        raise IssuerError("bad_credential", f"a credential has {CREDENTIAL_LEN} bytes")
    try:
        return parse_token(encode_text(signed + bytes(TOKEN_LEN - CREDENTIAL_LEN)))
    except TokenError as exc:
        raise IssuerError("bad_credential", exc.message) from None


def request_message(domain: bytes, signed: bytes, at: int) -> bytes:
    """The bytes a phone signs to ask something about the credential it holds."""
    return domain + signed + _AT.pack(at)


def _holder_request(store: IssuerStore, domain: bytes, signed: bytes, at: int,
                    signature: bytes, now: float) -> tuple[Token, StoredTicket, StoredEvent]:
    """Check a holder-signed request: signed by its holder key, recent, our credential.

    Signatures come first and every failure after parsing is the same `forbidden`,
    so the answer never tells whether a ticket or event exists.
    """
    token = read_credential(signed)
    cred = token.credential
    if not 0 <= at <= 0xFFFFFFFF or abs(at - now) > REQUEST_SKEW:
        raise IssuerError("bad_time", "the phone's clock is more than 5 minutes off")
    if not _verify(cred.holder_key, request_message(domain, signed, at), signature):
        raise IssuerError("forbidden", NOT_OURS)
    if not any(k.kid == cred.kid and token.issuer_signature_ok(k.public_key)
               for k in store.keys(cred.event_id)):
        raise IssuerError("forbidden", NOT_OURS)
    ticket = store.ticket(cred.ticket_id)
    if ticket is None or ticket.event_id != cred.event_id:
        log.error("a credential signed by event %d's key names ticket %s, which this server "
                  "does not hold", cred.event_id, format_ticket_id(cred.ticket_id))
        raise IssuerError("forbidden", NOT_OURS)
    return token, ticket, _event(store, ticket.event_id)


def _state(token: Token, ticket: StoredTicket) -> str:
    if ticket.status == REVOKED:
        return REVOKED
    cred = token.credential
    if cred.serial < ticket.serial or cred.holder_key != ticket.holder_key:
        return SUPERSEDED
    return CURRENT


def _pending(conn: Connection, ticket: StoredTicket, now: float) -> bool:
    links = s.wallet_links.c
    return conn.execute(select(func.count()).select_from(s.wallet_links).where(and_(
        links.ticket_id == ticket.ticket_id, links.kind == TRANSFER,
        links.serial == ticket.serial, links.used_at.is_(None),
        links.expires_at > now))).scalar_one() > 0


def first_use(conn: Connection, ticket: StoredTicket) -> FirstUse | None:
    """The ticket's first admitted entry any gate pushed, or None if it was never used."""
    sc = s.scans.c
    rows = conn.execute(select(sc.scan_id, sc.seq, sc.device_id, sc.device_time, sc.direction,
                               sc.outcome, sc.gate)
                        .where(and_(sc.event_id == ticket.event_id,
                                    sc.ticket_id == ticket.ticket_id,
                                    sc.outcome.in_((*MOVEMENT_OUTCOMES, UNDONE))))).all()
    gates = {r.scan_id: r.gate for r in rows}
    moves = without_undone(Logged(r.scan_id, r.seq, r.device_id, r.device_time, r.direction,
                                  r.outcome) for r in rows)
    entries = sorted((m for m in moves if m.direction == "entry"), key=lambda m: m.time)
    return FirstUse(entries[0].time, gates[entries[0].scan_id]) if entries else None


def status(store: IssuerStore, signed: bytes, at: int, signature: bytes, *,
           now: float) -> HolderStatus:
    """Current, superseded (transferred away) or revoked, for the holder of `signed`; used?"""
    token, ticket, event = _holder_request(store, STATUS_DOMAIN, signed, at, signature, now)
    with store.snapshot() as conn:
        pending = _pending(conn, ticket, now)
        used = first_use(conn, ticket)
    state = _state(token, ticket)
    ready = state == CURRENT and token.credential.serial == ticket.serial \
        and compact.compact_ready(store, ticket)
    return HolderStatus(state, ticket, event, pending, used, ready)


def transfer_link(store: IssuerStore, signed: bytes, at: int, signature: bytes, *,
                  now: float) -> NewLink:
    """The holder asks for a link to hand the ticket to a friend (who claims it)."""
    token, ticket, _ = _holder_request(store, TRANSFER_DOMAIN, signed, at, signature, now)
    state = _state(token, ticket)
    if state != CURRENT:
        raise IssuerError(state, "this phone no longer holds the ticket" if state == SUPERSEDED
                          else f"ticket {format_ticket_id(ticket.ticket_id)} is revoked")
    with store.snapshot() as conn:
        used = first_use(conn, ticket)
    if used is not None:  # the person already went in: a friend could not use it
        raise IssuerError("ticket_used", f"this ticket was already used ({used.gate}): "
                                         "a used ticket cannot be transferred")
    return create_link(store, ticket.ticket_id, kind=TRANSFER, now=now, auth_at=at)


def ticket_facts(event: StoredEvent, ticket: StoredTicket) -> dict[str, Any]:
    """What the wallet page shows and needs: event, type, slot, seat, validity, rotation."""
    policy = event.policy
    ttype = policy.ticket_type(ticket.type_id)
    slot = ttype.slot if ttype is not None else None
    return {
        "ticket_id": format_ticket_id(ticket.ticket_id), "event_id": event.event_id,
        "event_name": event.name, "type_id": ticket.type_id,
        "type_name": ttype.name if ttype is not None else str(ticket.type_id),
        "seat": ticket.seat, "serial": ticket.serial, "valid_from": ticket.valid_from,
        "valid_until": ticket.valid_until,
        "slot_start": slot.start if slot is not None else None,
        "slot_end": slot.end if slot is not None else None,
        "rotation_period": policy.rotation_period,
        "tz": policy.tz,
        "tz_offset_minutes": policy.tz_offset_minutes,
    }
