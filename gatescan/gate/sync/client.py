"""`SyncClient`: the gate routes of the server (docs/sync-protocol.md) over a given `httpx.Client`.

The caller builds the `httpx.Client` with an explicit `Timeout` (see
`make_http_client`) and tests swap its transport. Every failure becomes a typed
`SyncError`; every answer's server time is handed to `on_time` for the clock.
The device token travels only in the Authorization header and is never logged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import httpx

from gatescan.gate.sync.clock import TimeSample, boot_clock
from gatescan.gate.sync.errors import DeviceRevoked, Refused, ServerFailed, ServerUnreachable

log = logging.getLogger(__name__)

API = "/api/v1/device"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
SERVER_TIME_HEADER = "x-gatescan-server-time"
CURSOR_HEADER = "x-gatescan-cursor"
SEQUENCE_HEADER = "x-gatescan-manifest-sequence"

TimeListener = Callable[[TimeSample], None]


def make_http_client(timeout: httpx.Timeout = DEFAULT_TIMEOUT, **kwargs: Any) -> httpx.Client:
    """The HTTP client a gate uses: explicit timeouts, no redirects, no environment proxies."""
    kwargs.setdefault("trust_env", False)
    return httpx.Client(timeout=timeout, follow_redirects=False,
                        headers={"User-Agent": "gatescan-gate/1"}, **kwargs)


@dataclass(frozen=True, slots=True)
class ManifestDownload:
    """A manifest written to a file, and the feed cursor it is consistent with."""

    cursor: str
    sequence: int | None
    bytes: int
    server_time: float | None


@dataclass(frozen=True, slots=True)
class ServerView:
    """What the server says about itself in a push or pull answer (gatescan/server/instance.py)."""

    instance_id: str
    head: int
    chain_seq: int  # the highest place of this gate's scan log the server holds (0: none)

    @classmethod
    def parse(cls, raw: Any) -> ServerView | None:
        """The `server` object of an answer; None if absent or not the protocol."""
        if not isinstance(raw, dict):
            return None
        inst, head, chain = raw.get("instance_id"), raw.get("head"), raw.get("chain")
        seq = chain.get("seq") if isinstance(chain, dict) else 0 if chain is None else None
        if not isinstance(inst, str) or not 1 <= len(inst) <= 64 or not isinstance(head, int) \
                or not isinstance(seq, int) or not _count(head) or not _count(seq):
            return None
        return cls(inst, head, seq)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


@dataclass(frozen=True, slots=True)
class ChangesPage:
    """One page of the change feed."""

    changes: list[dict[str, Any]]
    cursor: str
    more: bool
    server_time: float | None
    server: ServerView | None = None


@dataclass(frozen=True, slots=True)
class PushReply:
    """The server's per-item results of one pushed batch."""

    results: list[Any]
    server_time: float | None
    server: ServerView | None = None


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

    def changes(self, cursor: str, limit: int) -> ChangesPage:
        """The page of changes after `cursor`."""
        body = self._json("GET", "/changes", params={"cursor": cursor, "limit": limit})
        changes, after, more = body.get("changes"), body.get("cursor"), body.get("more")
        if not isinstance(changes, list) or not isinstance(after, str) or \
                not isinstance(more, bool) or not all(isinstance(c, dict) for c in changes):
            raise ServerFailed("bad_response", "the change feed answer is not the protocol")
        return ChangesPage(changes, after, more, _float(body.get("server_time")),
                           ServerView.parse(body.get("server")))

    def push(self, items: Sequence[dict[str, Any]]) -> PushReply:
        """Send one batch of scans; results are per item."""
        body = self._json("POST", "/scans", json={"scans": list(items)})
        results = body.get("results")
        if not isinstance(results, list):
            raise ServerFailed("bad_response", "the push answer has no results")
        return PushReply(results, _float(body.get("server_time")),
                         ServerView.parse(body.get("server")))

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
        return {"Authorization": f"Bearer {self._token}"}

    def _json(self, method: str, path: str, *, auth: bool = True,
              **kwargs: Any) -> dict[str, Any]:
        headers = self._headers(auth)
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
