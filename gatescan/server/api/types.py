"""Validated field types shared by request and response models."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

# JSON may carry NUL, control characters or lone surrogates, which PostgreSQL refuses.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def _text(value: str) -> str:
    if _UNPRINTABLE.search(value):
        raise ValueError("must be printable text")
    return value.strip()


def _printable(value: str) -> str:
    value = _text(value)
    if not value:
        raise ValueError("must not be blank")
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=200),
                 AfterValidator(_printable)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=64),
                      AfterValidator(_printable)]
DeviceName = Annotated[str, StringConstraints(min_length=1, max_length=100),
                       AfterValidator(_printable)]
FreeText = Annotated[str, StringConstraints(max_length=300), AfterValidator(_text)]
TicketIdHex = Annotated[str, StringConstraints(pattern=r"^[0-7][0-9a-f]{15}$"),
                        Field(description="ticket id: 16 lowercase hex digits",
                              examples=["1f2e3d4c5b6a7988"])]
ScanIdHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$"),
                      Field(description="scan id (idempotency key): 32 lowercase hex digits")]
ChainHashHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$"),
                         Field(description="SHA-256, 64 lowercase hex digits")]
PublicKeyHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$"),
                         Field(description="Ed25519 public key, 64 lowercase hex digits")]
DeviceId = Annotated[str, StringConstraints(pattern=r"^dev_[0-9a-f]{12}$")]
UnixTime = Annotated[int, Field(ge=0, le=0xFFFFFFFF, description="unix seconds (u32)")]
DeviceTime = Annotated[float, Field(ge=0, le=0xFFFFFFFF, allow_inf_nan=False,
                                    description="unix seconds by the gate's clock")]
EventIdInt = Annotated[int, Field(ge=1, le=0xFFFFFFFF)]
TypeId = Annotated[int, Field(ge=0, le=0xFFFF)]
