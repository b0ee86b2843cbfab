"""`SyncClient`: the gate routes of the server (docs/sync-protocol.md) over a given `httpx.Client`.

The caller builds the `httpx.Client` with an explicit `Timeout` (see
`make_http_client`) and tests swap its transport. Every failure becomes a typed
`SyncError`; every answer's server time is handed to `on_time` for the clock.
The device token travels only in the Authorization header and is never logged.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import httpx

from gatescan.gate import __version__
from gatescan.gate.sync.clock import TimeSample, boot_clock
from gatescan.gate.sync.errors import DeviceRevoked, Refused, ServerFailed, ServerUnreachable
from gatescan.protocol.device_report import report_headers
from gatescan.protocol.wire import (
    MAX_PUSH,
    MAX_PUSH_HEADER,
    FeedPage,
    PushAnswer,
    PushedScan,
    ServerView,
    WireError,
    push_limit,
)

log = logging.getLogger(__name__)

API = "/api/v1/device"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
SERVER_TIME_HEADER = "x-gatescan-server-time"
CURSOR_HEADER = "x-gatescan-cursor"
SEQUENCE_HEADER = "x-gatescan-manifest-sequence"
__all__ = ["ManifestDownload", "ServerView", "SyncClient", "make_http_client", "push_body",
           "server_view"]

TimeListener = Callable[[TimeSample], None]


def make_http_client(timeout: httpx.Timeout = DEFAULT_TIMEOUT, **kwargs: Any) -> httpx.Client:
    """The HTTP client a gate uses: explicit timeouts, no redirects, no environment proxies."""
    kwargs.setdefault("trust_env", False)
    return httpx.Client(timeout=timeout, follow_redirects=False,
                        headers={"User-Agent": f"gatescan-gate/{__version__}"}, **kwargs)


@dataclass(frozen=True, slots=True)
class ManifestDownload:
    """A manifest written to a file, and the feed cursor it is consistent with."""

    cursor: str
    sequence: int | None
    bytes: int
    server_time: float | None


def push_body(items: Sequence[PushedScan]) -> bytes:
    """The body of `POST /scans` for these items (the JSON httpx would send for them)."""
    return json.dumps({"scans": [i.to_json() for i in items]}, ensure_ascii=False,
                      separators=(",", ":"), allow_nan=False).encode("utf-8")


def server_view(raw: object) -> ServerView | None:
    """The `server` object of an answer (`/me`); None if absent or not the protocol."""
    if raw is None:
        return None
    try:
        return ServerView.from_json(raw)
    except WireError:
        return None


class SyncClient:
    """The gate side of the sync protocol, one method per route."""

    def __init__(self, http: httpx.Client, base_url: str, token: str | None = None, *,
                 on_time: TimeListener | None = None,
                 boot: Callable[[], float] = boot_clock) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._on_time = on_time
        self._boot = boot
        self.pending: int | None = None  # unsent scans, told the server with every request
        # Scans per push this server takes: `MAX_PUSH` until an answer says otherwise.
        self.push_limit = MAX_PUSH

    def __repr__(self) -> str:
        return f"SyncClient({self.base_url!r})"

    # -- routes --------------------------------------------------------------------------

    def enroll(self, code: str) -> dict[str, Any]:
        """Trade a one-time code for the device token (`device_token`, `device_id`, ...)."""
        return self._json("POST", "/enroll", json={"code": code}, auth=False)

    def me(self) -> dict[str, Any]:
        """The device as the server knows it (a cheap authenticated ping)."""
        return self._json("GET", "/me")

    def download_manifest(self, out: IO[bytes]) -> ManifestDownload:
        """Stream the event's signed manifest into `out`."""
        sent = self._boot()
        written = 0
        try:
            with self.http.stream("GET", self._url("/manifest"), headers=self._headers()) as resp:
                if resp.status_code != 200:
                    resp.read()
                    self._check(resp, sent)
                for chunk in resp.iter_bytes(1 << 16):
                    out.write(chunk)
                    written += len(chunk)
                server_time = self._note_time(resp, sent, None)
        except httpx.TimeoutException as exc:
            raise ServerUnreachable("timeout", f"the server stopped answering ({_kind(exc)})"
                                    ) from None
        except httpx.TransportError as exc:
            raise ServerUnreachable("unreachable", f"cannot reach the server ({_kind(exc)})"
                                    ) from None
        cursor = resp.headers.get(CURSOR_HEADER)
        if not cursor:
            raise ServerFailed("bad_response", "the manifest came without its feed cursor")
        seq = resp.headers.get(SEQUENCE_HEADER)
        return ManifestDownload(cursor, int(seq) if seq and seq.isdigit() else None, written,
                                server_time)

    def changes(self, cursor: str, limit: int, *, own: bool = False) -> FeedPage:
        """The page of changes after `cursor` (a change that is not the protocol comes as
        `Unreadable`, to be skipped; a page that is not the protocol is `bad_response`);
        `own`: this gate's own scans too (it is rebuilding its ledger)."""
        params: dict[str, str | int] = {"cursor": cursor, "limit": limit}
        if own:
            params["own"] = "true"
        body = self._json("GET", "/changes", params=params)
        try:
            return FeedPage.from_json(body)
        except WireError as exc:
            raise ServerFailed("bad_response", f"the change feed answer is not the protocol "
                               f"({exc.message})") from None

    def push(self, items: Sequence[PushedScan] | bytes) -> PushAnswer:
        """Send one batch of scans (or its body, as `push_body` encoded it ahead of time);
        results are per item."""
        content = items if isinstance(items, bytes) else push_body(items)
        body = self._json("POST", "/scans", content=content,
                          content_type="application/json")
        try:
            return PushAnswer.from_json(body)
        except WireError as exc:
            raise ServerFailed("bad_response", f"the push answer is not the protocol "
                               f"({exc.message})") from None

    def report_rollback(self, report: dict[str, Any]) -> dict[str, Any]:
        """Tell the server this gate found it behind what it had acknowledged."""
        return self._json("POST", "/server-rollback", json=report)

    # -- plumbing ------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.base_url}{API}{path}"

    def _headers(self, auth: bool = True) -> dict[str, str]:
        if not auth:
            return {}
        if self._token is None:
            raise Refused(401, "unauthenticated", "this gate is not enrolled")
        return {"Authorization": f"Bearer {self._token}",
                **report_headers(__version__, self.pending)}

    def _json(self, method: str, path: str, *, auth: bool = True,
              content_type: str | None = None, **kwargs: Any) -> dict[str, Any]:
        headers = self._headers(auth)
        if content_type is not None:
            headers["Content-Type"] = content_type
        sent = self._boot()
        try:
            resp = self.http.request(method, self._url(path), headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise ServerUnreachable("timeout", f"the server did not answer in time "
                                    f"({_kind(exc)})") from None
        except httpx.TransportError as exc:
            raise ServerUnreachable("unreachable", f"cannot reach the server ({_kind(exc)})"
                                    ) from None
        self._check(resp, sent)
        if MAX_PUSH_HEADER in resp.headers:
            self.push_limit = push_limit(resp.headers.get(MAX_PUSH_HEADER))
        try:
            body = resp.json()
        except ValueError:
            raise ServerFailed("bad_response", f"the server's answer to {path} is not JSON"
                               ) from None
        if not isinstance(body, dict):
            raise ServerFailed("bad_response", f"the server's answer to {path} is not an object")
        self._note_time(resp, sent, body.get("server_time"))
        return body

    def _check(self, resp: httpx.Response, sent: float) -> None:
        """Raise the typed error for a non-2xx answer."""
        status = resp.status_code
        if 200 <= status < 300:
            return
        self._note_time(resp, sent, None)
        if status >= 500 or status < 400:
            raise ServerFailed("server_error", f"the server answered {status}")
        code, message = "http_error", f"the server refused the request ({status})"
        try:
            err = resp.json().get("error")
            if isinstance(err, dict):
                code = str(err.get("code") or code)[:64]
                message = str(err.get("message") or message)[:300]
        except (ValueError, AttributeError):
            pass
        if status == 403 and code == "device_revoked":
            raise DeviceRevoked(status, code, message)
        raise Refused(status, code, message)

    def _note_time(self, resp: httpx.Response, sent: float, body_time: Any) -> float | None:
        received = self._boot()
        server_time = _float(resp.headers.get(SERVER_TIME_HEADER))
        if server_time is None:
            server_time = _float(body_time)
        if server_time is not None and self._on_time is not None:
            self._on_time(TimeSample(sent, received, server_time))
        return server_time


def _float(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _kind(exc: Exception) -> str:
    """A short description of a transport error (its text never holds headers or tokens)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
