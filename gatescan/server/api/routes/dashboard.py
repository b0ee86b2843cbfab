"""The organizer dashboard: login with the admin token, then a read-only page per event."""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from gatescan.server import admins, dashboard, devices, reports
from gatescan.server.api.deps import SESSION_COOKIE, SettingsDep, StoreDep
from gatescan.server.api.errors import ApiError
from gatescan.server.console import events as console_events
from gatescan.server.store import IssuerStore

MAX_FORM = 4096
Session = Annotated[str | None, Cookie(alias=SESSION_COOKIE, max_length=200)]
EventQuery = Annotated[int | None, Query(alias="event", ge=1, le=0xFFFFFFFF)]
LOGIN_DOC = {"requestBody": {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": {
        "type": "object", "properties": {"token": {"type": "string"}},
        "required": ["token"]}}}}}
HTML_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "an HTML page"},
    303: {"description": "not signed in: to the login page"}}


def _admin(store: IssuerStore, session: str | None) -> str | None:
    if not session or not session.isascii():
        return None
    return admins.session_admin(store, session, now=time.time())


def _to_login() -> RedirectResponse:
    return RedirectResponse("/dashboard/login", status_code=303)


def _render(store: IssuerStore, event_id: int | None) -> str:
    active = set(console_events.active_ids(store))
    events = [e for e in store.events() if e.event_id in active or e.event_id == event_id]
    if not events:
        return dashboard.no_event_page()
    if event_id is None and len(events) > 1:  # which event is never guessed: choose one
        return dashboard.choose_event_page([(e.event_id, e.name) for e in events])
    event = next((e for e in events if e.event_id == event_id), events[0])
    if event_id is not None and event.event_id != event_id:
        raise ApiError(404, "unknown_event", f"no event {event_id}")
    policy = event.policy
    return dashboard.dashboard_page(
        [(e.event_id, e.name) for e in events], event.event_id, event.name,
        policy, reports.counts(store, event.event_id, policy),
        reports.timeline(store, event.event_id, max_gates=len(dashboard.COLORS)),
        reports.conflicts(store, event.event_id, policy, limit=dashboard.MAX_CONFLICTS),
        [(d.name, d.server_rollback) for d in devices.list_devices(store, event.event_id)
         if d.server_rollback is not None])


def router() -> APIRouter:
    """The dashboard routes (HTML)."""
    r = APIRouter(prefix="/dashboard", tags=["organizer: dashboard"])

    @r.get("", response_class=HTMLResponse, responses=HTML_DOC)
    def page(store: StoreDep, session: Session = None, event: EventQuery = None) -> Response:
        """The dashboard of an event (without `event`: the only active one, else a chooser)."""
        if _admin(store, session) is None:
            return _to_login()
        return HTMLResponse(_render(store, event))

    @r.get("/scans.csv", response_class=StreamingResponse, responses={
        200: {"content": {"text/csv": {}}, "description": "the scan log"},
        303: {"description": "not signed in: to the login page"}})
    def csv(store: StoreDep, event: Annotated[int, Query(ge=1, le=0xFFFFFFFF)],
            session: Session = None) -> Response:
        """The event's scan log as CSV, for a signed-in dashboard."""
        if _admin(store, session) is None:
            return _to_login()
        found = store.event(event)
        if found is None:
            raise ApiError(404, "unknown_event", f"no event {event}")
        return StreamingResponse(reports.scans_csv(store, event, found.policy),
                                 media_type="text/csv")

    @r.get("/login", response_class=HTMLResponse, responses=HTML_DOC)
    def login_form() -> HTMLResponse:
        """The login form."""
        return HTMLResponse(dashboard.login_page())

    @r.post("/login", response_class=HTMLResponse, openapi_extra=LOGIN_DOC,
            responses={303: {"description": "signed in: to the dashboard"},
                       401: {"content": {"text/html": {}}, "description": "wrong token"}})
    async def login(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
        """Sign in with the admin token; sets an HttpOnly session cookie."""
        raw = await request.body()
        try:
            form = parse_qs(raw[:MAX_FORM].decode("utf-8", "replace"), max_num_fields=5)
        except ValueError:  # too many fields: not our form
            form = {}
        token = (form.get("token") or [""])[0].strip()
        token_id = None
        if token and token.isascii() and len(token) <= 200:
            token_id = await run_in_threadpool(admins.admin_for_token, store, token)
        if token_id is None:
            return HTMLResponse(dashboard.login_page("That is not a valid admin token."),
                                status_code=401)
        session = await run_in_threadpool(admins.new_session, store, token_id,
                                          ttl=settings.session_ttl, now=time.time())
        response = RedirectResponse("/dashboard", status_code=303)
        response.set_cookie(SESSION_COOKIE, session, max_age=settings.session_ttl,
                            httponly=True, samesite="strict", path="/dashboard",
                            secure=request.url.scheme == "https")
        return response

    @r.post("/logout", responses={303: {"description": "signed out"}})
    def logout(store: StoreDep, session: Session = None) -> Response:
        """Sign out (forget the session)."""
        if session and session.isascii():
            admins.end_session(store, session)
        response = _to_login()
        response.delete_cookie(SESSION_COOKIE, path="/dashboard")
        return response

    return r
