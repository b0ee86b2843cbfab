"""Request and response bodies of the wallet routes (see docs/wallet.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gatescan.server.api.types import PublicKeyHex, ShortText, TicketIdHex, TypeId, UnixTime

ClaimToken = Annotated[str, StringConstraints(pattern=r"^gsw_[A-Za-z0-9_-]{43}$"),
                       Field(description="the one-time claim token from the link's fragment")]
SignatureHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{128}$"),
                         Field(description="Ed25519 signature, 128 lowercase hex digits")]
CredentialHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{250}$"),
                          Field(description="the 125-byte signed credential, lowercase hex")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClaimIn(_Strict):
    """A phone claims a ticket: its new public key and proof it holds the private half."""

    claim: ClaimToken
    holder_public_key: PublicKeyHex
    proof: SignatureHex = Field(description='Ed25519(holder key, "GATESCAN/v1/wallet/claim" '
                                            "‖ claim token as ASCII)")


class HolderRequestIn(_Strict):
    """A request signed by the holder key over `domain ‖ credential ‖ u32 at`."""

    credential: CredentialHex
    at: UnixTime
    signature: SignatureHex


class TicketFacts(BaseModel):
    """What the wallet page shows: event, type, slot, seat, validity, rotation period."""

    ticket_id: TicketIdHex
    event_id: int
    event_name: str
    type_id: int
    type_name: str
    seat: str | None
    serial: int
    valid_from: int
    valid_until: int
    slot_start: int | None
    slot_end: int | None
    rotation_period: int
    tz: str | None = Field(description="IANA time zone of the event (null: fixed offset only)")
    tz_offset_minutes: int


class ClaimOut(BaseModel):
    """The phone's signed credential (hex of 125 bytes) and the ticket's facts."""

    credential: str
    ticket: TicketFacts
    again: bool = Field(description="true: this phone had already claimed it (same key)")
    server_time: float


class UsedOut(BaseModel):
    """The ticket's first admission: when (device time, unix seconds) and at which gate."""

    at: float
    gate: str


class StatusOut(BaseModel):
    """Whether the phone still holds the ticket, and whether it was used (no transfer then)."""

    state: Literal["current", "superseded", "revoked"]
    ticket: TicketFacts
    transfer_pending: bool
    used: UsedOut | None = None
    compact_ready: bool = Field(False, description="true: every active gate of the event has "
                                "synced this credential, so the short (v2, GS2:) code verifies "
                                "there; false: show the full code (GS1:)")
    server_time: float


class LinkOut(BaseModel):
    """A one-time link a phone opens to claim the ticket (shown once)."""

    ticket_id: TicketIdHex
    kind: Literal["issue", "transfer"]
    url: str
    expires_at: float
    server_time: float


class WalletTicketIn(_Strict):
    """A ticket to issue for a phone that will claim it with a link."""

    type_id: TypeId
    valid_from: UnixTime
    valid_until: UnixTime
    seat: ShortText | None = None
