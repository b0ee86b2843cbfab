"""The mesh's round trip to the server: say our key and address, get the event's roster.

`POST /api/v1/device/mesh {"public_key", "address", "heard"}` with the device token
(`heard`: the peers the node last heard, from its status file: who saw whom). The
first key since enrollment is the one the server keeps (gatescan.server.devices
.register_mesh). An older server without the route answers 404: the gate then has
no server roster (the mesh stays quiet until it has one).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import httpx
from nacl.signing import SigningKey

from gatescan.gate.sync.client import API
from gatescan.gate.sync.credentials import Credentials
from gatescan.gate.sync.mesh_keys import public_hex
from gatescan.gate.sync.mesh_roster import Roster
from gatescan.protocol.mesh import DEVICE_ID
from gatescan.protocol.mesh_heard import Heard, heard_to_json

log = logging.getLogger(__name__)


class AnnounceError(Exception):
    """The server could not be reached or refused (`code`: unreachable, http status word)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def heard_from_status(status: dict[str, Any] | None) -> dict[str, Heard]:
    """The peers a mesh status (`mesh-status.json`) says were heard, with when (unix) and lag."""
    if not status or not isinstance(status.get("updated_at"), int | float):
        return {}
    updated = float(status["updated_at"])
    out: dict[str, Heard] = {}
    for peer in status.get("peers") or ():
        if not isinstance(peer, dict):
            continue
        device_id, ago, lag = peer.get("device_id"), peer.get("last_contact_s"), peer.get("lag")
        if isinstance(device_id, str) and DEVICE_ID.fullmatch(device_id) and \
                isinstance(ago, int | float) and not isinstance(ago, bool) and ago >= 0:
            out[device_id] = Heard(round(updated - float(ago), 3),
                                   lag if isinstance(lag, int) and lag >= 0 else 0)
    return out


def announce(http: httpx.Client, creds: Credentials, key: SigningKey,
             address: str | None, heard: dict[str, Heard] | None = None) -> Roster:
    """Register the key (and address, and the peers heard) and return the event's roster."""
    body: dict[str, Any] = {"public_key": public_hex(key)}
    if address is not None:
        body["address"] = address
    if heard is not None:
        body["heard"] = heard_to_json(heard)
    try:
        resp = http.post(f"{creds.url.rstrip('/')}{API}/mesh", json=body,
                         headers={"Authorization": f"Bearer {creds.token}"})
    except httpx.HTTPError as exc:
        raise AnnounceError("unreachable", f"cannot reach the server ({type(exc).__name__})"
                            ) from None
    if resp.status_code != 200:
        code = str(resp.status_code)
        with contextlib.suppress(ValueError, KeyError, TypeError):
            code = str(resp.json()["error"]["code"])[:64]
        raise AnnounceError(code, f"the server refused the mesh announcement ({code})")
    try:
        roster = Roster.from_json(resp.json(), fetched_at=time.time())
    except ValueError:
        raise AnnounceError("bad_response", "the server's mesh roster is not the protocol"
                            ) from None
    if roster.event_id != creds.event_id:
        raise AnnounceError("bad_response", "the server's mesh roster is for another event")
    return roster


def register_quietly(http: httpx.Client, creds: Credentials, key: SigningKey) -> bool:
    """At enrollment: register the key if the server can take it now; never fails enrolling."""
    try:
        announce(http, creds, key, None)
    except AnnounceError as exc:
        log.info("mesh key not registered yet (%s): the mesh registers it when it starts",
                 exc.code)
        return False
    return True
