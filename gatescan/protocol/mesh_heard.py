"""Who saw whom: the mesh peers a gate heard, as it tells the server at roster renewal.

In `POST /api/v1/device/mesh`: `{"heard": {"dev_…": {"at": UNIX, "lag": N}, …}}`,
`at` the time the peer was last heard, `lag` its scans the gate does not hold
yet. The gate builds it from its mesh status (`heard_to_json`); the server reads
it with `parse_heard`, which never fails: a bad entry is dropped, anything past
`MAX_HEARD` peers is ignored (docs/mesh.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gatescan.protocol.mesh import DEVICE_ID, MAX_SEQ

MAX_HEARD = 64


@dataclass(frozen=True, slots=True)
class Heard:
    """One peer as a gate last heard it: when (unix seconds) and how far behind it was."""

    at: float
    lag: int

    def to_json(self) -> dict[str, Any]:
        """The wire object."""
        return {"at": self.at, "lag": self.lag}


def heard_to_json(heard: dict[str, Heard]) -> dict[str, Any]:
    """The `heard` object (at most MAX_HEARD peers, the most recently heard first)."""
    latest = sorted(heard.items(), key=lambda kv: -kv[1].at)[:MAX_HEARD]
    return {device_id: h.to_json() for device_id, h in latest}


def parse_heard(raw: Any) -> dict[str, Heard]:
    """The peers in an outside `heard` object; entries that do not parse are left out."""
    if not isinstance(raw, dict):
        return {}
    out: dict[str, Heard] = {}
    for device_id, entry in raw.items():
        if len(out) >= MAX_HEARD:
            break
        if not isinstance(device_id, str) or not DEVICE_ID.fullmatch(device_id) or \
                not isinstance(entry, dict):
            continue
        at, lag = entry.get("at"), entry.get("lag", 0)
        if isinstance(at, bool) or not isinstance(at, int | float) or \
                not math.isfinite(at) or not 0 <= at < 2**32:
            continue
        if isinstance(lag, bool) or not isinstance(lag, int) or not 0 <= lag <= MAX_SEQ:
            continue
        out[device_id] = Heard(float(at), lag)
    return out
