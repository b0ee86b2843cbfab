"""Test factories: real events, keys, credentials and tokens, built with the real code.

Everything here uses real Ed25519 keys from a seeded generator so tests are
repeatable; nothing is mocked.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from nacl.signing import SigningKey

from gatescan.gate.verify.view import Movement, TicketRecord
from gatescan.protocol.manifest import ManifestWriter
from gatescan.protocol.policy import EventPolicy, Gate, TicketType, TimeSlot
from gatescan.protocol.token import (
    Credential,
    build_compact_token,
    build_token,
    key_id,
    sign_credential,
    step_for,
)

T0 = 1_790_000_000  # a fixed "now" for tests: 2026-09-21T14:13:20Z


def seeded_key(label: str) -> SigningKey:
    """A deterministic Ed25519 key for tests."""
    return SigningKey(hashlib.sha256(label.encode()).digest())


def demo_policy(event_id: int = 7) -> EventPolicy:
    """A policy with one of each ticket type the product supports."""
    return EventPolicy(
        event_id=event_id,
        name="Test Festival",
        rotation_period=30,
        clock_tolerance_steps=1,
        repeat_read_seconds=60,
        tz_offset_minutes=0,
        gates=(Gate("Gate 1", "main"), Gate("Gate 2", "main"), Gate("VIP Gate", "vip")),
        ticket_types=(
            TicketType(1, "General"),
            TicketType(2, "VIP", zones=("vip", "main")),
            TicketType(3, "Group of 3", max_entries=3),
            TicketType(4, "Afternoon slot", slot=TimeSlot(T0 - 3600, T0 + 3600, grace=600)),
            TicketType(5, "3-day pass", per_day=True),
            TicketType(6, "Re-entry", reentry=True),
            TicketType(7, "VIP lounge only", zones=("vip",)),
            TicketType(8, "Gate 2 only", gates=("Gate 2",)),
        ),
    )


@dataclass
class Phone:
    """A simulated wallet: the holder key and the signed credential it was given."""

    holder: SigningKey
    signed_credential: bytes
    credential: Credential

    def token(self, at: float, period: int = 30) -> str:
        """The code the phone shows at unix time `at`."""
        return build_token(self.signed_credential, self.holder, step_for(at, period))

    def compact(self, at: float, period: int = 30) -> str:
        """The compact v2 code the phone shows at unix time `at`."""
        return build_compact_token(self.signed_credential, self.holder, step_for(at, period))


@dataclass
class Issuer:
    """An event's issuer: signs credentials and manifests with a real Ed25519 key."""

    policy: EventPolicy = field(default_factory=demo_policy)
    key: SigningKey = field(default_factory=lambda: seeded_key("issuer-1"))

    @property
    def kid(self) -> bytes:
        return key_id(bytes(self.key.verify_key))

    @property
    def public(self) -> bytes:
        return bytes(self.key.verify_key)

    def issue(self, ticket_id: int, type_id: int = 1, serial: int = 0,
              valid_from: int = T0 - 86400, valid_until: int = T0 + 5 * 86400,
              holder_label: str | None = None, key: SigningKey | None = None) -> Phone:
        """Issue a credential to a fresh phone."""
        holder = seeded_key(holder_label or f"holder-{ticket_id}-{serial}")
        signer = key or self.key
        cred = Credential(key_id(bytes(signer.verify_key)), self.policy.event_id, ticket_id,
                          type_id, serial, valid_from, valid_until, bytes(holder.verify_key))
        return Phone(holder, sign_credential(cred, signer), cred)

    def manifest(self, tickets: list[tuple[int, int, int, str | None]],
                 revocations: list[tuple[int, int | None, str]] = (),  # type: ignore[assignment]
                 *, sequence: int = 1, extra_keys: list[bytes] = (),  # type: ignore[assignment]
                 credentials: list[bytes] = (), version: int = 2) -> bytes:  # type: ignore[assignment]
        """A signed manifest as bytes (`credentials`: signed credentials of claimed tickets)."""
        out = io.BytesIO()
        w = ManifestWriter(out, self.policy, [self.public, *extra_keys], self.key,
                           sequence=sequence, generated_at=T0, version=version)
        for t in tickets:
            w.ticket(*t)
        for r in revocations:
            w.revocation(*r)
        for c in credentials:
            w.credential(c)
        w.finish()
        return out.getvalue()

    def write_manifest(self, path: Path, tickets: list[tuple[int, int, int, str | None]],
                       **kw: object) -> Path:
        path.write_bytes(self.manifest(tickets, **kw))  # type: ignore[arg-type]
        return path


@dataclass
class DictView:
    """A LedgerView over plain dicts, for pure verifier tests."""

    issuer: Issuer
    tickets: dict[int, TicketRecord] = field(default_factory=dict)
    moves: dict[int, list[Movement]] = field(default_factory=dict)
    credentials: dict[int, bytes] = field(default_factory=dict)

    def event(self, event_id: int) -> EventPolicy | None:
        return self.issuer.policy if event_id == self.issuer.policy.event_id else None

    def issuer_keys(self, event_id: int, kid: bytes) -> list[bytes]:
        return [self.issuer.public] if kid == self.issuer.kid else []

    def ticket(self, ticket_id: int) -> TicketRecord | None:
        return self.tickets.get(ticket_id)

    def movements(self, ticket_id: int) -> list[Movement]:
        return list(self.moves.get(ticket_id, []))

    def credential(self, ticket_id: int) -> bytes | None:
        return self.credentials.get(ticket_id)
