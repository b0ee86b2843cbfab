"""Request and response bodies of the gate (device) routes, for validation and OpenAPI.

What goes over the wire is defined once, in `gatescan.protocol.wire`; these models
describe the same bodies for the OpenAPI document and validate pushed items with
per-field messages, and convert to and from the wire records (`ScanItem.to_wire`,
`push_result`). tests/server/test_wire_models.py checks that the two agree.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from gatescan.protocol.verdict import Outcome
from gatescan.protocol.wire import MAX_PUSH_ADVERTISED, PushedScan, PushResult
from gatescan.server.api.types import (
    ChainHashHex,
    DeviceId,
    DeviceTime,
    FreeText,
    Name,
    ScanIdHex,
    TicketIdHex,
)
from gatescan.server.ingest import ItemResult

# Items are validated one by one (ItemChecker: a batch of good ones in one pass), so a bad
# item rejects only itself.
RawItem = Annotated[Any, WithJsonSchema({"$ref": "#/components/schemas/ScanItem"})]


class EnrollIn(BaseModel):
    """The one-time enrollment code from the handshake QR (case, spaces and dashes ignored)."""

    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class EnrollKeyOut(BaseModel):
    """An issuer key of the event, by fingerprint: what a gate may pin its first manifest to."""

    kid: str = Field(description="key id, 8 hex digits")
    fingerprint: str = Field(description="SHA-256 of the 32-byte Ed25519 public key, 64 hex "
                             "digits (a pin `Ledger.import_manifest(expect_key=...)` accepts)")
    state: Literal["active", "retired"] = Field(
        description="the active key signs manifests; retired keys stay trusted for tokens")


class EnrollOut(BaseModel):
    """The device token (shown once: store it) and what the device is for."""

    device_id: DeviceId
    device_token: str
    event_id: int
    event_name: str
    gate: str | None
    issuer_keys: list[EnrollKeyOut] = Field(
        description="the event's issuer keys: pin the first manifest's signer to the active one")
    server_time: float


class MeOut(BaseModel):
    """The device as the server knows it."""

    device_id: DeviceId
    event_id: int
    name: str
    gate: str | None
    status: Literal["active"]
    server: dict[str, Any] | None = Field(
        None, description="`instance_id`, feed `head`, and `chain` (the highest place of this "
                          "gate's scan log the server holds): see docs/sync-protocol.md")
    server_time: float


class MeshIn(BaseModel):
    """A gate's mesh announcement: its device key (first one since enrollment) and address."""

    model_config = ConfigDict(extra="forbid")
    public_key: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        None, description="the device's own Ed25519 public key, 64 hex digits")
    address: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.:\[\]-]{1,80}:[0-9]{1,5}$"
                                              )] | None = Field(
        None, description="HOST:PORT its mesh listens on (HOST 0.0.0.0: the address the "
                          "request came from)")
    heard: Any = Field(
        None, description="the peers it heard: {\"dev_…\": {\"at\": UNIX, \"lag\": N}} (at most "
                          "64; an entry that does not parse, or names a device of another "
                          "event, is dropped)")


class MeshDeviceOut(BaseModel):
    """A device of the event that peers may trust (or must refuse, when revoked)."""

    device_id: DeviceId
    name: str
    gate: str | None
    status: Literal["pending", "active", "revoked"]
    public_key: str
    address: str | None
    address_at: float | None


class MeshOut(BaseModel):
    """The event's mesh roster: every device key, revoked ones marked (docs/mesh.md)."""

    event_id: int
    devices: list[MeshDeviceOut]
    server_time: float


class ScanItem(BaseModel):
    """One scan as the gate recorded it (a push item, or a line of an import file)."""

    model_config = ConfigDict(extra="ignore")
    scan_id: ScanIdHex
    ticket_id: TicketIdHex
    serial: int = Field(ge=0, le=0xFFFF)
    gate: Name
    direction: Literal["entry", "exit"]
    outcome: Outcome
    device_time: DeviceTime
    source: Annotated[str, StringConstraints(max_length=32,
                                             pattern=r"^[a-z0-9_.-]*$")] | None = None
    reason: FreeText | None = None
    event_id: int | None = Field(None, ge=1, le=0xFFFFFFFF,
                                 description="if given, must be the device's event")
    seq: int | None = Field(None, ge=1, le=2**63 - 1,
                            description="the scan's position in the gate's hash-chained log")
    hash: ChainHashHex | None = Field(None, description="the scan's chain hash in that log")

    @model_validator(mode="after")
    def _chain_pair(self) -> ScanItem:
        if (self.seq is None) != (self.hash is None):
            raise ValueError("seq and hash come together")
        return self

    def to_wire(self) -> PushedScan:
        """The validated item as the wire record (the pattern proved the ticket id's range)."""
        return PushedScan(self.scan_id, int(self.ticket_id, 16), self.serial, self.gate,
                          self.direction, self.outcome.value, self.device_time, self.source,
                          self.reason, self.seq, self.hash, self.event_id)


class ImportItem(ScanItem):
    """A line of a scan import file: a scan item, optionally naming the device that made it."""

    device_id: DeviceId | None = None


class PushIn(BaseModel):
    """A batch of scans; each item is checked on its own, so one bad item rejects only itself."""

    model_config = ConfigDict(extra="forbid")
    scans: list[RawItem] = Field(
        max_length=MAX_PUSH_ADVERTISED,
        description="scan items: see the ScanItem schema; each is validated on its own")


class ItemResultOut(BaseModel):
    """What became of one pushed item."""

    scan_id: str | None
    status: Literal["stored", "duplicate", "rejected"]
    conflict: bool
    error: str | None
    code: Literal["invalid", "wrong_event", "wrong_gate", "unknown_gate",
                  "unknown_device"] | None = Field(
        None, description="why a rejected item was refused (docs/sync-protocol.md)")


def push_result(result: ItemResult) -> PushResult:
    """What became of one pushed item, as the wire record the gate reads."""
    return PushResult(result.scan_id, result.status,  # type: ignore[arg-type]
                      result.conflict, result.error, result.code)


class PushOut(BaseModel):
    """One result per pushed item, in order."""

    results: list[ItemResultOut]
    server_time: float


class ImportLineOut(ItemResultOut):
    """What became of one row of an import file (1-based physical line)."""

    line: int
    status: Literal["stored", "duplicate", "rejected", "skipped"]  # type: ignore[assignment]
    code: Literal["invalid", "wrong_event", "wrong_gate", "unknown_gate", "unknown_device",
                  "remote", "unverified"] | None = Field(  # type: ignore[assignment]
        None, description="why a row was refused, or skipped (a CSV row of another gate's "
                          "scan: `remote`; of a code that did not verify: `unverified`)")


class ImportOut(BaseModel):
    """Totals and one result per non-empty line of the import file."""

    stored: int
    duplicate: int
    rejected: int
    skipped: int = 0
    conflicts: int
    results: list[ImportLineOut]
    server_time: float


class Change(BaseModel):
    """One change: `kind` says which fields are present (see docs/sync-protocol.md)."""

    model_config = ConfigDict(extra="allow")
    seq: int
    kind: Literal["ticket", "transfer", "revocation", "key", "policy", "scan", "conflict",
                  "credential"]


class ChangesOut(BaseModel):
    """A page of changes after the cursor; store `cursor`, repeat while `more`."""

    changes: list[Change]
    cursor: str
    more: bool
    server_time: float


__all__ = ["ChangesOut", "EnrollIn", "EnrollOut", "ImportOut", "MeOut", "PushIn", "PushOut",
           "ScanItem", "push_result"]
