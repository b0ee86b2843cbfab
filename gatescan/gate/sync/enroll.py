"""Enrollment: trade the one-time code from the organizer's QR for a device token, then pull.

The token is stored before anything else happens (the code works once), in an
owner-only file; the server's device id becomes the gate's id. A fresh mesh device
key is made and its public half registered (docs/mesh.md). The first sync
then loads the event; if that fails the gate is enrolled all the same and the
next sync loads it.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import httpx

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.replica import CURSOR_KEY
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync import mesh_keys, rollback
from gatescan.gate.sync.client import SyncClient, make_http_client
from gatescan.gate.sync.credentials import DEVICE_ID, Credentials, write_device_id
from gatescan.gate.sync.engine import LAST_ERROR, REVOKED_AT, SyncEngine
from gatescan.gate.sync.errors import EnrollError, Refused, ServerFailed, ServerUnreachable
from gatescan.gate.sync.handshake import Enrolled, Handshake, parse_handshake
from gatescan.gate.sync.mesh_announce import register_quietly
from gatescan.gate.sync.status import PINNED_KEYS

log = logging.getLogger(__name__)

TOKEN = re.compile(r"gsd_[A-Za-z0-9_-]{16,200}")
FINGERPRINT = re.compile(r"[0-9a-f]{64}")
MESSAGES = {
    "code_unknown": "Unknown enrollment code: check that it was copied whole, or ask the "
                    "organizer for a new one.",
    "code_used": "This enrollment code was already used: ask the organizer for a new one.",
    "code_expired": "This enrollment code has expired: ask the organizer for a new one.",
    "device_revoked": "This device was revoked by the organizer and cannot be enrolled again.",
}


def _pins(hs: Handshake, reply: dict[str, Any]) -> tuple[str, ...]:
    """The key fingerprints the first manifest must be signed with.

    The QR code's are what the organizer's screen showed: they win. Without them
    (an older server), the enrollment answer's active keys.
    """
    if hs.keys:
        return hs.keys
    keys = reply.get("issuer_keys")
    if not isinstance(keys, list):
        return ()
    return tuple(str(k["fingerprint"]).lower() for k in keys
                 if isinstance(k, dict) and k.get("state") == "active"
                 and isinstance(k.get("fingerprint"), str)
                 and FINGERPRINT.fullmatch(str(k["fingerprint"]).lower()))


class GateEnroller:
    """Enrolls this gate (the `Enroller` the UI drives); raises `EnrollError` with plain words."""

    def __init__(self, settings: ScannerSettings, http: httpx.Client, *,
                 engine: SyncEngine | None = None) -> None:
        self.settings = settings
        self.http = http
        self.engine = engine or SyncEngine(settings, http)

    def enroll(self, handshake: Handshake | str) -> Enrolled:
        """Enroll with a handshake (parsed, or its QR text), store the token, load the event."""
        hs = parse_handshake(handshake) if isinstance(handshake, str) else handshake
        creds = self._exchange(hs)
        try:
            creds.save(self.settings.data_dir)
            write_device_id(self.settings.data_dir, creds.device_id)
            with Ledger(self.settings.ledger_path) as ledger:
                # A fresh enrollment starts a fresh feed (and ends an earlier revocation); the
                # server's checkpoint of this gate starts afresh too, after the log's end.
                ledger.update_sync_state({CURSOR_KEY: None, REVOKED_AT: None, LAST_ERROR: None,
                                          **dict.fromkeys(rollback.KEYS),
                                          PINNED_KEYS: " ".join(creds.issuer_keys) or None,
                                          rollback.CHAIN_FLOOR: str(ledger.log_head())})
            # The gate's own mesh key, new with every enrollment (a new SD card, a new key);
            # only its public half goes to the server (docs/mesh.md).
            device_key = mesh_keys.new_key(self.settings.data_dir)
        except OSError as exc:
            raise EnrollError("cannot_store", f"Enrolled, but the token cannot be stored in "
                              f"{self.settings.data_dir}: {exc.strerror}") from None
        except LedgerError as exc:
            raise EnrollError("cannot_store", f"Enrolled, but the ledger cannot be written: "
                              f"{exc.message}") from None
        log.info("enrolled as device %s for event %d (gate %s)", creds.device_id,
                 creds.event_id, creds.gate or "-")
        register_quietly(self.http, creds, device_key)
        status = self.engine.sync_once()
        tickets: int | None = None
        warning: str | None = None
        if status.error or not status.online:
            warning = (f"the event could not be loaded yet ({status.error or 'offline'}); "
                       "it loads on the next sync")
        else:
            with Ledger(self.settings.ledger_path) as ledger:
                tickets = ledger.status().tickets
        return Enrolled(creds.device_id, creds.event_id, creds.event_name, creds.gate, tickets,
                        warning)

    def _exchange(self, hs: Handshake) -> Credentials:
        api = SyncClient(self.http, hs.url, on_time=self.engine.clock.learn,
                         boot=self.engine.clock.boot)
        try:
            reply = api.enroll(hs.code)
        except ServerUnreachable as exc:
            raise EnrollError("unreachable", f"Cannot reach the server at {hs.url} "
                              f"({exc.message}): check the network and the address, then "
                              "try again.") from None
        except ServerFailed as exc:
            raise EnrollError("server_error", f"The server at {hs.url} failed ({exc.message}): "
                              "try again in a moment.") from None
        except Refused as exc:
            message = MESSAGES.get(exc.code, f"The server refused the enrollment: {exc.message}")
            raise EnrollError(exc.code, message) from None
        token, device_id, event_id = (reply.get("device_token"), reply.get("device_id"),
                                      reply.get("event_id"))
        if not (isinstance(token, str) and TOKEN.fullmatch(token)
                and isinstance(device_id, str) and DEVICE_ID.fullmatch(device_id)
                and isinstance(event_id, int) and not isinstance(event_id, bool)):
            raise EnrollError("bad_response", f"The server at {hs.url} did not answer like a "
                              "GateScan server.")
        gate = reply.get("gate")
        if gate is not None and not isinstance(gate, str):
            raise EnrollError("bad_response", "The server named no usable gate.")
        return Credentials(url=hs.url, device_id=device_id, token=token, event_id=event_id,
                           gate=gate, event_name=str(reply.get("event_name") or ""),
                           enrolled_at=time.time(), issuer_keys=_pins(hs, reply))


def ui_services(settings: ScannerSettings) -> tuple[SyncEngine, GateEnroller]:
    """The sync engine and the enroller the UI drives, sharing one HTTP client."""
    http = make_http_client()
    engine = SyncEngine(settings, http)
    return engine, GateEnroller(settings, http, engine=engine)
