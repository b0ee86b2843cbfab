"""Request and response bodies of the organizer (admin) routes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gatescan.server.api.types import (
    DeviceId,
    DeviceName,
    EventIdInt,
    Name,
    PublicKeyHex,
    ShortText,
    TicketIdHex,
    TypeId,
    UnixTime,
)


class Strict(BaseModel):
    """A request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class GateIn(Strict):
    """A gate (turnstile lane), the zone it opens into, and its own repeat window if any."""

    name: Name
    zone: Name = "main"
    repeat_read_seconds: int | None = Field(
        None, ge=0, le=3600,
        description="seconds in which the same ticket again at this gate is a repeat read "
                    "(null: the event's)")


class SlotIn(Strict):
    """A time-slot window with grace on both sides."""

    start: UnixTime
    end: UnixTime
    grace: int = Field(0, ge=0, le=86400)


class TicketTypeIn(Strict):
    """A ticket type's admission rules (see docs/manifest-format.md)."""

    id: TypeId
    name: Name
    zones: list[Name] = Field(default_factory=list, max_length=50)
    gates: list[Name] = Field(default_factory=list, max_length=200)
    slot: SlotIn | None = None
    max_entries: int = Field(1, ge=1, le=100_000)
    per_day: bool = False
    reentry: bool = False


class EventIn(Strict):
    """An event's name and policy: rotation, clock tolerance, gates and zones, ticket types."""

    name: Name
    rotation_period: int = Field(30, ge=1, le=3600)
    clock_tolerance_steps: int = Field(1, ge=0, le=100)
    repeat_read_seconds: int = Field(
        60, ge=0, le=3600,
        description="seconds in which the same ticket again at the same gate is a repeat "
                    "read (shown blue, not admitted, not refused)")
    tz: str | None = Field(
        None, max_length=64, examples=["Europe/Berlin"],
        description="IANA time zone of the event: times shown and day boundaries follow it "
                    "(daylight saving included); unknown zones are refused")
    tz_offset_minutes: int = Field(
        0, ge=-1440, le=1440,
        description="fixed offset for gates older than `tz`; with `tz` and no offset given, "
                    "the zone's offset now")
    attendee_data: bool = Field(
        False, description="the manifest carries attendee names and order codes, so gates "
                           "can find a ticket by them (off: minimal data on the gates)")
    admit_unlisted: bool = True
    gates: list[GateIn] = Field(default_factory=list, max_length=200)
    ticket_types: list[TicketTypeIn] = Field(default_factory=list, max_length=1000)


class KeyOut(BaseModel):
    """An issuer public key of an event (private keys never leave the server)."""

    kid: str
    public_key: str
    state: Literal["active", "retired"]
    created_at: int


class EventOut(BaseModel):
    """An event with its policy and trusted public keys."""

    event_id: int
    name: str
    created_at: int
    manifest_sequence: int
    policy: dict[str, Any]
    keys: list[KeyOut]
    server_time: float


class EventList(BaseModel):
    """Every event, most recent first."""

    events: list[EventOut]
    server_time: float


class TicketIn(Strict):
    """One ticket to issue to a holder's public key (the phone keeps the private half)."""

    type_id: TypeId
    holder_public_key: PublicKeyHex
    valid_from: UnixTime
    valid_until: UnixTime
    seat: ShortText | None = None
    holder_name: str | None = Field(
        None, min_length=1, max_length=200,
        description="attendee name; gates get it only if the event has attendee_data")
    order_code: str | None = Field(
        None, min_length=1, max_length=64,
        description="order code; gates get it only if the event has attendee_data")


class BulkIn(Strict):
    """Up to 10,000 tickets to issue in one transaction."""

    tickets: list[TicketIn] = Field(min_length=1, max_length=10_000)


class IssuedOut(BaseModel):
    """A signed credential for the holder's phone (hex of the 125-byte credential)."""

    ticket_id: TicketIdHex
    event_id: int
    type_id: int
    serial: int
    seat: str | None
    valid_from: int
    valid_until: int
    kid: str
    credential: str


class IssuedOne(IssuedOut):
    """One issued ticket."""

    server_time: float


class BulkOut(BaseModel):
    """Issued tickets, in request order."""

    tickets: list[IssuedOut]
    server_time: float


class TicketOut(BaseModel):
    """A ticket's current state."""

    ticket_id: TicketIdHex
    event_id: int
    type_id: int
    serial: int
    seat: str | None
    status: Literal["valid", "revoked"]
    valid_from: int
    valid_until: int
    revoked_reason: str | None
    server_time: float


class RevokedOut(TicketOut):
    """A revoked ticket; `already_revoked` when nothing changed."""

    already_revoked: bool


class RevokeIn(Strict):
    """Why a ticket is revoked (shown at the gate)."""

    reason: Name = "refund"


class TransferIn(Strict):
    """The new holder's public key."""

    holder_public_key: PublicKeyHex


