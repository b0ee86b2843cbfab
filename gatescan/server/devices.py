"""Gate devices: creation with a one-time enrollment code, enrollment, tokens, management.

A device belongs to one event and (optionally) one gate. `add_device` makes it
with status `pending` and an enrollment code (shown once); `enroll` trades the
code for a device token (shown once) and makes it `active`; `revoke` makes it
`revoked` for good: its token is refused with `device_revoked`, so the gate
knows to wipe its event data. Only hashes of codes and tokens are stored. Each
device carries the checkpoint of its gate's scan chain and any chain mismatch
(`gatescan.server.checkpoints`), and, for the gate mesh, its own public key and mesh
address (`register_mesh`, `mesh_roster`; docs/mesh.md).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gatescan.protocol.device_report import Report
from gatescan.protocol.mesh_heard import parse_heard
from gatescan.server import authtokens
from gatescan.server.checkpoints import Checkpoint, checkpoint_of, mismatch_of
from gatescan.server.errors import IssuerError
from gatescan.server.instance import rollback_of
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

log = logging.getLogger(__name__)

PENDING = "pending"
ACTIVE = "active"
REVOKED = "revoked"
MAX_NAME = 100
SEEN_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A gate device as the organizer sees it (never its token)."""

    device_id: str
    event_id: int
    name: str
    gate: str | None
    status: str
    created_at: float
    enrolled_at: float | None
    revoked_at: float | None
    last_seen_at: float | None
    checkpoint: Checkpoint | None = None
    chain_mismatch: dict[str, Any] | None = None
    chain_mismatches: int = 0
    server_rollback: dict[str, Any] | None = None
    app_version: str | None = None  # what the gate said at its latest request (a `Report`)
    pending_uploads: int | None = None
    mesh_heard: dict[str, Any] | None = None  # who it heard in the mesh (`register_mesh`)

    def chain_fields(self) -> dict[str, Any]:
        """Its scan-chain checkpoint and first mismatch, as the API and CLI show them."""
        cp = self.checkpoint
        return {"chain": None if cp is None else {"seq": cp.seq, "hash": cp.hash, "at": cp.at},
                "chain_mismatch": self.chain_mismatch, "chain_mismatches": self.chain_mismatches,
                "server_rollback": self.server_rollback}

    def report_fields(self) -> dict[str, Any]:
        """What the gate last said about itself (None: it never said)."""
        return {"app_version": self.app_version, "pending_uploads": self.pending_uploads,
                "mesh_heard": self.mesh_heard}


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A fresh one-time enrollment code for a device (shown once, stored hashed)."""

    device: DeviceInfo
    code: str
    expires_at: float


def _device(row: Any) -> DeviceInfo:
    return DeviceInfo(row.device_id, row.event_id, row.name, row.gate, row.status,
                      row.created_at, row.enrolled_at, row.revoked_at, row.last_seen_at,
                      checkpoint_of(row), mismatch_of(row), row.chain_mismatches or 0,
                      rollback_of(row), row.app_version, row.pending_uploads,
                      _mesh_heard(row.mesh_peers))


def _mesh_heard(text: str | None) -> dict[str, Any] | None:
    """The stored `mesh_peers` as shown: `reported_at`, and `peers` (latest heard first)."""
    if not text:
        return None
    try:
        raw = json.loads(text)
    except ValueError:
        log.warning("a device's stored mesh peers are not JSON: shown as none")
        return None
    at = raw.get("at") if isinstance(raw, dict) else None
    if isinstance(at, bool) or not isinstance(at, int | float):
        return None
    peers = parse_heard(raw.get("heard"))
    return {"reported_at": float(at), "peers": [
        {"device_id": device_id, **h.to_json()}
        for device_id, h in sorted(peers.items(), key=lambda kv: -kv[1].at)]}


def check_name(name: str) -> str:
    """A device name without surrounding space; `IssuerError("bad_name")` if unusable."""
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise IssuerError("bad_name", f"device name must be 1 to {MAX_NAME} printable characters")
    return name


def _gate(store: IssuerStore, event_id: int, gate: str | None) -> str | None:
    """The event's spelling of `gate`; `unknown_gate` if the event plan has no such gate."""
    if gate is None:
        return None
    event = store.event(event_id)
    if event is None:
        raise IssuerError("unknown_event", f"no event {event_id}")
    found = event.policy.gate(gate.strip())
    if found is None:
        names = ", ".join(g.name for g in event.policy.gates) or "none"
        raise IssuerError("unknown_gate", f"event {event_id} has no gate {gate.strip()[:100]!r}"
                          f" (gates: {names})")
    return found.name


def _row(conn: Connection, device_id: str) -> Any:
    row = conn.execute(select(s.devices).where(s.devices.c.device_id == device_id)).first()
    if row is None:
        raise IssuerError("unknown_device", f"no device {device_id[:40]}")
    return row


