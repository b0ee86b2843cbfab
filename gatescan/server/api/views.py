"""Domain objects turned into response models."""

from __future__ import annotations

import time
from typing import Any

from gatescan.protocol.token import format_ticket_id
from gatescan.server.api import models as m
from gatescan.server.devices import DeviceInfo
from gatescan.server.issuer import IssuedCredential
from gatescan.server.store import IssuerStore, StoredEvent, StoredTicket


def event_out(store: IssuerStore, event: StoredEvent) -> m.EventOut:
    """An event with its policy and public keys."""
    keys = [m.KeyOut(kid=k.kid.hex(), public_key=k.public_key.hex(),
                     state="active" if k.state == "active" else "retired",
                     created_at=k.created_at) for k in store.keys(event.event_id)]
    return m.EventOut(event_id=event.event_id, name=event.name, created_at=event.created_at,
                      manifest_sequence=event.manifest_sequence,
                      policy=event.policy.to_dict(), keys=keys, server_time=time.time())


def issued_fields(issued: IssuedCredential, seat: str | None) -> dict[str, Any]:
    """The fields of an issued credential response."""
    c = issued.credential
    return {"ticket_id": format_ticket_id(c.ticket_id), "event_id": c.event_id,
            "type_id": c.type_id, "serial": c.serial, "seat": seat,
            "valid_from": c.valid_from, "valid_until": c.valid_until, "kid": c.kid.hex(),
            "credential": issued.signed.hex()}


def ticket_fields(t: StoredTicket) -> dict[str, Any]:
    """The fields of a ticket state response."""
    return {"ticket_id": format_ticket_id(t.ticket_id), "event_id": t.event_id,
            "type_id": t.type_id, "serial": t.serial, "seat": t.seat, "status": t.status,
            "valid_from": t.valid_from, "valid_until": t.valid_until,
            "revoked_reason": t.revoked_reason, "server_time": time.time()}


def device_fields(d: DeviceInfo) -> dict[str, Any]:
    """The fields of a device response."""
    return {"device_id": d.device_id, "event_id": d.event_id, "name": d.name, "gate": d.gate,
            "status": d.status, "created_at": d.created_at, "enrolled_at": d.enrolled_at,
            "revoked_at": d.revoked_at, "last_seen_at": d.last_seen_at,
            **d.chain_fields(), **d.report_fields()}
