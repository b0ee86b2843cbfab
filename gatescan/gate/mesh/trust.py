"""Whether a peer message may be believed: enrolled, not revoked, same event, signed, fresh, new.

Every refusal has a reason word, counted and shown in `gatescan status`
(docs/mesh.md, threat model).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gatescan.gate.sync.mesh_roster import Roster, RosterDevice
from gatescan.protocol.mesh import Message, verify_signature

REPLAY_WINDOW = 1024  # counters remembered below the highest (datagrams arrive out of order)
REASONS = ("malformed", "self", "unknown_device", "revoked", "bad_signature", "wrong_event",
           "stale", "replayed")


@dataclass(slots=True)
class _Seen:
    top: int = -1
    bits: int = 0  # bit i set: counter top - i was accepted

    def fresh(self, n: int) -> bool:
        if n > self.top:
            return True
        back = self.top - n
        return back < REPLAY_WINDOW and not (self.bits >> back) & 1

    def take(self, n: int) -> None:
        if n > self.top:
            shift = n - self.top if self.top >= 0 else REPLAY_WINDOW
            self.bits = ((self.bits << shift) | 1) & ((1 << REPLAY_WINDOW) - 1)
            self.top = n
        else:
            self.bits |= 1 << (self.top - n)


@dataclass(slots=True)
class Gatekeeper:
    """Checks incoming messages against the roster, the event, the clock and the counters."""

    roster: Roster
    me: str
    event_id: int
    clock: Callable[[], float]
    window: float = 120.0
    _seen: dict[str, _Seen] = field(default_factory=dict)

    def restore(self, highest: dict[str, int]) -> None:
        """Counters accepted before a restart (per sender key): nothing at or below is new."""
        for key, top in highest.items():
            self._seen[key] = _Seen(top, (1 << REPLAY_WINDOW) - 1)

    def check(self, msg: Message) -> tuple[RosterDevice | None, str | None]:
        """(sender, None) if the message may be believed, else (sender or None, reason)."""
        if msg.sender == self.me:
            return None, "self"
        dev = self.roster.devices.get(msg.sender)
        if dev is None:
            return None, "unknown_device"
        if dev.revoked or dev.status != "active":
            return dev, "revoked"
        if not verify_signature(msg, dev.public_key):
            return dev, "bad_signature"
        if msg.event_id != self.event_id or self.roster.event_id != self.event_id:
            return dev, "wrong_event"
        if abs(self.clock() - msg.sent_at) > self.window:
            return dev, "stale"
        if not self._seen.setdefault(dev.sender_key, _Seen()).fresh(msg.counter):
            return dev, "replayed"
        return dev, None

    def accept(self, dev: RosterDevice, msg: Message) -> None:
        """Remember the counter of a message that was believed (and acted on)."""
        self._seen.setdefault(dev.sender_key, _Seen()).take(msg.counter)
