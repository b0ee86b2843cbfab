"""Gate route: a gate reports that it found this server behind what it had acknowledged."""

from __future__ import annotations

import time
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from gatescan.server import instance
from gatescan.server.api.deps import DeviceDep, StoreDep
from gatescan.server.api.errors import error_responses

U63 = 2**63 - 1


class RollbackIn(BaseModel):
    """What the gate found: which check failed, what it had, what the server says now."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["scans", "cursor_ahead", "manifest", "instance"]
    gate_chain_seq: int | None = Field(None, ge=0, le=U63,
                                       description="highest own scan the server had acknowledged")
    server_chain_seq: int | None = Field(None, ge=0, le=U63,
                                         description="the server's checkpoint of this gate now")
    gate_cursor: str | None = Field(None, max_length=40, pattern=r"^[0-9.~a-f]+$")
    server_head: int | None = Field(None, ge=0, le=U63)
    gate_manifest_sequence: int | None = Field(None, ge=0, le=U63)
    server_manifest_sequence: int | None = Field(None, ge=0, le=U63)
    resent: int = Field(0, ge=0, le=U63, description="scans the gate marked unsent to push again")


class RollbackOut(BaseModel):
    """The device's rollback flag as the server now holds it."""

    server_rollback: dict[str, object]
    server_time: float


def router() -> APIRouter:
    """The rollback report route."""
    r = APIRouter(prefix="/api/v1/device", tags=["gate"])

    @r.post("/server-rollback", response_model=RollbackOut,
            responses=error_responses(401, 403, 422))
    def report(body: RollbackIn, device: DeviceDep, store: StoreDep) -> RollbackOut:
        """Flag this device: the server is behind what it acknowledged (restored backup?)."""
        found = instance.flag_rollback(store, device.device_id,
                                       body.model_dump(exclude_none=True), now=time.time())
        return RollbackOut(server_rollback=found, server_time=time.time())

    return r
