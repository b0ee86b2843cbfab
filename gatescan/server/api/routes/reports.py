"""Organizer routes: counts, conflicts, entries over time, CSV export, and scan file import."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from gatescan.server import devices, ingest, reports
from gatescan.server.api import models as m
from gatescan.server.api import sync_models as sm
from gatescan.server.api.deps import AdminDep, StoreDep, event_or_404
from gatescan.server.api.errors import ApiError, error_responses
from gatescan.server.api.routes.events import EventId
from gatescan.server.api.scan_items import INVALID, ItemChecker, jsonl_items, refusal
from gatescan.server.ingest import ItemResult, ScanIn
from gatescan.server.store import IssuerStore

IMPORT_BATCH = 1000
MAX_IMPORT_LINES = 200_000
IMPORT_DOC = {"requestBody": {"required": True, "content": {
    "application/x-ndjson": {"schema": {"type": "string", "description": (
        "JSON Lines: one ScanItem object per line, optionally with `device_id`")}}}}}


def _import(store: IssuerStore, checker: ItemChecker, event_id: int, body: bytes,
            device_id: str | None) -> sm.ImportOut:
    policy = event_or_404(store, event_id).policy
    known = {d.device_id for d in devices.list_devices(store, event_id)}
    if device_id is not None and device_id not in known:
        raise ApiError(404, "unknown_device", f"event {event_id} has no device {device_id}")
    lines: list[int] = []
    items: list[ScanIn | ItemResult] = []
    for number, raw, error in jsonl_items(body):
        if len(lines) >= MAX_IMPORT_LINES:
            raise ApiError(413, "too_large", f"at most {MAX_IMPORT_LINES} lines per import")
        lines.append(number)
        items.append(refusal(None, INVALID, error) if error is not None else
                     checker.check(raw, policy=policy, device_id=device_id,
                                   known_devices=known))
    results: list[ItemResult] = []
    for start in range(0, len(items), IMPORT_BATCH):
        results += ingest.ingest(store, event_id, items[start:start + IMPORT_BATCH],
                                 via="import", now=time.time())
    out = [sm.ImportLineOut.model_validate(
               {"line": n, "scan_id": x.scan_id, "status": x.status, "conflict": x.conflict,
                "error": x.error, "code": x.code})
           for n, x in zip(lines, results, strict=True)]
    return sm.ImportOut(stored=sum(x.status == "stored" for x in out),
                        duplicate=sum(x.status == "duplicate" for x in out),
                        rejected=sum(x.status == "rejected" for x in out),
                        conflicts=sum(x.conflict for x in out), results=out,
                        server_time=time.time())


def router() -> APIRouter:
    """The report routes."""
    r = APIRouter(prefix="/api/v1/admin/events/{event_id}", tags=["organizer: reports"],
                  responses=error_responses(401, 403, 404, 422))
    checker = ItemChecker()

    @r.get("/report", response_model=m.CountsOut)
    def report(event_id: EventId, store: StoreDep, _: AdminDep) -> m.CountsOut:
        """Scan counts per gate, ticket type and outcome."""
        event = event_or_404(store, event_id)
        c = reports.counts(store, event_id, event.policy)
        return m.CountsOut(event_id=event_id, total=c.total, admitted=c.admitted,
                           conflicts=c.conflicts, by_gate=c.by_gate, by_type=c.by_type,
                           by_outcome=c.by_outcome, time_flagged=c.time_flagged,
                           server_time=time.time())

    @r.get("/conflicts", response_model=m.ConflictList)
    def conflicts(event_id: EventId, store: StoreDep, _: AdminDep) -> m.ConflictList:
        """Tickets admitted more often than allowed, with every scan of each."""
        event = event_or_404(store, event_id)
        found = reports.conflicts(store, event_id, event.policy)
        return m.ConflictList(conflicts=[m.ConflictOut(**c) for c in found],
                              server_time=time.time())

    @r.get("/timeline", response_model=m.TimelineOut)
    def timeline(event_id: EventId, store: StoreDep, _: AdminDep,
                 bucket: Annotated[int, Query(ge=60, le=86400)] = 300) -> m.TimelineOut:
        """Admitted entries per bucket (default five minutes, by gate time) and gate.

        At most 400 buckets (the latest) and 50 gate series; implausible device times
        are left out."""
        event_or_404(store, event_id)
        return m.TimelineOut(**reports.timeline(store, event_id, bucket), server_time=time.time())

    @r.get("/scans.csv", response_class=StreamingResponse,
           responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                            "description": "every scan, one row each"}})
    def scans_csv(event_id: EventId, store: StoreDep, _: AdminDep) -> StreamingResponse:
        """Every scan of the event as CSV (device time in unix seconds and UTC)."""
        event = event_or_404(store, event_id)
        return StreamingResponse(
            reports.scans_csv(store, event_id, event.policy), media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="scans-{event_id}.csv"'})

    @r.post("/scans/import", response_model=sm.ImportOut, openapi_extra=IMPORT_DOC,
            responses=error_responses(413))
    async def import_scans(event_id: EventId, request: Request, store: StoreDep, _: AdminDep,
                           device_id: Annotated[str | None, Query(
                               pattern=r"^dev_[0-9a-f]{12}$",
                               description="the gate the file came from")] = None,
                           ) -> sm.ImportOut:
        """Import a gate's exported scans (JSON Lines of scan items); idempotent like push."""
        await run_in_threadpool(event_or_404, store, event_id)
        body = await request.body()
        return await run_in_threadpool(_import, store, checker, event_id, body, device_id)

    return r
