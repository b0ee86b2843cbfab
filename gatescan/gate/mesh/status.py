"""What the gate app shows of the mesh, read from the status file the node rewrites each second.

The node runs in its own process (`gatescan mesh`); the app only reads
`DIR/mesh-status.json`. No file: the mesh never ran here (nothing is shown). A
file not rewritten for a while: the node is dead (the mesh shows as off).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatescan.gate.mesh.node import read_status

STALE_S = 5.0  # the node rewrites the file every second: five missed writes mean it is gone


@dataclass(frozen=True, slots=True)
class MeshPeer:
    """One roster gate as this node sees it."""

    device_id: str
    gate: str | None
    address: str | None
    last_contact_s: float | None  # seconds since it was last heard; None: never
    lag: int                      # its scans this gate does not hold yet


@dataclass(frozen=True, slots=True)
class MeshSummary:
    """The mesh in a few figures: running, gates reachable (self included) of the roster's."""

    running: bool
    reachable: int
    gates: int
    conflicts: int
    peers: tuple[MeshPeer, ...]


def _int(raw: dict[str, Any], key: str) -> int:
    value = raw.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _peer(raw: Any) -> MeshPeer | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("device_id"), str):
        return None
    heard = raw.get("last_contact_s")
    gate, address = raw.get("gate"), raw.get("address")
    return MeshPeer(raw["device_id"][:64], gate[:64] if isinstance(gate, str) else None,
                    address[:80] if isinstance(address, str) else None,
                    float(heard) if isinstance(heard, int | float) and
                    not isinstance(heard, bool) else None, _int(raw, "lag"))


def mesh_summary(data_dir: Path, *, stale_s: float = STALE_S) -> MeshSummary | None:
    """The mesh as the node last wrote it; None if it never ran in this data directory."""
    raw = read_status(data_dir, stale_s=stale_s)
    if raw is None:
        return None
    listed = raw.get("peers")
    found = (_peer(p) for p in listed) if isinstance(listed, list) else iter(())
    peers = tuple(p for p in found if p is not None)
    running = raw.get("running") is True
    gates = max(1, _int(raw, "gates"))
    return MeshSummary(running, min(_int(raw, "reachable"), gates) if running else 0, gates,
                       _int(raw, "conflicts"), peers)
