"""Route dependencies: the store, the settings, and who is asking (admin or device)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gatescan.protocol.device_report import APP_HEADER, PENDING_HEADER, read_report
from gatescan.server import admins, devices
from gatescan.server.api.errors import ApiError
from gatescan.server.authtokens import ADMIN_PREFIX, DEVICE_PREFIX
from gatescan.server.console import scopes
from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore, StoredEvent

MAX_TOKEN = 200
SESSION_COOKIE = "gatescan_session"

admin_scheme = HTTPBearer(scheme_name="AdminToken", auto_error=False,
                          description="`Authorization: Bearer gsa_…` (gatescan-server admin-token)")
device_scheme = HTTPBearer(scheme_name="DeviceToken", auto_error=False,
                           description="`Authorization: Bearer gsd_…` (from enrollment)")


def get_store(request: Request) -> IssuerStore:
    """The app's issuer store."""
    store: IssuerStore = request.app.state.store
    return store


def get_settings(request: Request) -> ServerSettings:
    """The app's settings."""
    settings: ServerSettings = request.app.state.settings
    return settings


StoreDep = Annotated[IssuerStore, Depends(get_store)]
SettingsDep = Annotated[ServerSettings, Depends(get_settings)]


def _token(creds: HTTPAuthorizationCredentials | None) -> str:
    if creds is None or not creds.credentials:
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer TOKEN")
    token = creds.credentials.strip()
    if len(token) > MAX_TOKEN or not token.isascii():
        raise ApiError(401, "unauthenticated", "not a valid token")
    return token


def require_admin(request: Request, store: StoreDep,
                  creds: Annotated[HTTPAuthorizationCredentials | None,
                                   Depends(admin_scheme)]) -> str:
    """The admin token id; 401 without a valid admin token, 403 for a device token or a
    token whose event scope or role does not cover the request."""
    token = _token(creds)
    if token.startswith(ADMIN_PREFIX):
        token_id = admins.admin_for_token(store, token)
        if token_id is not None:
            refusal = scopes.token_refusal(store, token_id, request.method, request.url.path,
                                           request.path_params)
            if refusal is not None:
                raise ApiError(403, "forbidden", refusal)
            return token_id
    elif token.startswith(DEVICE_PREFIX) and devices.device_for_token(
            store, token, now=time.time()) is not None:
        raise ApiError(403, "forbidden", "a device token cannot use organizer routes")
    raise ApiError(401, "unauthenticated", "unknown or revoked admin token")


def require_device(store: StoreDep, request: Request,
                   creds: Annotated[HTTPAuthorizationCredentials | None,
                                    Depends(device_scheme)]) -> devices.DeviceInfo:
    """The asking device; 401 unknown token, 403 `device_revoked`, 403 for an admin token.
    Notes the device's report (app version, pending uploads) from the request's headers."""
    token = _token(creds)
    if token.startswith(DEVICE_PREFIX):
        report = read_report(request.headers.get(APP_HEADER),
                             request.headers.get(PENDING_HEADER))
        device = devices.device_for_token(store, token, now=time.time(), report=report)
        if device is not None:
            if device.status == devices.REVOKED:
                raise ApiError(403, "device_revoked", "this device was revoked by the organizer:"
                               " wipe its event data")
            return device
    elif token.startswith(ADMIN_PREFIX) and admins.admin_for_token(store, token) is not None:
        raise ApiError(403, "forbidden", "an admin token cannot act as a gate device")
    raise ApiError(401, "unauthenticated", "unknown device token: enroll again")


AdminDep = Annotated[str, Depends(require_admin)]
DeviceDep = Annotated[devices.DeviceInfo, Depends(require_device)]


def event_or_404(store: IssuerStore, event_id: int) -> StoredEvent:
    """The event, or 404 `unknown_event`."""
    event = store.event(event_id)
    if event is None:
        raise ApiError(404, "unknown_event", f"no event {event_id}")
    return event
