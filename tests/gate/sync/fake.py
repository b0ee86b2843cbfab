"""A scripted stand-in for the sync server, behind `httpx.MockTransport` (unit tests)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.credentials import Credentials
from gatescan.gate.sync.engine import SyncConfig, SyncEngine
from tests.factories import T0, Issuer
from tests.gate.ledger.util import TICKETS

URL = "http://gate-server.test"
TOKEN = "gsd_" + "t" * 43
DEVICE = "dev_0123456789ab"
Handler = Callable[[httpx.Request], httpx.Response | None]


def error(status: int, code: str, message: str = "no") -> httpx.Response:
    """An error answer in the protocol's shape."""
    return httpx.Response(status, json={"error": {"code": code, "message": message}},
                          headers={"x-gatescan-server-time": str(T0)})


@dataclass
class FakeServer:
    """Stores pushed scans by id, serves scripted change pages; `before` can hijack a request."""

    issuer: Issuer = field(default_factory=Issuer)
    server_time: float = T0
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    pushes: list[list[dict[str, Any]]] = field(default_factory=list)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    before: Handler | None = None
    reject: Callable[[dict[str, Any]], str | None] = lambda item: None
    manifest_cursor: str = "10.0"
    max_push: str | None = None  # the X-Gatescan-Max-Push header of its answers (None: none)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.before is not None:
            hijacked = self.before(request)
            if hijacked is not None:
                return hijacked
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return error(401, "unauthenticated")
        path = request.url.path.removeprefix("/api/v1/device")
        if path == "/scans":
            return self.push(json.loads(request.content)["scans"])
        if path == "/me":  # a server that says nothing about its history (`server` absent)
            return self.answer({"status": "active"})
        if path == "/changes":
            page = self.pages.get(request.url.params["cursor"],
                                  {"changes": [], "cursor": request.url.params["cursor"],
                                   "more": False})
            return self.answer(page)
        if path == "/manifest":
            body = self.issuer.manifest(TICKETS)
            return httpx.Response(200, content=body, headers={
                "x-gatescan-cursor": self.manifest_cursor, "x-gatescan-server-time":
                str(self.server_time)})
        return error(404, "not_found")

    def answer(self, body: dict[str, Any]) -> httpx.Response:
        headers = {"x-gatescan-server-time": str(self.server_time)}
        if self.max_push is not None:
            headers["x-gatescan-max-push"] = self.max_push
        return httpx.Response(200, json={**body, "server_time": self.server_time},
                              headers=headers)

    def push(self, items: list[dict[str, Any]]) -> httpx.Response:
        self.pushes.append(items)
        results = []
        for item in items:
            problem = self.reject(item)
            if problem:
                results.append({"scan_id": item["scan_id"], "status": "rejected",
                                "conflict": False, "error": problem})
                continue
            status = "duplicate" if item["scan_id"] in self.stored else "stored"
            self.stored.setdefault(item["scan_id"], item)
            results.append({"scan_id": item["scan_id"], "status": status, "conflict": False,
                            "error": None})
        return self.answer({"results": results})


def enrolled_gate(root: Path, server: FakeServer, *, config: SyncConfig | None = None,
                  cursor: str | None = "10", **engine_kw: Any) -> SyncEngine:
    """A gate with credentials for the fake server and the standard manifest loaded."""
    settings = ScannerSettings(root)
    settings.ensure_dir()
    Credentials(URL, DEVICE, TOKEN, server.issuer.policy.event_id, "Gate 1").save(root)
    with Ledger(settings.ledger_path) as ledger:
        ledger.import_manifest(server.issuer.write_manifest(root / "m.gsm", TICKETS))
        if cursor is not None:
            ledger.set_sync_state("cursor", cursor)
    http = httpx.Client(transport=httpx.MockTransport(server), timeout=httpx.Timeout(2.0))
    return SyncEngine(settings, http, config=config, **engine_kw)