def _issue_code(conn: Connection, device_id: str, *, ttl: int, now: float) -> tuple[str, float]:
    conn.execute(delete(s.enrollment_codes).where(and_(
        s.enrollment_codes.c.device_id == device_id, s.enrollment_codes.c.used_at.is_(None))))
    code = authtokens.new_enrollment_code()
    conn.execute(insert(s.enrollment_codes).values(
        code_hash=authtokens.token_hash(code), device_id=device_id, created_at=now,
        expires_at=now + ttl))
    return code, now + ttl


def add_device(store: IssuerStore, event_id: int, name: str, gate: str | None, *, ttl: int,
               now: float) -> Enrollment:
    """Create a pending device for an event (and gate) with a one-time enrollment code."""
    name = check_name(name)
    with store.transaction() as conn:
        gate = _gate(store, event_id, gate)
        device_id = authtokens.new_id("dev_")
        try:
            with conn.begin_nested():
                conn.execute(insert(s.devices).values(
                    device_id=device_id, event_id=event_id, name=name, gate=gate,
                    status=PENDING, created_at=now))
        except IntegrityError:
            raise IssuerError("name_taken", f"event {event_id} already has a device named "
                              f"{name!r}") from None
        code, expires = _issue_code(conn, device_id, ttl=ttl, now=now)
        device = _device(_row(conn, device_id))
    log.info("added device %s to event %d", device_id, event_id)
    return Enrollment(device, code, expires)


def new_code(store: IssuerStore, device_id: str, *, ttl: int, now: float) -> Enrollment:
    """A new enrollment code for a device (earlier unused codes stop working)."""
    with store.transaction() as conn:
        device = _device(_row(conn, device_id))
        if device.status == REVOKED:
            raise IssuerError("device_revoked", f"device {device_id} is revoked")
        code, expires = _issue_code(conn, device_id, ttl=ttl, now=now)
    return Enrollment(device, code, expires)


def enroll(store: IssuerStore, code: str, *, now: float) -> tuple[DeviceInfo, str]:
    """Trade a one-time code for a device token: (device, token). Refusals are IssuerError."""
    wanted = authtokens.token_hash(authtokens.normalize_code(code))
    with store.transaction() as conn:
        row = conn.execute(select(s.enrollment_codes).where(
            s.enrollment_codes.c.code_hash == wanted)).first()
        if row is None or not authtokens.same_hash(row.code_hash,
                                                   authtokens.normalize_code(code)):
            raise IssuerError("code_unknown", "unknown enrollment code: check it, or ask for "
                              "a new one (gatescan-server device code DEVICE)")
        if row.used_at is not None:
            raise IssuerError("code_used", "this enrollment code was already used: ask for a "
                              "new one")
        if row.expires_at < now:
            raise IssuerError("code_expired", "this enrollment code has expired: ask for a "
                              "new one")
        device = _row(conn, row.device_id)
        if device.status == REVOKED:
            raise IssuerError("device_revoked", f"device {device.device_id} is revoked")
        token = authtokens.new_token(authtokens.DEVICE_PREFIX)
        conn.execute(update(s.enrollment_codes).where(s.enrollment_codes.c.code_hash == wanted)
                     .values(used_at=now))
        # A new enrollment may come with a new scan log (a replaced SD card): its chain
        # is compared from here on (gatescan/server/checkpoints.py); a mismatch stays flagged.
        conn.execute(update(s.devices).where(s.devices.c.device_id == device.device_id).values(
            status=ACTIVE, token_hash=authtokens.token_hash(token), enrolled_at=now,
            last_seen_at=now, chain_seq=None, chain_hash=None, chain_at=None,
            device_key=None, mesh_address=None, mesh_seen_at=None))
        info = _device(_row(conn, device.device_id))
    log.info("device %s enrolled", info.device_id)
    return info, token


def device_for_token(store: IssuerStore, token: str, *, now: float,
                     report: Report | None = None) -> DeviceInfo | None:
    """The device whose token this is (any status), or None; notes when it was last seen
    (at most once a minute) and what it reports about itself (whenever that changes)."""
    digest = authtokens.token_hash(token)
    with store.snapshot() as conn:
        row = conn.execute(select(s.devices).where(s.devices.c.token_hash == digest)).first()
    if row is None or not authtokens.same_hash(row.token_hash, token):
        return None
    device = _device(row)
    if device.status != ACTIVE:
        return device
    values: dict[str, Any] = {}
    if (device.last_seen_at or 0) < now - SEEN_EVERY_S:
        values["last_seen_at"] = now
    if report is not None:
        if report.app_version is not None and report.app_version != device.app_version:
            values["app_version"] = report.app_version
        if report.pending_uploads is not None and \
                report.pending_uploads != device.pending_uploads:
            values["pending_uploads"] = report.pending_uploads
    if values:
        with store.transaction() as conn:
            conn.execute(update(s.devices).where(s.devices.c.device_id == device.device_id)
                         .values(**values))
        device = replace(device, **{k: v for k, v in values.items() if k != "last_seen_at"})
    return device


