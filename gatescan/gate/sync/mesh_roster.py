"""Who may speak in the mesh: the event's device keys and revocations, as the server listed them.

The roster comes from the server (`POST /api/v1/device/mesh`, gatescan.gate.sync.mesh_announce)
and is cached in the data directory, so a gate that starts while the server is
down still knows whom to trust. Static settings (`mesh.json`) add addresses,
never keys: trust comes from the organizer's server only.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatescan.protocol.mesh import DEVICE_ID, address_ok

log = logging.getLogger(__name__)

ROSTER_FILE = "mesh-roster.json"
SETTINGS_FILE = "mesh.json"
DEFAULT_PORT = 7400


@dataclass(frozen=True, slots=True)
class RosterDevice:
    """One device of the event: its key, gate, status and last announced mesh address."""

    device_id: str
    public_key: bytes
    gate: str | None = None
    name: str = ""
    status: str = "active"
    address: str | None = None

    @property
    def revoked(self) -> bool:
        """Whether the organizer revoked it (its messages are refused)."""
        return self.status == "revoked"

    @property
    def sender_key(self) -> str:
        """Names this device *and* key: a re-enrolled gate (new key, new log) starts afresh."""
        return f"{self.device_id}.{self.public_key.hex()[:16]}"


@dataclass(frozen=True, slots=True)
class Roster:
    """The event's mesh devices by id (revoked ones kept, to refuse them by name)."""

    event_id: int
    devices: dict[str, RosterDevice] = field(default_factory=dict)
    fetched_at: float | None = None

    def active_peers(self, me: str) -> list[RosterDevice]:
        """Every enrolled, non-revoked device but this one."""
        return [d for d in self.devices.values() if d.device_id != me and not d.revoked
                and d.status == "active"]

    @classmethod
    def from_json(cls, raw: Any, fetched_at: float | None = None) -> Roster:
        """Parse the server's answer (or the cache); entries that do not parse are left out."""
        if not isinstance(raw, dict) or isinstance(raw.get("event_id"), bool) or \
                not isinstance(raw.get("event_id"), int):
            raise ValueError("a roster needs an event_id")
        devices: dict[str, RosterDevice] = {}
        for item in raw.get("devices") or ():
            try:
                dev = _device(item)
            except (KeyError, TypeError, ValueError):
                log.warning("left a roster entry out: it does not parse")
                continue
            devices[dev.device_id] = dev
        at = raw.get("fetched_at", fetched_at)
        return cls(int(raw["event_id"]), devices,
                   float(at) if isinstance(at, int | float) else None)

    def to_json(self) -> dict[str, Any]:
        """The cache file's object."""
        return {"event_id": self.event_id, "fetched_at": self.fetched_at, "devices": [
            {"device_id": d.device_id, "public_key": d.public_key.hex(), "gate": d.gate,
             "name": d.name, "status": d.status, "address": d.address}
            for d in self.devices.values()]}

    def save(self, data_dir: Path) -> None:
        """Write the cache atomically."""
        _write_atomic(data_dir / ROSTER_FILE, json.dumps(self.to_json(), indent=1))

    @classmethod
    def load(cls, data_dir: Path) -> Roster | None:
        """The cached roster, None if there is none (or it is damaged: fetch again)."""
        try:
            return cls.from_json(json.loads((data_dir / ROSTER_FILE).read_text("utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("the cached mesh roster cannot be read (%s): waiting for the server",
                        exc)
            return None


def _device(item: Any) -> RosterDevice:
    device_id = str(item["device_id"])
    if not DEVICE_ID.fullmatch(device_id):
        raise ValueError("bad device id")
    key = bytes.fromhex(str(item["public_key"]))
    if len(key) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    address = item.get("address")
    if address is not None and not (isinstance(address, str) and address_ok(address)):
        address = None
    gate = item.get("gate")
    return RosterDevice(device_id, key, gate if isinstance(gate, str) else None,
                        str(item.get("name") or ""), str(item.get("status") or "active"),
                        address)


@dataclass(frozen=True, slots=True)
class MeshSettings:
    """The mesh's settings: on or off, where it listens, static peers, timings.

    Read from `mesh.json` in the data directory (all keys optional) and then
    overridden by command-line options.
    """

    enabled: bool = True
    discovery: bool = True         # announce and find gates with mDNS (addresses only)
    listen: str = f"0.0.0.0:{DEFAULT_PORT}"
    peers: tuple[str, ...] = ()
    heads_every: float = 1.0       # anti-entropy period, seconds
    roster_every: float = 15.0     # server round trip for the roster, seconds
    window: float = 120.0          # a message's time must be this close to the receiver's
    batch: int = 128               # scans sent at most per anti-entropy answer
    contact_s: float = 5.0         # a peer heard from this recently counts as reachable
    drop_rate: float = 0.0         # fault injection for tests and bench/mesh.py only

    @classmethod
    def load(cls, data_dir: Path) -> MeshSettings:
        """Settings from `mesh.json` (defaults where absent)."""
        try:
            raw = json.loads((data_dir / SETTINGS_FILE).read_text("utf-8"))
        except FileNotFoundError:
            return cls()
        if not isinstance(raw, dict):
            raise ValueError(f"{SETTINGS_FILE} must hold an object")
        peers = tuple(str(p) for p in raw.get("peers") or ())
        bad = [p for p in peers if not address_ok(p)]
        if bad:
            raise ValueError(f"{SETTINGS_FILE}: not HOST:PORT: {bad[0][:80]!r}")
        base = cls()
        return cls(enabled=bool(raw.get("enabled", True)),
                   discovery=bool(raw.get("discovery", True)),
                   listen=str(raw.get("listen", base.listen)), peers=peers,
                   heads_every=float(raw.get("heads_every", base.heads_every)),
                   roster_every=float(raw.get("roster_every", base.roster_every)),
                   window=float(raw.get("window", base.window)),
                   batch=int(raw.get("batch", base.batch)))


def split_address(text: str) -> tuple[str, int]:
    """HOST:PORT as a (host, port) pair; ValueError if it is not one."""
    if not address_ok(text):
        raise ValueError(f"not HOST:PORT: {text[:80]!r}")
    host, port = text.rsplit(":", 1)
    return host.strip("[]"), int(port)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
