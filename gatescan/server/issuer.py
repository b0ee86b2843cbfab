"""Issuer operations: events with keys, issuing, revoking, transferring, manifests.

Functions over an `IssuerStore`; the only I/O besides the store is the manifest
file `write_manifest` writes. Credentials are built with
`gatescan.protocol.token.sign_credential`, so issuer and gate share one codec.
Refusals raise `IssuerError` with a stable code.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from gatescan.protocol.clock import UnknownZoneError, offset_minutes
from gatescan.protocol.files import atomic_writer
from gatescan.protocol.manifest import MAX_NAME, MAX_ORDER_CODE, ManifestWriter
from gatescan.protocol.policy import (
    DEFAULT_REPEAT_READ_SECONDS,
    DEFAULT_ROTATION_PERIOD,
    EventPolicy,
    Gate,
    PolicyError,
    TicketType,
    plan_problems,
)
from gatescan.protocol.token import Credential, format_ticket_id, key_id, sign_credential
from gatescan.server import compact, inventory
from gatescan.server.entropy import Entropy, SystemEntropy, new_signing_key
from gatescan.server.errors import IssuerError
from gatescan.server.storage.changelog import current_seq
from gatescan.server.store import (
    REVOKED,
    IssuerStore,
    NewTicket,
    StoredEvent,
    StoredKey,
    StoredTicket,
)

log = logging.getLogger(__name__)

MAX_SERIAL = 0xFFFF
MAX_TIME = 0xFFFFFFFF
MAX_SEAT = 64
MAX_REASON = 200
SYSTEM = SystemEntropy()


@dataclass(frozen=True, slots=True)
class TicketRequest:
    """One ticket to issue: its type, the holder's public key, validity and seat."""

    type_id: int
    holder_public_key: bytes
    valid_from: int
    valid_until: int
    seat: str | None = None
    holder_name: str | None = None  # optional; on gates only if the event has attendee_data
    order_code: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """A credential the issuer signed, as handed to the holder's phone."""

    credential: Credential
    signed: bytes

    @property
    def ticket_id(self) -> int:
        """The ticket this credential is for."""
        return self.credential.ticket_id


@dataclass(frozen=True, slots=True)
class ManifestInfo:
    """What `write_manifest` wrote."""

    event_id: int
    path: Path | None
    sequence: int
    tickets: int
    revocations: int
    cursor: int = 0
    generated_at: int = 0


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def create_event(store: IssuerStore, name: str, *, gates: Sequence[Gate],
                 ticket_types: Sequence[TicketType],
                 rotation_period: int = DEFAULT_ROTATION_PERIOD, clock_tolerance_steps: int = 1,
                 repeat_read_seconds: int = DEFAULT_REPEAT_READ_SECONDS,
                 tz_offset_minutes: int | None = None,
                 tz: str | None = None, attendee_data: bool = False,
                 admit_unlisted: bool = True, kind: str = "event", entropy: Entropy = SYSTEM,
                 now: int | None = None) -> EventPolicy:
    """Create an event with its policy and a fresh Ed25519 issuer key.

    With a zone `tz` and no `tz_offset_minutes`, gates older than the zone name
    get the zone's offset now as their fixed offset.
    """
    now = _now(now)
    if tz_offset_minutes is None:
        try:
            tz_offset_minutes = offset_minutes(tz, now) if tz else 0
        except UnknownZoneError as exc:
            raise IssuerError("bad_policy", str(exc)) from None
    with store.transaction():
        draft = EventPolicy(
            event_id=store.new_event_id(entropy), name=name, rotation_period=rotation_period,
            clock_tolerance_steps=clock_tolerance_steps,
            repeat_read_seconds=repeat_read_seconds, tz_offset_minutes=tz_offset_minutes,
            tz=tz, attendee_data=attendee_data, admit_unlisted=admit_unlisted,
            gates=tuple(gates), ticket_types=tuple(ticket_types))
        try:
            # Gates read the policy from JSON: refuse now what a gate would refuse.
            policy = EventPolicy.from_dict(json.loads(json.dumps(draft.to_dict())))
        except PolicyError as exc:
            raise IssuerError("bad_policy", str(exc)) from None
        _check_plan(policy)
        store.add_event(policy, kind=kind, now=now)
        store.add_key(policy.event_id, new_signing_key(entropy), now=now)
    log.info("created event %d (%s)", policy.event_id, name)
    return policy


