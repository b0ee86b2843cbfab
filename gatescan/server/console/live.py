"""Console page: the live view of an event's doors, and the JSON it polls every few seconds.

`/console/events/ID/live` renders the current state on the server (readable with no
script); `static/live.js` then fetches `live.json` every `POLL_S` seconds and
redraws the figures, lanes, types and conflicts in place, with no reload. Any role
on the event may look (`gatescan.server.live` computes the figures). A view is
reused for up to `FRESH_S` seconds while nothing changed in the store (its change
counter), so twenty phones polling one event cost one set of queries.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gatescan.protocol.policy import EventPolicy
from gatescan.server import live
from gatescan.server.api.deps import StoreDep
from gatescan.server.console import i18n
from gatescan.server.console.web import EventId, UserDep, event_or_404, render
from gatescan.server.storage.changelog import current_seq
from gatescan.server.store import IssuerStore

POLL_S = 5
FRESH_S = 2.0


class RecentViews:
    """The latest live view per event, reused while younger than `FRESH_S` and nothing in
    the store changed since (no scan, ticket, revocation: the change counter stands)."""

    def __init__(self) -> None:
        self._views: dict[int, tuple[int, live.LiveView]] = {}
        self._lock = threading.Lock()

    def get(self, store: IssuerStore, event_id: int, policy: EventPolicy) -> live.LiveView:
        """The event's live view, computed now or at most FRESH_S ago with the same data."""
        now = time.time()
        with store.snapshot() as conn:
            version = current_seq(conn)
        with self._lock:
            found = self._views.get(event_id)
        if found is not None and found[0] == version and 0 <= now - found[1].now < FRESH_S:
            return found[1]
        view = live.live_view(store, event_id, policy, now=now)
        with self._lock:
            self._views[event_id] = (version, view)
        return view
# The words live.js writes, handed to it in the page's language.
WORDS = ("idle", "few scans", "full", "per min", "min", "max", "now", "arrivals",
         "throughput", "wait", "entries", "allowed", "no conflicts", "updated", "via import",
         "via push",
         "Signed out: reload the page to sign in again.",
         "No connection to the server: retrying.", "No gates yet.")


def words_json(lang: str) -> str:
    """The words as JSON that is safe inside a <script> element."""
    table = {w: i18n.translate(lang, w) for w in WORDS}
    return json.dumps(table, ensure_ascii=False).replace("<", "\\u003c").replace(
        "&", "\\u0026")


def clock_of(tz: str) -> Callable[[float], str]:
    """HH:MM:SS in the event's zone."""
    zone = ZoneInfo(tz)
    return lambda stamp: dt.datetime.fromtimestamp(stamp, tz=zone).strftime("%H:%M:%S")


def router() -> APIRouter:
    """The live page and its data (included by the console's router, under its prefix)."""
    r = APIRouter(include_in_schema=False)
    views = RecentViews()

    @r.get("/events/{event_id}/live", response_class=HTMLResponse)
    def live_page(request: Request, event_id: EventId, store: StoreDep,
                  user: UserDep) -> Response:
        found = event_or_404(store, user, event_id)
        view = views.get(store, event_id, found.event.policy)
        return render(request, "live.html", user, title="Live", event=found, tab="live",
                      view=view, poll=POLL_S, words_json=words_json(user.lang),
                      clock=clock_of(found.tz))

    @r.get("/events/{event_id}/live.json")
    def live_data(event_id: EventId, store: StoreDep, user: UserDep) -> Response:
        found = event_or_404(store, user, event_id)
        view = views.get(store, event_id, found.event.policy)
        return JSONResponse(view.as_json(), headers={"Cache-Control": "no-store"})

    return r