class DeviceIn(Strict):
    """A new gate device."""

    name: DeviceName
    gate: Name | None = None


class DevicePatch(Strict):
    """Rename a device and/or move it to another gate."""

    name: DeviceName | None = None
    gate: Name | None = None


class ChainCheckpointOut(BaseModel):
    """The highest place in the gate's hash-chained scan log it pushed since it enrolled."""

    seq: int = Field(description="the scan's `seq` in the gate's log")
    hash: str = Field(description="that scan's chain hash (64 hex digits)")
    at: float = Field(description="when the server received it")


class ChainMismatchOut(BaseModel):
    """The first pushed scan whose place in the gate's chain disagreed with an earlier push."""

    seq: int | None = Field(description="the `seq` the scan was pushed with")
    scan_id: str
    pushed_hash: str | None
    stored_seq: int | None = Field(description="`seq` of the scan stored there before")
    stored_hash: str | None
    stored_scan_id: str
    detected_at: float


class DeviceOut(BaseModel):
    """A gate device (its token is never shown after enrollment)."""

    device_id: DeviceId
    event_id: int
    name: str
    gate: str | None
    status: Literal["pending", "active", "revoked"]
    created_at: float
    enrolled_at: float | None
    revoked_at: float | None
    last_seen_at: float | None
    chain: ChainCheckpointOut | None = Field(
        None, description="checkpoint of the gate's scan log (null: nothing pushed yet)")
    chain_mismatch: ChainMismatchOut | None = Field(
        None, description="set when the gate's scan log was rewritten, cut short or replaced")
    chain_mismatches: int = Field(0, description="how many pushed scans disagreed")
    server_rollback: dict[str, Any] | None = Field(
        None, description="set when this gate found the server behind what it had "
                          "acknowledged (restored from an older backup): the first report, "
                          "`reports`, `last_at`, `resent` (docs/operations.md)")
    app_version: str | None = Field(
        None, description="the gate's app version at its latest request (null: never said)")
    pending_uploads: int | None = Field(
        None, description="scans the gate still held unsent at its latest request")
    mesh_heard: dict[str, Any] | None = Field(
        None, description="the mesh peers it heard, as it said at its latest roster renewal: "
                          "`reported_at`, `peers` [{`device_id`, `at` (last heard), `lag` "
                          "(its scans not held yet)}] (null: never said; docs/mesh.md)")


class DeviceOne(DeviceOut):
    """One device."""

    server_time: float


class DeviceRevoked(DeviceOut):
    """A revoked device; `already_revoked` when nothing changed."""

    already_revoked: bool
    server_time: float


class DeviceList(BaseModel):
    """Devices of an event."""

    devices: list[DeviceOut]
    server_time: float


class EnrollmentOut(BaseModel):
    """A one-time enrollment code (shown only here) and the handshake text its QR carries."""

    device: DeviceOut
    code: str
    expires_at: float
    handshake: str
    server_time: float


class CountsOut(BaseModel):
    """Scan counts of an event."""

    event_id: EventIdInt
    total: int
    admitted: int
    conflicts: int
    by_gate: dict[str, dict[str, int]]
    by_type: dict[str, dict[str, int]]
    by_outcome: dict[str, int]
    time_flagged: int = Field(0, description="scans whose device time is implausible "
                              "(counted, but left out of the timeline)")
    server_time: float


class ScanOut(BaseModel):
    """A stored scan as the organizer sees it."""

    scan_id: str
    ticket_id: str
    serial: int
    gate: str
    direction: str
    outcome: str
    device_time: float
    received_at: float
    device_id: str | None
    device_name: str | None
    source: str | None
    via: str
    time_flag: Literal["early", "late"] | None = Field(
        None, description="set when the device time is implausible (docs/sync-protocol.md)")


class ConflictOut(BaseModel):
    """A ticket admitted more often than its type allows, with its first 100 scans."""

    ticket_id: str
    type_id: int | None
    ticket_type: str
    entries: int
    allowed: int
    detected_at: float
    scans: list[ScanOut]


class ConflictList(BaseModel):
    """Conflicts of an event, newest first."""

    conflicts: list[ConflictOut]
    server_time: float


class TimelinePoint(BaseModel):
    """Admitted entries per gate in one bucket starting at `start`."""

    start: int
    counts: dict[str, int]


class TimelineOut(BaseModel):
    """Admitted entries per bucket (default five minutes) and gate: at most 400 buckets."""

    bucket: int
    gates: list[str]
    series: list[TimelinePoint]
    start: int | None = Field(None, description="the first bucket's start (None: no entries)")
    end: int | None = Field(None, description="the end of the last bucket")
    clipped: int = Field(0, description="entries before `start` left out (the latest 400 "
                         "buckets are shown)")
    server_time: float


class HealthOut(BaseModel):
    """The server is up; its clock."""

    status: Literal["ok"]
    version: str
    server_time: float