def rotate_key(store: IssuerStore, event_id: int, *, entropy: Entropy = SYSTEM,
               now: int | None = None) -> StoredKey:
    """Add a new active signing key; earlier keys stay trusted (retired) for their tickets."""
    _event(store, event_id)
    return store.add_key(event_id, new_signing_key(entropy), now=_now(now))


def update_policy(store: IssuerStore, policy: EventPolicy, *,
                  now: int | None = None) -> EventPolicy:
    """Replace an event's policy; refuses to drop a ticket type that has tickets, and a plan
    whose ticket types no gate could admit."""
    _check_plan(policy)
    with store.transaction():
        _event(store, policy.event_id)
        in_use = store.types_in_use(policy.event_id)
        missing = sorted(in_use - {t.id for t in policy.ticket_types})
        if missing:
            raise IssuerError("type_in_use", f"ticket type {missing[0]} has tickets: it cannot "
                              "be removed")
        store.update_policy(policy, now=_now(now))
    log.info("updated the policy of event %d", policy.event_id)
    return policy


def _check_plan(policy: EventPolicy) -> None:
    """Refuse gates and zones that leave a ticket type with nowhere to enter (HTTP 422)."""
    problems = plan_problems(policy)
    if problems:
        raise IssuerError("bad_plan", "; ".join(problems))


def _event(store: IssuerStore, event_id: int) -> StoredEvent:
    event = store.event(event_id)
    if event is None:
        raise IssuerError("unknown_event", f"no event {event_id}")
    return event


