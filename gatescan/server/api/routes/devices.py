"""Organizer routes: gate devices and their one-time enrollment codes."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Request

from gatescan.server import devices
from gatescan.server.api import models as m
from gatescan.server.api.deps import AdminDep, SettingsDep, StoreDep, event_or_404
from gatescan.server.api.errors import error_responses
from gatescan.server.api.routes.events import EventId
from gatescan.server.api.views import device_fields
from gatescan.server.handshake import active_fingerprints, handshake_text
from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore

DeviceId = Annotated[str, Path(pattern=r"^dev_[0-9a-f]{12}$", description="device id")]


def server_url(settings: ServerSettings, request: Request) -> str:
    """The URL gates should use: the configured public URL, else the one this request used."""
    return settings.public_url or str(request.base_url).rstrip("/")


def _enrollment(e: devices.Enrollment, url: str, store: IssuerStore) -> m.EnrollmentOut:
    keys = active_fingerprints(store, e.device.event_id)
    return m.EnrollmentOut(device=m.DeviceOut(**device_fields(e.device)), code=e.code,
                           expires_at=e.expires_at, handshake=handshake_text(url, e.code, keys),
                           server_time=time.time())


def router() -> APIRouter:
    """The device management routes."""
    r = APIRouter(prefix="/api/v1/admin", tags=["organizer: devices"],
                  responses=error_responses(401, 403, 404, 422))

    @r.post("/events/{event_id}/devices", status_code=201, response_model=m.EnrollmentOut,
            responses=error_responses(409))
    def add_device(event_id: EventId, body: m.DeviceIn, request: Request, store: StoreDep,
                   settings: SettingsDep, _: AdminDep) -> m.EnrollmentOut:
        """Create a device; the response holds its one-time enrollment code (shown once)."""
        event_or_404(store, event_id)
        e = devices.add_device(store, event_id, body.name, body.gate,
                               ttl=settings.enroll_code_ttl, now=time.time())
        return _enrollment(e, server_url(settings, request), store)

    @r.get("/events/{event_id}/devices", response_model=m.DeviceList)
    def list_devices(event_id: EventId, store: StoreDep, _: AdminDep) -> m.DeviceList:
        """The event's devices, oldest first."""
        event_or_404(store, event_id)
        return m.DeviceList(devices=[m.DeviceOut(**device_fields(d))
                                     for d in devices.list_devices(store, event_id)],
                            server_time=time.time())

    @r.get("/devices/{device_id}", response_model=m.DeviceOne)
    def get_device(device_id: DeviceId, store: StoreDep, _: AdminDep) -> m.DeviceOne:
        """One device."""
        return m.DeviceOne(**device_fields(devices.get_device(store, device_id)),
                           server_time=time.time())

    @r.patch("/devices/{device_id}", response_model=m.DeviceOne,
             responses=error_responses(409))
    def update_device(device_id: DeviceId, body: m.DevicePatch, store: StoreDep,
                      _: AdminDep) -> m.DeviceOne:
        """Rename a device and/or move it to another gate of its event."""
        d = devices.update_device(store, device_id, name=body.name, gate=body.gate)
        return m.DeviceOne(**device_fields(d), server_time=time.time())

    @r.post("/devices/{device_id}/revoke", response_model=m.DeviceRevoked)
    def revoke_device(device_id: DeviceId, store: StoreDep, _: AdminDep) -> m.DeviceRevoked:
        """Revoke a device for good: its token is refused with `device_revoked`."""
        d, already = devices.revoke_device(store, device_id, now=time.time())
        return m.DeviceRevoked(**device_fields(d), already_revoked=already,
                               server_time=time.time())

    @r.post("/devices/{device_id}/enrollment", status_code=201, response_model=m.EnrollmentOut)
    def new_code(device_id: DeviceId, request: Request, store: StoreDep, settings: SettingsDep,
                 _: AdminDep) -> m.EnrollmentOut:
        """A new one-time enrollment code (re-enrolling replaces the device token)."""
        e = devices.new_code(store, device_id, ttl=settings.enroll_code_ttl, now=time.time())
        return _enrollment(e, server_url(settings, request), store)

    return r
