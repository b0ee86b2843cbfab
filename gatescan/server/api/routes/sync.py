"""Gate routes: enroll, who am I, the mesh roster, the manifest, the change feed, pushing scans."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from gatescan.protocol.wire import MAX_PUSH_ADVERTISED, MAX_PUSH_HEADER, PushAnswer, ServerView
from gatescan.server import devices, feed, ingest, instance
from gatescan.server.api import sync_models as sm
from gatescan.server.api.deps import DeviceDep, SettingsDep, StoreDep
from gatescan.server.api.errors import ApiError, error_response, error_responses
from gatescan.server.api.limits import RateLimiter, retry_after, source_of
from gatescan.server.api.routes.events import MANIFEST_DOC, manifest_response
from gatescan.server.api.scan_items import ItemChecker
from gatescan.server.errors import IssuerError
from gatescan.server.settings import ServerSettings

log = logging.getLogger(__name__)

AUTH_ERRORS = error_responses(401, 403)
# Failed enrollment attempts: 10 at once per source address, then one every 6 s; and 10 a
# second from all sources together (codes have ~59 bits and expire: guessing stays
# hopeless). A successful one is refunded, so enrolling 100 gates behind one NAT works.
ENROLL_BURST, ENROLL_EVERY = 10, 6.0
ENROLL_ALL_BURST, ENROLL_ALL_EVERY = 60, 0.1


def router() -> APIRouter:
    """The device-side routes."""
    r = APIRouter(prefix="/api/v1/device", tags=["gate"])
    checker = ItemChecker()
    per_source = RateLimiter(ENROLL_BURST, ENROLL_EVERY)
    everyone = RateLimiter(ENROLL_ALL_BURST, ENROLL_ALL_EVERY, max_sources=1)

    @r.post("/enroll", response_model=sm.EnrollOut,
            responses=error_responses(403, 404, 409, 410, 422, 429))
    def enroll(body: sm.EnrollIn, store: StoreDep, request: Request) -> sm.EnrollOut | Response:
        """Trade the one-time enrollment code for a device token (returned only here).

        Failed attempts are rate-limited per source address: 429 with `Retry-After`."""
        source = source_of(request.client.host if request.client else None)
        wait = per_source.take(source)
        if not wait:
            wait = everyone.take("*")
            if wait:
                per_source.refund(source)
        if wait:
            log.debug("enrollment attempt from %s rate-limited", source)
            return error_response(429, "rate_limited", "too many enrollment attempts: wait "
                                  "and retry", {"Retry-After": retry_after(wait)})
        try:
            device, token = devices.enroll(store, body.code, now=time.time())
        except IssuerError as exc:
            # Never the code itself: a near miss would give most of it away.
            log.warning("enrollment refused (%s) from %s", exc.code, source)
            raise
        per_source.refund(source)
        everyone.refund("*")
        event = store.event(device.event_id)
        keys = [sm.EnrollKeyOut(kid=k.kid.hex(), fingerprint=hashlib.sha256(k.public_key)
                                .hexdigest(), state="active" if k.state == "active"
                                else "retired") for k in store.keys(device.event_id)]
        return sm.EnrollOut(device_id=device.device_id, device_token=token,
                            event_id=device.event_id, event_name=event.name if event else "",
                            gate=device.gate, issuer_keys=keys, server_time=time.time())

    @r.get("/me", response_model=sm.MeOut, responses=AUTH_ERRORS)
    def me(device: DeviceDep, store: StoreDep, settings: SettingsDep,
           response: Response) -> sm.MeOut:
        """The asking device (its gate may have been changed by the organizer), and what the
        server holds of its scan log (`server`: checked by the gate before it pushes)."""
        response.headers.update(push_limit_header(settings))
        return sm.MeOut(device_id=device.device_id, event_id=device.event_id, name=device.name,
                        gate=device.gate, status="active",
                        server=instance.server_view(store, device.device_id),
                        server_time=time.time())

    @r.post("/mesh", response_model=sm.MeshOut, responses=error_responses(401, 403, 409, 422))
    def mesh(body: sm.MeshIn, device: DeviceDep, store: StoreDep,
             request: Request) -> sm.MeshOut:
        """Announce this gate's mesh key and address; the event's device keys and revocations."""
        address = body.address
        if address is not None and address.rsplit(":", 1)[0] in ("0.0.0.0", "[::]"):
            host = request.client.host if request.client else "127.0.0.1"
            address = f"{host}:{address.rsplit(':', 1)[1]}"
        devices.register_mesh(store, device.device_id, body.public_key, address,
                              now=time.time(), heard=body.heard)
        roster = devices.mesh_roster(store, device.event_id)
        return sm.MeshOut(event_id=device.event_id,
                          devices=[sm.MeshDeviceOut(**d.to_json()) for d in roster],
                          server_time=time.time())

    @r.get("/manifest", response_class=Response, responses={**MANIFEST_DOC, **AUTH_ERRORS})
    def manifest(device: DeviceDep, store: StoreDep) -> Response:
        """The event's signed manifest; `X-Gatescan-Cursor` is where the feed continues."""
        return manifest_response(store, device.event_id)

    @r.get("/changes", response_model=None,
           responses={200: {"model": sm.ChangesOut},
                      **error_responses(400, 401, 403, 409, 422)})
    def changes(device: DeviceDep, store: StoreDep, settings: SettingsDep,
                cursor: Annotated[str, Query(description="opaque, as the server gave it; '0' "
                                             "for everything (malformed: 400 bad_cursor)")
                                  ] = "0",
                limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
                own: Annotated[bool, Query(description="include the asking device's own "
                                           "scans (a gate rebuilding its ledger)")] = False,
                ) -> JSONResponse:
        """Changes after `cursor`: tickets, transfers, revocations, keys, policy, other scans."""
        page = feed.page(store, device.event_id, device.device_id, feed.Cursor.parse(cursor),
                         min(limit, settings.max_page), own=own)
        server = ServerView.from_json(instance.server_view(store, device.device_id))
        return JSONResponse(page.to_wire(server, time.time()).to_json(),
                            headers=push_limit_header(settings))

    @r.post("/scans", response_model=None,
            responses={200: {"model": sm.PushOut}, **error_responses(401, 403, 413, 422)})
    def push(body: sm.PushIn, device: DeviceDep, store: StoreDep,
             settings: SettingsDep) -> JSONResponse:
        """Store a batch of scans: one result per item, idempotent by (device, `scan_id`)."""
        if len(body.scans) > settings.max_push:
            raise ApiError(413, "too_large", f"at most {settings.max_push} scans per push")
        event = store.event(device.event_id)
        if event is None:
            raise ApiError(404, "unknown_event", f"no event {device.event_id}")
        items = checker.check_push(body.scans, policy=event.policy, device_id=device.device_id,
                                   device_gate=device.gate)
        results = ingest.ingest(store, device.event_id, items, via="push", now=time.time())
        answer = PushAnswer(tuple(sm.push_result(x) for x in results),
                            ServerView.from_json(instance.server_view(store, device.device_id)),
                            time.time())
        return JSONResponse(answer.to_json(), headers=push_limit_header(settings))

    return r


def push_limit_header(settings: ServerSettings) -> dict[str, str]:
    """Tells the gate how many scans it may push at once (a gate from before the header,
    or one that reads none, keeps to `wire.MAX_PUSH`)."""
    return {MAX_PUSH_HEADER: str(max(1, min(settings.max_push, MAX_PUSH_ADVERTISED)))}