def _check_text(value: str, limit: int, what: str) -> None:
    if not 0 < len(value) <= limit:
        raise IssuerError(f"bad_{what}", f"{what} must be 1 to {limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise IssuerError(f"bad_{what}", f"{what} is not valid text") from None


def check_reason(reason: str) -> None:
    """Refuse a revocation reason a manifest cannot carry (`IssuerError`)."""
    _check_text(reason, MAX_REASON, "reason")


def _check_request(policy: EventPolicy, req: TicketRequest) -> None:
    if policy.ticket_type(req.type_id) is None:
        raise IssuerError("unknown_type", f"event {policy.event_id} has no ticket type "
                          f"{req.type_id}")
    if len(req.holder_public_key) != 32:
        raise IssuerError("bad_holder_key", "holder public key must be 32 bytes")
    if not 0 <= req.valid_from <= req.valid_until <= MAX_TIME:
        raise IssuerError("bad_validity", "validity must satisfy 0 <= from <= until < 2**32")
    if req.seat is not None:
        _check_text(req.seat, MAX_SEAT, "seat")
    if req.holder_name is not None:
        _check_text(req.holder_name, MAX_NAME, "holder_name")
    if req.order_code is not None:
        _check_text(req.order_code, MAX_ORDER_CODE, "order_code")


def issue_tickets(store: IssuerStore, event_id: int, requests: Sequence[TicketRequest], *,
                  entropy: Entropy = SYSTEM, now: int | None = None) -> list[IssuedCredential]:
    """Issue tickets in one transaction: random ids, serial 0, signed by the active key."""
    now = _now(now)
    with store.transaction():
        policy = _event(store, event_id).policy
        for req in requests:
            _check_request(policy, req)
        inventory.check(store, event_id, (r.type_id for r in requests))
        signer = store.signing_key(event_id)
        kid = key_id(bytes(signer.verify_key))
        ids = store.new_ticket_ids(len(requests), entropy)
        issued = []
        for ticket_id, req in zip(ids, requests, strict=True):
            cred = Credential(kid, event_id, ticket_id, req.type_id, 0, req.valid_from,
                              req.valid_until, req.holder_public_key)
            issued.append(IssuedCredential(cred, sign_credential(cred, signer)))
        store.add_tickets(event_id, [
            NewTicket(i.ticket_id, r.type_id, r.seat, r.holder_public_key, kid, r.valid_from,
                      r.valid_until, r.holder_name, r.order_code)
            for i, r in zip(issued, requests, strict=True)], now=now,
            attendee_data=policy.attendee_data)
    log.info("issued %d tickets for event %d", len(issued), event_id)
    return issued


def issue_ticket(store: IssuerStore, event_id: int, type_id: int, holder_public_key: bytes,
                 valid_from: int, valid_until: int, seat: str | None = None, *,
                 entropy: Entropy = SYSTEM, now: int | None = None) -> IssuedCredential:
    """Issue one ticket to a holder key; returns its signed credential (serial 0)."""
    req = TicketRequest(type_id, holder_public_key, valid_from, valid_until, seat)
    return issue_tickets(store, event_id, [req], entropy=entropy, now=now)[0]


def existing_ticket(store: IssuerStore, ticket_id: int) -> StoredTicket:
    """The stored ticket, or IssuerError `unknown_ticket`."""
    ticket = store.ticket(ticket_id)
    if ticket is None:
        raise IssuerError("unknown_ticket", f"no ticket {format_ticket_id(ticket_id)}"
                          if ticket_id >= 0 else "no such ticket")
    return ticket


def revoke(store: IssuerStore, ticket_id: int, reason: str = "refund", *,
           now: int | None = None) -> StoredTicket:
    """Revoke every credential of a ticket (refund, fraud). Revoking twice changes nothing."""
    check_reason(reason)
    with store.transaction():
        ticket = existing_ticket(store, ticket_id)
        if ticket.status != REVOKED:
            store.mark_revoked(ticket_id, reason, now=_now(now))
            log.info("revoked ticket %s", format_ticket_id(ticket_id))
        return existing_ticket(store, ticket_id)


def transfer(store: IssuerStore, ticket_id: int, new_holder_public_key: bytes, *,
             now: int | None = None) -> IssuedCredential:
    """Rebind a ticket to a new holder key: serial + 1, which supersedes the old credential."""
    if len(new_holder_public_key) != 32:
        raise IssuerError("bad_holder_key", "holder public key must be 32 bytes")
    with store.transaction():
        ticket = existing_ticket(store, ticket_id)
        if ticket.status == REVOKED:
            raise IssuerError("revoked", f"ticket {format_ticket_id(ticket_id)} is revoked")
        if ticket.serial >= MAX_SERIAL:
            raise IssuerError("serial_exhausted", "ticket has been transferred too often")
        signer = store.signing_key(ticket.event_id)
        kid = key_id(bytes(signer.verify_key))
        cred = Credential(kid, ticket.event_id, ticket_id, ticket.type_id, ticket.serial + 1,
                          ticket.valid_from, ticket.valid_until, new_holder_public_key)
        signed = sign_credential(cred, signer)
        store.mark_transferred(ticket, serial=cred.serial, holder_key=new_holder_public_key,
                               kid=kid, now=_now(now))
    log.info("transferred ticket %s to serial %d", format_ticket_id(ticket_id), cred.serial)
    return IssuedCredential(cred, signed)


def build_manifest(store: IssuerStore, event_id: int, out: IO[bytes], *,
                   now: int | None = None) -> ManifestInfo:
    """Write the event's signed manifest to `out`, taking the next sequence (one transaction).

    The returned `cursor` is the change-log position the manifest is consistent
    with: the write transaction keeps every other writer out while it reads.
    """
    now = _now(now)
    with store.transaction() as conn:
        event = _event(store, event_id)
        signer = store.signing_key(event_id)
        keys = [k.public_key for k in store.keys(event_id)]
        sequence = store.next_manifest_sequence(event_id)
        cursor = current_seq(conn)
        tickets = revocations = 0
        writer = ManifestWriter(out, event.policy, keys, signer, sequence=sequence,
                                generated_at=now)
        with_names = event.policy.attendee_data  # minimal data unless the event opted in
        for tid, type_id, serial, seat, name, order in store.manifest_tickets(event_id):
            writer.ticket(tid, type_id, serial, seat, name=name if with_names else None,
                          order_code=order if with_names else None)
            tickets += 1
        for ticket_id, reason in store.manifest_revocations(event_id):
            writer.revocation(ticket_id, None, reason)
            revocations += 1
        for signed in compact.manifest_credentials(conn, event_id):  # claimed tickets
            writer.credential(signed)
        writer.finish()
    return ManifestInfo(event_id, None, sequence, tickets, revocations, cursor, now)


def write_manifest(store: IssuerStore, event_id: int, path: Path, *,
                   now: int | None = None) -> ManifestInfo:
    """Write the event's signed manifest file atomically; each write takes the next sequence."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mode=None: the file system's default mode (the manifest is signed, not secret, and
    # often goes to a USB stick)
    with store.transaction(), atomic_writer(path, mode=None) as out:
        info = build_manifest(store, event_id, out, now=now)
    log.info("wrote manifest %d of event %d to %s", info.sequence, event_id, path)
    return replace(info, path=path)
