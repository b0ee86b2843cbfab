"""Console pages: an event's gate devices. List them with what the server knows (online, last
seen, last upload, clock, repeat reads, conflicts), add one and show its enrollment QR on
screen (the gate's camera enrolls from the laptop), give a new QR, assign a gate, revoke.

Owner and staff may change devices; a viewer sees the list. The enrollment code is
shown once, on the page that made it, and never logged (the audit log names the device).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from gatescan.server import device_stats, devices
from gatescan.server.api.deps import SettingsDep, StoreDep
from gatescan.server.api.routes.devices import server_url
from gatescan.server.console import audit
from gatescan.server.console.roles import Role
from gatescan.server.console.web import (
    PREFIX,
    EventId,
    FormDep,
    NotFound,
    User,
    UserDep,
    event_or_404,
    render,
    see_other,
)
from gatescan.server.errors import IssuerError
from gatescan.server.handshake import active_fingerprints, handshake_text
from gatescan.server.server_url import is_loopback
from gatescan.server.store import IssuerStore

DeviceId = Annotated[str, Path(pattern=r"^dev_[0-9a-f]{12}$")]
FLASH = {"gate": "Gate assigned.", "revoked": "Device revoked: its token is refused from now on.",
         "already": "The device was already revoked."}


def qr_svg(text: str) -> str:
    """The enrollment QR as inline SVG, dark on white whatever the page's colours."""
    return str(segno.make(text, error="m").svg_inline(
        scale=6, border=4, dark="#000", light="#fff", omitsize=True,
        title="Enrollment QR code"))


def _device(store: IssuerStore, event_id: int, device_id: str) -> devices.DeviceInfo:
    try:
        found = devices.get_device(store, device_id)
    except IssuerError:
        raise NotFound() from None
    if found.event_id != event_id:
        raise NotFound()
    return found


def _log(store: IssuerStore, user: User, action: str, event_id: int, **details: Any) -> None:
    audit.record(store, user.session.email, action, event_id=event_id, details=details,
                 now=time.time())


def router() -> APIRouter:
    """The devices pages (included by the console's router, under its prefix)."""
    r = APIRouter(include_in_schema=False)

    def listing(request: Request, store: IssuerStore, user: User, event_id: int,
                status: int = 200, **extra: Any) -> Response:
        found = event_or_404(store, user, event_id)
        now = time.time()
        return render(request, "devices.html", user, status=status, title="Devices",
                      event=found, tab="devices", now=now,
                      rows=device_stats.event_devices(store, event_id, now=now),
                      gates=[g.name for g in found.event.policy.gates],
                      editable=user.can(event_id, Role.STAFF), **extra)

    @r.get("/events/{event_id}/devices", response_class=HTMLResponse)
    def list_devices(request: Request, event_id: EventId, store: StoreDep, user: UserDep,
                     done: str = "") -> Response:
        return listing(request, store, user, event_id, flash=FLASH.get(done))

    def enrollment(request: Request, store: IssuerStore, user: User, event_id: int,
                   made: devices.Enrollment, url: str) -> Response:
        text = handshake_text(url, made.code, active_fingerprints(store, event_id))
        return render(request, "device_enroll.html", user, title="Enroll a gate device",
                      event=event_or_404(store, user, event_id), tab="devices",
                      device=made.device, code=made.code, expires_at=made.expires_at,
                      handshake=text, qr=qr_svg(text), url=url, loopback=is_loopback(url))

    @r.post("/events/{event_id}/devices", response_class=HTMLResponse)
    def add_device(request: Request, event_id: EventId, store: StoreDep,
                   settings: SettingsDep, user: FormDep) -> Response:
        event_or_404(store, user, event_id)
        user.require(event_id, Role.STAFF)
        name, gate = user.value("name"), user.value("gate") or None
        try:
            made = devices.add_device(store, event_id, name, gate,
                                      ttl=settings.enroll_code_ttl, now=time.time())
        except IssuerError as exc:
            return listing(request, store, user, event_id, status=422, error=exc.message,
                           form_name=name[:100], form_gate=gate)
        _log(store, user, "device_add", event_id, device=made.device.device_id,
             name=made.device.name, gate=made.device.gate)
        return enrollment(request, store, user, event_id, made, server_url(settings, request))

    @r.post("/events/{event_id}/devices/{device_id}/code", response_class=HTMLResponse)
    def new_code(request: Request, event_id: EventId, device_id: DeviceId, store: StoreDep,
                 settings: SettingsDep, user: FormDep) -> Response:
        event_or_404(store, user, event_id)
        user.require(event_id, Role.STAFF)
        _device(store, event_id, device_id)
        try:
            made = devices.new_code(store, device_id, ttl=settings.enroll_code_ttl,
                                    now=time.time())
        except IssuerError as exc:
            return listing(request, store, user, event_id, status=422, error=exc.message)
        _log(store, user, "device_code", event_id, device=device_id)
        return enrollment(request, store, user, event_id, made, server_url(settings, request))

    @r.post("/events/{event_id}/devices/{device_id}/gate")
    def assign_gate(request: Request, event_id: EventId, device_id: DeviceId, store: StoreDep,
                    user: FormDep) -> Response:
        event_or_404(store, user, event_id)
        user.require(event_id, Role.STAFF)
        _device(store, event_id, device_id)
        gate = user.value("gate")
        try:
            moved = devices.update_device(store, device_id, gate=gate)
        except IssuerError as exc:
            return listing(request, store, user, event_id, status=422, error=exc.message)
        _log(store, user, "device_gate", event_id, device=device_id, gate=moved.gate)
        return see_other(f"{PREFIX}/events/{event_id}/devices?done=gate")

    @r.post("/events/{event_id}/devices/{device_id}/revoke")
    def revoke(event_id: EventId, device_id: DeviceId, store: StoreDep,
               user: FormDep) -> Response:
        event_or_404(store, user, event_id)
        user.require(event_id, Role.STAFF)
        _device(store, event_id, device_id)
        _, already = devices.revoke_device(store, device_id, now=time.time())
        if not already:
            _log(store, user, "device_revoke", event_id, device=device_id)
        return see_other(f"{PREFIX}/events/{event_id}/devices?done="
                         f"{'already' if already else 'revoked'}")

    return r