def get_device(store: IssuerStore, device_id: str) -> DeviceInfo:
    """One device; `unknown_device` if there is none."""
    with store.snapshot() as conn:
        return _device(_row(conn, device_id))


def list_devices(store: IssuerStore, event_id: int | None = None) -> list[DeviceInfo]:
    """Devices (of one event, if given), oldest first."""
    query = select(s.devices).order_by(s.devices.c.created_at, s.devices.c.device_id)
    if event_id is not None:
        query = query.where(s.devices.c.event_id == event_id)
    with store.snapshot() as conn:
        return [_device(r) for r in conn.execute(query)]


def update_device(store: IssuerStore, device_id: str, *, name: str | None = None,
                  gate: str | None = None) -> DeviceInfo:
    """Rename a device and/or move it to another gate of its event."""
    with store.transaction() as conn:
        device = _device(_row(conn, device_id))
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = check_name(name)
        if gate is not None:
            values["gate"] = _gate(store, device.event_id, gate)
        if values:
            try:
                with conn.begin_nested():
                    conn.execute(update(s.devices).where(s.devices.c.device_id == device_id)
                                 .values(**values))
            except IntegrityError:
                raise IssuerError("name_taken", "another device of the event has that "
                                  "name") from None
        return _device(_row(conn, device_id))


def revoke_device(store: IssuerStore, device_id: str, *, now: float) -> tuple[DeviceInfo, bool]:
    """Revoke a device for good: (device, already_revoked). Its codes stop working too."""
    with store.transaction() as conn:
        device = _device(_row(conn, device_id))
        if device.status == REVOKED:
            return device, True
        conn.execute(update(s.devices).where(s.devices.c.device_id == device_id)
                     .values(status=REVOKED, revoked_at=now))
        conn.execute(delete(s.enrollment_codes).where(and_(
            s.enrollment_codes.c.device_id == device_id, s.enrollment_codes.c.used_at.is_(None))))
        log.info("revoked device %s", device_id)
        return _device(_row(conn, device_id)), False


# -- the gate mesh (docs/mesh.md) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeshDevice:
    """A device of the event as its peers need it: key, gate, status and last mesh address."""

    device_id: str
    name: str
    gate: str | None
    status: str
    public_key: str
    address: str | None
    address_at: float | None

    def to_json(self) -> dict[str, Any]:
        """The wire object gates cache (never a token)."""
        return {"device_id": self.device_id, "name": self.name, "gate": self.gate,
                "status": self.status, "public_key": self.public_key,
                "address": self.address, "address_at": self.address_at}


def register_mesh(store: IssuerStore, device_id: str, public_key: str | None,
                  address: str | None, *, now: float, heard: Any = None) -> None:
    """Note a gate's mesh key (the first one since it enrolled wins), its mesh address and
    the peers it heard (`heard`: outside input, parsed here; only the event's devices kept).

    A key can be set once per enrollment: a stolen token cannot swap the key the
    other gates trust (enrolling again, e.g. a new SD card, clears it).
    """
    peers = parse_heard(heard) if heard is not None else None
    with store.transaction() as conn:
        row = _row(conn, device_id)
        values: dict[str, Any] = {}
        if peers is not None:
            ours = set(conn.execute(select(s.devices.c.device_id).where(and_(
                s.devices.c.event_id == row.event_id,
                s.devices.c.device_id.in_(list(peers)),
                s.devices.c.device_id != device_id))).scalars()) if peers else set()
            values["mesh_peers"] = json.dumps(
                {"at": now, "heard": {d: h.to_json() for d, h in peers.items() if d in ours}},
                separators=(",", ":"), sort_keys=True)
        if public_key is not None:
            if row.device_key is None:
                values["device_key"] = public_key
            elif row.device_key != public_key:
                raise IssuerError("conflict", "this device already registered another mesh "
                                  "key since it enrolled: enroll it again to change it")
        if address is not None:
            values.update(mesh_address=address, mesh_seen_at=now)
        if values:
            conn.execute(update(s.devices).where(s.devices.c.device_id == device_id)
                         .values(**values))


def mesh_roster(store: IssuerStore, event_id: int) -> list[MeshDevice]:
    """The event's devices that registered a mesh key, revoked ones included (as revoked)."""
    query = (select(s.devices).where(and_(s.devices.c.event_id == event_id,
                                          s.devices.c.device_key.is_not(None)))
             .order_by(s.devices.c.device_id))
    with store.snapshot() as conn:
        return [MeshDevice(r.device_id, r.name, r.gate, r.status, r.device_key,
                           r.mesh_address, r.mesh_seen_at) for r in conn.execute(query)]
