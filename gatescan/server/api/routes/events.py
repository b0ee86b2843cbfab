"""Organizer routes: events, their policy and issuer keys, and the signed manifest."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from gatescan.protocol.clock import UnknownZoneError, offset_minutes
from gatescan.protocol.policy import EventPolicy, PolicyError, plan_problems
from gatescan.server import feed, issuer
from gatescan.server.api import models as m
from gatescan.server.api.deps import AdminDep, StoreDep, event_or_404
from gatescan.server.api.errors import ApiError, error_responses
from gatescan.server.api.views import event_out
from gatescan.server.manifests import current_manifest

EventId = Annotated[int, Path(ge=1, le=0xFFFFFFFF, description="event id (u32)")]
MANIFEST_TYPE = "application/x-ndjson"


def _policy(body: m.EventIn, event_id: int) -> EventPolicy:
    doc = body.model_dump()
    doc["event_id"] = event_id
    try:
        if body.tz is not None and "tz_offset_minutes" not in body.model_fields_set:
            doc["tz_offset_minutes"] = offset_minutes(body.tz, time.time())
    except UnknownZoneError as exc:
        raise ApiError(422, "bad_policy", str(exc)) from None
    try:
        policy = EventPolicy.from_dict(json.loads(json.dumps(doc)))
    except PolicyError as exc:
        raise ApiError(422, "bad_policy", str(exc)) from None
    problems = plan_problems(policy)  # a ticket type no gate could admit
    if problems:
        raise ApiError(422, "bad_plan", "; ".join(problems))
    return policy


def manifest_response(store: StoreDep, event_id: int) -> Response:
    """The event's current signed manifest with its cursor and sequence headers."""
    served = current_manifest(store, event_id, now=int(time.time()))
    return Response(served.body, media_type=MANIFEST_TYPE, headers={
        "X-Gatescan-Cursor": feed.manifest_cursor(store, served.cursor),
        "X-Gatescan-Manifest-Sequence": str(served.sequence),
        "Content-Disposition": f'attachment; filename="{event_id}.gsm"'})


MANIFEST_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {MANIFEST_TYPE: {"schema": {"type": "string"}}},
          "description": "the signed manifest (docs/manifest-format.md)"}}


def router() -> APIRouter:
    """The event routes."""
    r = APIRouter(prefix="/api/v1/admin/events", tags=["organizer: events"],
                  responses=error_responses(401, 403, 422))

    @r.post("", status_code=201, response_model=m.EventOut)
    def create_event(body: m.EventIn, store: StoreDep, _: AdminDep) -> m.EventOut:
        """Create an event with its policy and a fresh issuer key."""
        draft = _policy(body, 1)  # refuse what a gate would refuse before touching the store
        policy = issuer.create_event(
            store, draft.name, gates=draft.gates, ticket_types=draft.ticket_types,
            rotation_period=draft.rotation_period,
            clock_tolerance_steps=draft.clock_tolerance_steps,
            repeat_read_seconds=draft.repeat_read_seconds,
            tz_offset_minutes=draft.tz_offset_minutes, tz=draft.tz,
            attendee_data=draft.attendee_data, admit_unlisted=draft.admit_unlisted)
        return event_out(store, event_or_404(store, policy.event_id))

    @r.get("", response_model=m.EventList)
    def list_events(store: StoreDep, _: AdminDep) -> m.EventList:
        """Every event, most recent first."""
        return m.EventList(events=[event_out(store, e) for e in store.events()],
                           server_time=time.time())

    @r.get("/{event_id}", response_model=m.EventOut, responses=error_responses(404))
    def get_event(event_id: EventId, store: StoreDep, _: AdminDep) -> m.EventOut:
        """One event with its policy and public keys."""
        return event_out(store, event_or_404(store, event_id))

    @r.put("/{event_id}", response_model=m.EventOut, responses=error_responses(404, 409))
    def update_event(event_id: EventId, body: m.EventIn, store: StoreDep,
                     _: AdminDep) -> m.EventOut:
        """Replace the event's name and policy; gates get it as a `policy` change."""
        event_or_404(store, event_id)
        issuer.update_policy(store, _policy(body, event_id))
        return event_out(store, event_or_404(store, event_id))

    @r.post("/{event_id}/keys", status_code=201, response_model=m.EventOut,
            responses=error_responses(404))
    def rotate_key(event_id: EventId, store: StoreDep, _: AdminDep) -> m.EventOut:
        """Add a new active issuer key; earlier keys stay trusted for their tickets."""
        event_or_404(store, event_id)
        issuer.rotate_key(store, event_id)
        return event_out(store, event_or_404(store, event_id))

    @r.get("/{event_id}/manifest", response_class=Response,
           responses={**MANIFEST_DOC, **error_responses(404)})
    def get_manifest(event_id: EventId, store: StoreDep, _: AdminDep) -> Response:
        """The signed manifest for USB preload (cached until the event changes)."""
        event_or_404(store, event_id)
        return manifest_response(store, event_id)

    return r
